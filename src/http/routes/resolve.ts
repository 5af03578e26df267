/**
 * The routes that answer for a request context: LiteLLM's `POST /policies/resolve` and
 * Railyard's `POST /v1/explain`, through the same answer call as `/v1/resolve`.
 */
import type { Express, Request } from 'express';
import { type AnswerOptions, type AnswerRequest, answer } from '../../registry/index.ts';
import { HttpError } from '../errors.ts';
import type { ServerDeps } from '../server.ts';
import {
  bodyParser,
  fromWireContext,
  POLICY_RESOLVE_REQUEST,
  toWireExplanation,
  toWireResolution,
} from '../wire/index.ts';
import { queryParam } from './policies.ts';

const parseContextBody = bodyParser(POLICY_RESOLVE_REQUEST);

function readAnswerRequest(req: Request): AnswerRequest {
  const body = parseContextBody(req.body ?? {});
  const namespace = body.namespace ?? queryParam(req, 'namespace');
  return { context: fromWireContext(body), ...(namespace === undefined ? {} : { namespace }) };
}

export function registerResolveRoutes(api: Express, deps: ServerDeps): void {
  const options: AnswerOptions = {
    defaultNamespace: deps.defaultNamespace,
    ...(deps.answers ? { cache: deps.answers } : {}),
  };

  api.post('/policies/resolve', (req, res) => {
    const answered = answer('resolve', deps.registry.snapshot(), readAnswerRequest(req), options);
    if (!answered.ok) throw HttpError.from(answered.error);
    res.json(toWireResolution(answered.value, answered.revision));
  });

  api.post('/v1/explain', (req, res) => {
    const answered = answer('explain', deps.registry.snapshot(), readAnswerRequest(req), options);
    if (!answered.ok) throw HttpError.from(answered.error);
    res.json(toWireExplanation(answered.value, answered.revision));
  });
}
