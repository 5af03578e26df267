/**
 * The routes that answer for a request context: LiteLLM's `POST /policies/resolve` and
 * Railyard's `POST /v1/explain` (DESIGN 5), from the same snapshot and index as `/v1/resolve`.
 */
import type { JSONSchemaType } from 'ajv';
import type { Express, Request } from 'express';
import {
  type Explanation,
  explain,
  NO_RESOLUTION,
  type RequestContext,
  resolve,
} from '../../engine/index.ts';
import type { NamespaceView, Snapshot } from '../../registry/index.ts';
import { bodyParser } from '../body.ts';
import { selectNamespace } from '../namespace.ts';
import type { ServerDeps } from '../server.ts';
import { fromWireContext, toWireExplanation, toWireResolution } from '../wire.ts';
import { queryParam } from './policies.ts';

/** `PolicyResolveRequest` (= `PolicyMatchContext`) plus an optional namespace. */
type ContextBody = {
  team_alias?: string | null;
  key_alias?: string | null;
  model?: string | null;
  tags?: string[] | null;
  namespace?: string | null;
};

const nullableString = { type: 'string', nullable: true } as const;
const parseContextBody = bodyParser<ContextBody>({
  type: 'object',
  additionalProperties: false,
  properties: {
    team_alias: nullableString,
    key_alias: nullableString,
    model: nullableString,
    tags: { type: 'array', items: { type: 'string' }, nullable: true },
    namespace: nullableString,
  },
} as JSONSchemaType<ContextBody>);

type ContextRequest = { snapshot: Snapshot; view: NamespaceView | undefined; ctx: RequestContext };

function readContextRequest(req: Request, deps: ServerDeps): ContextRequest {
  const body = parseContextBody(req.body ?? {});
  const snapshot = deps.registry.snapshot();
  const requested = body.namespace ?? queryParam(req, 'namespace');
  return {
    snapshot,
    view: selectNamespace(snapshot, requested, deps.defaultNamespace),
    ctx: fromWireContext(body),
  };
}

export function registerResolveRoutes(api: Express, deps: ServerDeps): void {
  api.post('/policies/resolve', (req, res) => {
    const { snapshot, view, ctx } = readContextRequest(req, deps);
    const resolution = view ? resolve(view.index, ctx) : NO_RESOLUTION;
    res.json(toWireResolution(resolution, snapshot.revision));
  });

  api.post('/v1/explain', (req, res) => {
    const { snapshot, view, ctx } = readContextRequest(req, deps);
    res.json(toWireExplanation(view ? explain(view.index, ctx) : nothingServed(ctx), snapshot.revision));
  });
}

function nothingServed(context: RequestContext): Explanation {
  return { context, resolution: NO_RESOLUTION, attachments: [], notCandidates: 0, policies: [] };
}
