/**
 * Shadow runs over HTTP: the report (`GET /v1/shadow`) and, for API-created policies (directory
 * mode; Kubernetes mode refuses API writes), starting and ending a version's shadow. A declared
 * policy's shadow is its `spec.shadow`, changed in Git.
 */
import type { Express } from 'express';
import { shadowReport } from '../../registry/index.ts';
import { HttpError } from '../errors.ts';
import type { ServerDeps } from '../server.ts';
import { bodyParser, SHADOW_START_REQUEST, toWireShadowEntry, toWireShadowReport } from '../wire/index.ts';
import { queryParam, valueOrThrow, writeScope } from './policies.ts';

const parseStart = bodyParser(SHADOW_START_REQUEST);

/** `?limit=`: 0 to 500 differing decisions; 50 when absent. */
function limitParam(raw: string | undefined): number {
  if (raw === undefined) return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 500)
    throw new HttpError('unprocessable', `query.limit: must be an integer from 0 to 500 (got "${raw}")`);
  return n;
}

export function registerShadowRoutes(api: Express, deps: ServerDeps): void {
  const reportOf = (filter: { namespace?: string; policy?: string }) =>
    shadowReport(deps.registry.snapshot(), deps.shadows?.stats() ?? [], deps.shadows?.recent() ?? [], filter);

  api.get('/v1/shadow', (req, res) => {
    const namespace = queryParam(req, 'namespace');
    const policy = queryParam(req, 'policy');
    const limit = limitParam(queryParam(req, 'limit'));
    const report = reportOf({
      ...(namespace === undefined ? {} : { namespace }),
      ...(policy === undefined ? {} : { policy }),
    });
    res.json(toWireShadowReport(report, limit));
  });

  api.post('/policies/:policy_id/shadow', async (req, res) => {
    const body = parseStart(req.body ?? {});
    const scope = writeScope(deps, res, queryParam(req, 'namespace'));
    const started = valueOrThrow(
      await deps.registry.shadow(scope.namespace, req.params.policy_id, body.sample_rate),
    );
    const entry = reportOf({ namespace: scope.namespace, policy: started.policy }).shadows.find(
      (e) => e.policyId === started.version.policyId,
    );
    if (entry === undefined) throw new Error('a shadow just started is not in the report');
    res.json(toWireShadowEntry(entry));
  });

  api.delete('/policies/:policy_id/shadow', async (req, res) => {
    const scope = writeScope(deps, res, queryParam(req, 'namespace'));
    const ended = valueOrThrow(await deps.registry.shadow(scope.namespace, req.params.policy_id, undefined));
    res.json({
      message: `Shadow of version ${ended.version.versionNumber} of policy '${ended.policy}' ended; its counts stay in GET /v1/shadow`,
    });
  });
}
