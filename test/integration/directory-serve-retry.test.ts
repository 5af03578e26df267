import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { eventually, type RailyardProcess, startRailyard } from '../support/railyard-process.ts';
import { writeTree } from '../support/trees.ts';

const tree = (guardrails: string[]) => `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: base}
spec: {guardrails: {add: [${guardrails.join(', ')}]}}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: everyone}
spec: {policy: base, scope: "*"}
`;

type Status = { reconcile: { failing: { error: string; attempts: number } | null; last_success_at: string } };

let running: RailyardProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

test('a failed store write is retried until it lands; /v1/status says what fails meanwhile', async () => {
  const dir = await writeTree({ 'policies.yaml': tree(['g-a']) });
  const data = await mkdtemp(join(tmpdir(), 'railyard-data-'));
  const r = await startRailyard({ args: ['--dir', dir], data });
  running = r;
  const guardrails = async () =>
    (await r.json<{ effective_guardrails: string[] }>('/v1/resolve')).effective_guardrails;
  expect(await guardrails()).toEqual(['g-a']);

  // The store writes a temp file next to registry.json and renames it over: a folder in its place
  // makes every write fail (EISDIR), as a full or read-only disk would.
  const temp = join(data, '.registry.json.tmp');
  await mkdir(temp);
  await writeFile(join(dir, 'policies.yaml'), tree(['g-a', 'g-b']));
  const failing = await eventually(
    async () => (await r.json<Status>('/v1/status')).reconcile.failing ?? undefined,
  );
  expect(failing.error).toMatch(/EISDIR|directory/);
  expect(await guardrails()).toEqual(['g-a']);

  await rm(temp, { recursive: true });
  await eventually(async () => ((await guardrails()).includes('g-b') ? true : undefined), 10_000);
  expect((await r.json<Status>('/v1/status')).reconcile.failing).toBeNull();
  const metrics = await (await r.fetch('/metrics', { token: null })).text();
  const errors = /controller_runtime_reconcile_errors_total\{controller="declared"\} (\d+)/.exec(metrics);
  expect(Number(errors?.[1])).toBeGreaterThanOrEqual(1);
});
