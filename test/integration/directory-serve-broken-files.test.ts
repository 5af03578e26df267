/**
 * The reproduced fail-open of the issue, end to end on the real `railyard serve`: a syntax error in
 * examples/global-baseline.yaml used to switch the baseline off for everyone; now its objects keep
 * serving and the error is in /v1/status and the log, with file and line. The same at start-up,
 * where the rest of the folder serves. A billion-laughs file is refused without stalling anything.
 */
import { appendFile, cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { BILLION_LAUGHS } from '../support/hostile-inputs.ts';
import { eventually, type RailyardProcess, REPO, startRailyard } from '../support/railyard-process.ts';

type Unreadable = {
  unreadable_documents: { origin: { path: string; line: number }; issues: { message: string }[] }[];
};

let running: RailyardProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function examples(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'railyard-examples-'));
  for (const f of ['global-baseline.yaml', 'guardrails.yaml', 'healthcare.yaml', 'gpt4.yaml'])
    await cp(join(REPO, 'examples', f), join(dir, f));
  return dir;
}

const baselineOf = async (r: RailyardProcess) =>
  (await r.json<{ effective_guardrails: string[] }>('/v1/resolve?team_alias=anyone')).effective_guardrails;
const BASELINE = ['prompt-injection', 'secrets-scan', 'toxicity'];

test('a syntax error in the baseline file keeps the baseline in force, reported with file and line', async () => {
  const dir = await examples();
  running = await startRailyard({ args: ['--dir', dir] });
  expect(await baselineOf(running)).toEqual(BASELINE);

  await appendFile(join(dir, 'global-baseline.yaml'), '  bad: [unclosed\n');
  const status = await eventually(async () => {
    const s = await (running as RailyardProcess).json<Unreadable>('/v1/status');
    return s.unreadable_documents.length > 0 ? s : undefined;
  });
  expect(status.unreadable_documents.map((d) => [d.origin.path, d.origin.line])).toEqual([
    ['global-baseline.yaml', 19],
  ]);
  expect(status.unreadable_documents[0]?.issues[0]?.message).toMatch(
    /^YAML syntax error at line 19.*; the 2 objects it declared before keep serving until it reads cleanly$/,
  );
  await running.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('global-baseline.yaml:19'));
  expect(await baselineOf(running)).toEqual(BASELINE);

  // A billion-laughs file next to it is refused at once; the server answers throughout.
  await writeFile(join(dir, 'lol.yaml'), BILLION_LAUGHS);
  await running.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('--yaml-max-alias-nodes'));
  expect((await running.fetch('/healthz')).status).toBe(200);
  expect(await baselineOf(running)).toEqual(BASELINE);
});

test('at start-up a broken file and a bomb are reported, and the rest of the folder serves', async () => {
  const dir = await examples();
  await appendFile(join(dir, 'healthcare.yaml'), '  bad: [unclosed\n');
  await writeFile(join(dir, 'lol.yaml'), BILLION_LAUGHS);
  running = await startRailyard({ args: ['--dir', dir] });
  expect(await baselineOf(running)).toEqual(BASELINE);
  const s = await running.json<Unreadable>('/v1/status');
  expect(s.unreadable_documents.map((d) => d.origin.path).sort()).toEqual(['healthcare.yaml', 'lol.yaml']);
});
