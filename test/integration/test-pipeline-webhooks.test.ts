/**
 * `POST /policies/test-pipeline` calls webhook guardrails only for admin tokens: a reader's
 * webhook step is reported as not runnable here, and the endpoint is never called (a reader must
 * not make Railyard send the guardrail's secret headers with content of the reader's choosing).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RailyardProcess, READER_TOKEN, startRailyard } from '../support/railyard-process.ts';
import { writeTree } from '../support/trees.ts';

let hook: Server;
let calls = 0;
let railyard: RailyardProcess;
beforeAll(async () => {
  hook = createServer((req, res) => {
    calls++;
    req.resume();
    res.end(JSON.stringify({ outcome: 'pass' }));
  });
  hook.listen(0, '127.0.0.1');
  await once(hook, 'listening');
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/check`;
  const dir = await writeTree({
    'hook.yaml': `apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: vendor-hook}
spec: {type: webhook, mode: pre_call, config: {url: '${url}', headers: {x-api-key: s3cret}}}
`,
  });
  railyard = await startRailyard({ args: ['--dir', dir] });
});
afterAll(async () => {
  await railyard?.stop();
  hook?.close();
});

const testPipeline = async (token: string | undefined) => {
  const res = await railyard.fetch('/policies/test-pipeline', {
    method: 'POST',
    ...(token ? { token } : {}),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      pipeline: { mode: 'pre_call', steps: [{ guardrail: 'vendor-hook', on_error: 'allow' }] },
      test_messages: [{ role: 'user', content: 'hello' }],
    }),
  });
  return { status: res.status, body: (await res.json()) as { step_results: Record<string, unknown>[] } };
};

test('a reader token: the webhook step is not run, and says an admin token is needed', async () => {
  const { status, body } = await testPipeline(READER_TOKEN);
  expect(status).toBe(200);
  expect(body.step_results[0]).toMatchObject({
    guardrail_name: 'vendor-hook',
    outcome: 'error',
    error_detail:
      "Guardrail 'vendor-hook' is a webhook: the pipeline test calls webhooks only for an admin token; test it with an admin token",
  });
  expect(calls).toBe(0);
});

test('an admin token: the webhook is called', async () => {
  const { body } = await testPipeline(undefined);
  expect(body.step_results[0]).toMatchObject({ guardrail_name: 'vendor-hook', outcome: 'pass' });
  expect(calls).toBe(1);
});
