/**
 * Heavy enforcement on the real `railyard serve` (directory mode, examples/ plus one user regex that
 * is quadratic on long runs of a's): the event loop stays free for /healthz and /v1/resolve while a
 * check runs in the worker pool, a check past --decision-deadline answers "cannot decide" (503,
 * the proxy's own fail mode), and the prompt of 100,000 spaces that froze the server is decided.
 */
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RailyardProcess, READER_TOKEN, REPO, startRailyard } from '../support/railyard-process.ts';

const PATH = '/litellm/beta/litellm_basic_guardrail_api';

const SLOW = `apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: slow-pattern}
spec: {type: regex, mode: pre_call, config: {patterns: [{name: AB, pattern: 'a.*b|a'}]}}
---
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: slow}
spec: {guardrails: {add: [slow-pattern]}}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: slow-team}
spec: {policy: slow, teams: [slow-team]}
`;

let railyard: RailyardProcess;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'railyard-heavy-'));
  await cp(join(REPO, 'examples'), dir, { recursive: true });
  await writeFile(join(dir, 'slow.yaml'), SLOW);
  railyard = await startRailyard({
    args: [
      '--dir',
      dir,
      '--decision-deadline',
      '1500',
      '--guardrail-workers',
      '1',
      '--body-limit',
      '4194304',
    ],
  });
});
afterAll(async () => {
  await railyard?.stop();
});

const call = (team: string, text: string) =>
  railyard.fetch(PATH, {
    method: 'POST',
    token: null,
    headers: { 'content-type': 'application/json', 'x-api-key': READER_TOKEN },
    body: JSON.stringify({
      input_type: 'request',
      texts: [text],
      request_data: { user_api_key_team_alias: team },
    }),
  });

test('a check past the deadline answers 503 cannot-decide, while /healthz and /v1/resolve answer throughout', async () => {
  let slowDone = false;
  const slow = call('slow-team', 'a'.repeat(100_000)).then(async (res) => {
    slowDone = true;
    return { status: res.status, body: await res.json() };
  });
  // Give the request time to reach its check, then ask the server other things meanwhile.
  await new Promise((r) => setTimeout(r, 200));
  const answered: boolean[] = [];
  for (let i = 0; i < 5; i++) {
    const health = await railyard.fetch('/healthz');
    const resolve = await railyard.fetch('/v1/resolve?team_alias=slow-team');
    answered.push(health.status === 200 && resolve.status === 200 && !slowDone);
  }
  expect(answered).toEqual([true, true, true, true, true]);
  expect(await slow).toEqual({
    status: 503,
    body: { detail: 'Railyard cannot decide: decision deadline of 1500 ms exceeded' },
  });
  // The worker was replaced: the next heavy decision is served.
  const next = await call('slow-team', 'b'.repeat(50_000));
  expect(next.status).toBe(200);
  expect(await next.json()).toEqual({ action: 'NONE' });
});

test('the 100,000-space prompt that froze the server is decided (allow), by the examples baseline', async () => {
  const res = await call('healthcare-team', ' '.repeat(100_000));
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ action: 'NONE' });
});
