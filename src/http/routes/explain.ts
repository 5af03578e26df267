/** `POST /v1/explain` (DESIGN 5): why a request gets what it gets, from the same index as `/v1/resolve`. */
import type { JSONSchemaType } from 'ajv';
import type { Express } from 'express';
import { type Explanation, explain, type RequestContext } from '../../engine/index.ts';
import { bodyParser } from '../body.ts';
import { selectNamespace } from '../namespace.ts';
import type { ServerDeps } from '../server.ts';
import { fromWireContext, toWireExplanation } from '../wire.ts';
import { queryParam } from './policies.ts';

type ExplainBody = {
  team_alias?: string | null;
  key_alias?: string | null;
  model?: string | null;
  tags?: string[] | null;
  namespace?: string | null;
};

const nullableString = { type: 'string', nullable: true } as const;
const parseExplainBody = bodyParser<ExplainBody>({
  type: 'object',
  additionalProperties: false,
  properties: {
    team_alias: nullableString,
    key_alias: nullableString,
    model: nullableString,
    tags: { type: 'array', items: { type: 'string' }, nullable: true },
    namespace: nullableString,
  },
} as JSONSchemaType<ExplainBody>);

export function registerExplainRoutes(api: Express, deps: ServerDeps): void {
  api.post('/v1/explain', (req, res) => {
    const body = parseExplainBody(req.body ?? {});
    const snapshot = deps.app.snapshot();
    const view = selectNamespace(
      snapshot,
      body.namespace ?? queryParam(req, 'namespace'),
      deps.defaultNamespace,
    );
    const ctx = fromWireContext(body);
    res.json(toWireExplanation(view ? explain(view.index, ctx) : nothingServed(ctx), snapshot.revision));
  });
}

function nothingServed(context: RequestContext): Explanation {
  const resolution = { effectiveGuardrails: [], matchedPolicies: [] };
  return { context, resolution, attachments: [], notCandidates: 0, policies: [] };
}
