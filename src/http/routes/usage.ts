/**
 * Usage routes in LiteLLM's shapes, from the enforcement decisions the usage recorder counted:
 * `GET /policies/usage/overview`, `GET /guardrails/usage/overview`, `GET /guardrails/usage/logs`.
 */
import type { Express, Request } from 'express';
import { UsageRecorder, type UsageSubject } from '../../usage/index.ts';
import { HttpError } from '../errors.ts';
import type { ServerDeps } from '../server.ts';
import { toWireUsageLog, toWireUsageOverview, type UsageWindow } from '../wire/index.ts';
import { queryParam, readView } from './policies.ts';

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `start_date`/`end_date` as LiteLLM takes them (`YYYY-MM-DD`, UTC days, both included) or as
 * instants (ISO 8601); by default, the whole window the recorder keeps.
 */
function windowOf(req: Request, usage: UsageRecorder, now: number): UsageWindow {
  const instant = (name: string, endOfDay: boolean): number | undefined => {
    const raw = queryParam(req, name);
    if (raw === undefined) return undefined;
    const at = Date.parse(DATE.test(raw) ? `${raw}T00:00:00Z` : raw);
    if (Number.isNaN(at)) {
      throw new HttpError(
        'bad_request',
        'start_date and end_date must be in YYYY-MM-DD format (or ISO 8601 instants)',
      );
    }
    return DATE.test(raw) && endOfDay ? at + DAY_MS : at;
  };
  const from = instant('start_date', false) ?? usage.oldest();
  const to = instant('end_date', true) ?? now + usage.bucketMs;
  if (to <= from) throw new HttpError('bad_request', 'start_date must be on or before end_date');
  return { from, to };
}

export function registerUsageRoutes(api: Express, deps: ServerDeps): void {
  const usage = deps.usage ?? new UsageRecorder();
  const namespaceOf = (req: Request): string | undefined => {
    const requested = queryParam(req, 'namespace');
    return requested === undefined ? undefined : (readView(deps, requested)?.namespace ?? requested);
  };
  const known = (subject: UsageSubject) =>
    [...deps.registry.snapshot().namespaces.values()].flatMap((view) =>
      [...(subject === 'policy' ? view.index.policies.keys() : view.guardrails.keys())].map((name) => ({
        namespace: view.namespace,
        name,
      })),
    );
  const overview = (subject: UsageSubject) => (req: Request, res: import('express').Response) => {
    const window = windowOf(req, usage, Date.now());
    res.json(toWireUsageOverview(usage, subject, window, known(subject), namespaceOf(req)));
  };
  api.get('/policies/usage/overview', overview('policy'));
  api.get('/guardrails/usage/overview', overview('guardrail'));

  api.get('/guardrails/usage/logs', (req, res) => {
    const window = windowOf(req, usage, Date.now());
    const namespace = namespaceOf(req);
    const guardrail = queryParam(req, 'guardrail_id');
    const policy = policyNameOf(deps, queryParam(req, 'policy_id'));
    const action = queryParam(req, 'action');
    const page = whole(queryParam(req, 'page'), 1, 'page', 1_000_000);
    const pageSize = whole(queryParam(req, 'page_size'), 50, 'page_size', 100);
    const logs = usage
      .recent()
      .filter(
        (r) =>
          r.at >= window.from &&
          r.at < window.to &&
          (namespace === undefined || r.namespace === namespace) &&
          (guardrail === undefined || r.guardrails.includes(guardrail)) &&
          (policy === undefined || r.policies.includes(policy)) &&
          (action === undefined || r.action === action),
      );
    res.json({
      logs: logs.slice((page - 1) * pageSize, page * pageSize).map(toWireUsageLog),
      total: logs.length,
      page,
      page_size: pageSize,
    });
  });
}

/** A policy name, or the name of the policy a version id (`policy_id`) belongs to. */
function policyNameOf(deps: ServerDeps, id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  for (const view of deps.registry.snapshot().namespaces.values()) {
    for (const h of view.histories) if (h.versions.some((v) => v.policyId === id)) return h.name;
  }
  return id;
}

function whole(raw: string | undefined, fallback: number, name: string, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new HttpError('unprocessable', `query.${name}: must be a whole number from 1 to ${max}`);
  return n;
}
