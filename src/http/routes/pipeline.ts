/** `POST /policies/test-pipeline`: the route `railyard test-pipeline` shares its code with. */
import type { Express } from 'express';
import { runTestPipeline } from '../../registry/index.ts';
import type { Principal } from '../auth.ts';
import { HttpError } from '../errors.ts';
import type { ServerDeps } from '../server.ts';
import {
  bodyParser,
  PIPELINE_TEST_CHECKED_LATER,
  PIPELINE_TEST_REQUEST,
  renderIssues,
  toWirePipelineResult,
  validatePipeline,
} from '../wire/index.ts';
import { queryParam, readView, valueOrThrow } from './policies.ts';

const parseTestBody = bodyParser(PIPELINE_TEST_REQUEST, PIPELINE_TEST_CHECKED_LATER);

export function registerPipelineRoutes(api: Express, deps: ServerDeps): void {
  api.post('/policies/test-pipeline', async (req, res) => {
    const body = parseTestBody(req.body ?? {});
    const pipeline = validatePipeline(body.pipeline, 'pipeline');
    if (!pipeline.ok) {
      throw new HttpError('bad_request', `Invalid pipeline: ${renderIssues(pipeline.issues)}`, {
        issues: pipeline.issues,
      });
    }
    const view = readView(deps, queryParam(req, 'namespace'));
    const closed = new AbortController();
    res.once('close', () => closed.abort());
    // Webhook steps run only for admins: a reader must not make Railyard call out, with the
    // guardrail's secret headers, on content of its choosing (docs/decisions).
    const admin = (res.locals.principal as Principal | undefined)?.role === 'admin';
    const pool = deps.enforcement?.guardrailPool;
    const result = await runTestPipeline(view, { pipeline: pipeline.value }, body.test_messages, {
      signal: closed.signal,
      runWebhooks: admin,
      ...(pool ? { pool } : {}),
    });
    res.json(toWirePipelineResult(valueOrThrow(result)));
  });
}
