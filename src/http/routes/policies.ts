/**
 * LiteLLM's policy and version routes. Named routes (`/policies/list`,
 * `/policies/compare`, `/policies/name/...`) are registered before `/policies/{policy_id}`, which
 * would otherwise take them as ids. Also home of the helpers every management route shares:
 * which namespace a request is about, who writes, and results to responses.
 */
import type { Express, Request, Response } from 'express';
import { type Result, VERSION_STATUSES, type VersionStatus } from '../../engine/index.ts';
import { type NamespaceView, policyApi, type VersionEntry, type WriteScope } from '../../registry/index.ts';
import type { Principal } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { selectNamespace } from '../namespace.ts';
import type { ServerDeps } from '../server.ts';
import {
  bodyParser,
  contentFromPatch,
  fromWirePolicyFields,
  POLICY_CHECKED_LATER,
  POLICY_CREATE_REQUEST,
  POLICY_STATUS_REQUEST,
  POLICY_UPDATE_REQUEST,
  POLICY_VERSION_CREATE_REQUEST,
  renderIssues,
  STATUS_CHECKED_LATER,
  toWirePolicy,
  toWireVersionDiff,
  type WirePolicy,
  type WirePolicyFields,
} from '../wire/index.ts';

// ───────────────────────────── shared by the management routes ─────────────────────────────

/** A query parameter as one string; undefined when absent or empty; 400 when repeated. */
export function queryParam(req: Request, name: string): string | undefined {
  const raw = req.query[name];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new HttpError('bad_request', `${name}: give one ?${name}= value`);
  return raw;
}

/** The namespace view a read is about (see `selectNamespace`); undefined when nothing is served yet. */
export function readView(deps: ServerDeps, requested: string | undefined): NamespaceView | undefined {
  return selectNamespace(deps.registry.snapshot(), requested, deps.defaultNamespace);
}

/**
 * Where a write goes: the namespace it names (a new one is created), else the one a read would
 * use, else the configured default. The actor (`created_by`/`updated_by`) is the caller's principal.
 */
export function writeScope(deps: ServerDeps, res: Response, requested: string | undefined): WriteScope {
  const namespace =
    requested ??
    selectNamespace(deps.registry.snapshot(), undefined, deps.defaultNamespace)?.namespace ??
    deps.defaultNamespace;
  const principal = res.locals.principal as Principal | undefined;
  return { registry: deps.registry, namespace, actor: principal?.name ?? null };
}

/** The value of a successful result; a failed one is thrown as its HTTP error (one table: errors.ts). */
export function valueOrThrow<T>(result: Result<T>): T {
  if (!result.ok) throw HttpError.from(result.error);
  return result.value;
}

const wirePolicy = (e: VersionEntry): WirePolicy => toWirePolicy(e.history, e.version);

// ───────────────────────────── bodies ─────────────────────────────

const parseCreate = bodyParser(POLICY_CREATE_REQUEST, POLICY_CHECKED_LATER);
const parseUpdate = bodyParser(POLICY_UPDATE_REQUEST, POLICY_CHECKED_LATER);
const parseNewVersion = bodyParser(POLICY_VERSION_CREATE_REQUEST);
const parseStatus = bodyParser(POLICY_STATUS_REQUEST, STATUS_CHECKED_LATER);

/** The pipeline is checked before anything else; its problems are LiteLLM's 400 `Invalid pipeline: ...`. */
function patchOf(body: WirePolicyFields) {
  const patch = fromWirePolicyFields(body);
  if (!patch.ok)
    throw new HttpError('bad_request', `Invalid pipeline: ${renderIssues(patch.issues)}`, {
      issues: patch.issues,
    });
  return patch.value;
}

function statusFilter(raw: string | undefined): VersionStatus | undefined {
  if (raw === undefined || (VERSION_STATUSES as readonly string[]).includes(raw))
    return raw as VersionStatus | undefined;
  throw new HttpError('unprocessable', `query.version_status: must be one of ${VERSION_STATUSES.join(', ')}`);
}

function requiredQuery(req: Request, name: string): string {
  const value = queryParam(req, name);
  if (value === undefined) throw new HttpError('unprocessable', `query.${name}: is required (a policy_id)`);
  return value;
}

// ───────────────────────────── routes ─────────────────────────────

