import type { JSONSchemaType } from 'ajv';
import type { Express } from 'express';
import { resolve } from '../../engine/index.ts';
import { bodyParser } from '../body.ts';
import { selectNamespace } from '../namespace.ts';
import type { ServerDeps } from '../server.ts';
import { fromWireContext, toWireResolution } from '../wire.ts';

type ResolveBody = {
  team_alias?: string | null;
  key_alias?: string | null;
  model?: string | null;
  tags?: string[] | null;
  namespace?: string | null;
};

const nullableString = { type: 'string', nullable: true } as const;
const parseResolveBody = bodyParser<ResolveBody>({
  type: 'object',
  additionalProperties: false,
  properties: {
    team_alias: nullableString,
    key_alias: nullableString,
    model: nullableString,
    tags: { type: 'array', items: { type: 'string' }, nullable: true },
    namespace: nullableString,
  },
} as JSONSchemaType<ResolveBody>);

export function registerResolveRoutes(api: Express, deps: ServerDeps): void {
  /** LiteLLM's `PolicyResolveRequest` → `PolicyResolveResponse`, answered from the snapshot. */
  api.post('/policies/resolve', (req, res) => {
    const body = parseResolveBody(req.body ?? {});
    const snapshot = deps.app.snapshot();
    const view = selectNamespace(snapshot, body.namespace ?? undefined, deps.defaultNamespace);
    const resolution = view
      ? resolve(view.index, fromWireContext(body))
      : { effectiveGuardrails: [], matchedPolicies: [] };
    res.json(toWireResolution(resolution, snapshot.revision));
  });
}