export function registerPolicyCrudRoutes(api: Express, deps: ServerDeps): void {
  const ns = (req: Request) => queryParam(req, 'namespace');

  api.get('/policies/list', (req, res) => {
    const filter = statusFilter(queryParam(req, 'version_status'));
    const policies = policyApi.listPolicies(readView(deps, ns(req)), filter).map(wirePolicy);
    res.json({ policies, total_count: policies.length });
  });

  api.post('/policies', async (req, res) => {
    const body = parseCreate(req.body ?? {});
    const content = contentFromPatch(patchOf(body));
    const created = await policyApi.createPolicy(writeScope(deps, res, ns(req)), body.policy_name, content);
    res.json(wirePolicy(valueOrThrow(created)));
  });

  api.get('/policies/compare', (req, res) => {
    const a = requiredQuery(req, 'version_a');
    const b = requiredQuery(req, 'version_b');
    const compared = valueOrThrow(policyApi.comparePolicies(readView(deps, ns(req)), a, b));
    res.json({
      version_a: wirePolicy(compared.a),
      version_b: wirePolicy(compared.b),
      field_diffs: toWireVersionDiff(compared.diff),
    });
  });

  api.get('/policies/name/:policy_name/versions', (req, res) => {
    const name = req.params.policy_name;
    const versions = policyApi.listVersions(readView(deps, ns(req)), name).map(wirePolicy);
    res.json({ policy_name: name, versions, total_count: versions.length });
  });

  api.post('/policies/name/:policy_name/versions', async (req, res) => {
    const body = parseNewVersion(req.body ?? {});
    const scope = writeScope(deps, res, ns(req));
    const created = await policyApi.createVersion(
      scope,
      req.params.policy_name,
      body.source_policy_id ?? undefined,
    );
    res.json(wirePolicy(valueOrThrow(created)));
  });

  api.delete('/policies/name/:policy_name/all-versions', async (req, res) => {
    const name = req.params.policy_name;
    valueOrThrow(await policyApi.deleteAllVersions(writeScope(deps, res, ns(req)), name));
    res.json({ message: `All versions of policy '${name}' deleted successfully` });
  });

  api.put('/policies/:policy_id/status', async (req, res) => {
    const body = parseStatus(req.body ?? {});
    const scope = writeScope(deps, res, ns(req));
    const updated = valueOrThrow(await policyApi.setStatus(scope, req.params.policy_id, body.version_status));
    res.json({ ...wirePolicy(updated), ...(updated.warning ? { warning: updated.warning } : {}) });
  });

  api.get('/policies/:policy_id/resolved-guardrails', (req, res) => {
    const resolved = valueOrThrow(
      policyApi.resolvedGuardrails(readView(deps, ns(req)), req.params.policy_id),
    );
    res.json({
      policy_id: resolved.entry.version.policyId,
      policy_name: resolved.entry.version.policyName,
      resolved_guardrails: resolved.guardrails,
    });
  });

  api.get('/policies/:policy_id', (req, res) => {
    res.json(wirePolicy(valueOrThrow(policyApi.getPolicy(readView(deps, ns(req)), req.params.policy_id))));
  });

  api.put('/policies/:policy_id', async (req, res) => {
    const body = parseUpdate(req.body ?? {});
    const patch = patchOf(body);
    const scope = writeScope(deps, res, ns(req));
    const current = policyApi.getPolicy(
      deps.registry.snapshot().namespaces.get(scope.namespace),
      req.params.policy_id,
    );
    if (
      current.ok &&
      body.policy_name !== undefined &&
      body.policy_name !== current.value.version.policyName
    ) {
      throw new HttpError(
        'bad_request',
        `policy_name: a draft cannot be renamed (it would leave its policy's history); create a policy named '${body.policy_name}' instead`,
      );
    }
    res.json(wirePolicy(valueOrThrow(await policyApi.updateDraft(scope, req.params.policy_id, patch))));
  });

  api.delete('/policies/:policy_id', async (req, res) => {
    const id = req.params.policy_id;
    const deleted = valueOrThrow(await policyApi.deleteVersion(writeScope(deps, res, ns(req)), id));
    res.json({
      message: `Policy ${id} deleted successfully`,
      ...(deleted.warning ? { warning: deleted.warning } : {}),
    });
  });
}
