import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RailyardProcess, startRailyard } from '../support/railyard-process.ts';
import { runCli } from './run-cli.ts';

type WireContext = { team_alias?: string; key_alias?: string; model?: string; tags?: string[] };

const contexts: { note: string; ctx: WireContext; namespace?: string }[] = [
  { note: 'nothing: the baseline', ctx: {} },
  { note: 'healthcare team', ctx: { team_alias: 'healthcare-team' } },
  {
    note: 'medical-* team on gpt-4o with an eu tag',
    ctx: { team_alias: 'medical-x', model: 'gpt-4o', tags: ['eu-west'] },
  },
  { note: 'support bot key', ctx: { key_alias: 'support-bot-7', model: 'claude' } },
  { note: 'finance (a draft policy)', ctx: { team_alias: 'finance' } },
  {
    note: 'the imported LiteLLM namespace',
    ctx: { team_alias: 'medical-x', model: 'gpt-4' },
    namespace: 'litellm-migration',
  },
];

const cliArgs = (ctx: WireContext, namespace?: string): string[] => [
  ...(ctx.team_alias ? ['--team', ctx.team_alias] : []),
  ...(ctx.key_alias ? ['--key', ctx.key_alias] : []),
  ...(ctx.model ? ['--model', ctx.model] : []),
  ...(ctx.tags ? ['--tags', ctx.tags.join(',')] : []),
  ...(namespace ? ['--namespace', namespace] : []),
];

/** Policy ids are random per registry, and the revision counts passes: everything else must agree. */
function comparable(body: Record<string, unknown>): unknown {
  return JSON.parse(JSON.stringify(body, (k, v) => (k === 'policy_id' || k === 'revision' ? undefined : v)));
}

describe('railyard resolve agrees with the server (golden, examples/)', () => {
  let server: RailyardProcess;
  beforeAll(async () => {
    server = await startRailyard({ args: ['--dir', 'examples'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const c of contexts) {
    test(`${c.note}: resolve and explain`, async () => {
      const body = JSON.stringify({ ...c.ctx, ...(c.namespace ? { namespace: c.namespace } : {}) });
      const [cli, cliExplain, http, httpExplain] = await Promise.all([
        runCli(['resolve', 'examples/', '--format', 'json', ...cliArgs(c.ctx, c.namespace)]),
        runCli(['resolve', 'examples/', '--format', 'json', '--explain', ...cliArgs(c.ctx, c.namespace)]),
        server.json('/policies/resolve', { method: 'POST', body }),
        server.json('/v1/explain', { method: 'POST', body }),
      ]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(comparable(JSON.parse(cli.stdout))).toEqual(comparable(http));
      expect(comparable(JSON.parse(cliExplain.stdout))).toEqual(comparable(httpExplain));
      expect((http.effective_guardrails as string[]).length).toBeGreaterThan(0);
    });
  }
});

describe.concurrent('railyard resolve', () => {
  test('text output names the guardrails and the matched policies in order', async () => {
    const run = await runCli(['resolve', 'examples/', '--team', 'medical-x', '--model', 'gpt-4o']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(
      'effective guardrails: max-prompt, output-pii, phi-detector, pii-mask, prompt-injection, secrets-scan, toxicity',
    );
    expect(run.stdout).toMatch(
      /healthcare-compliance {2}via team:medical-x[\s\S]*gpt4-strict[\s\S]*global-baseline/,
    );
  });

  test('--explain text shows the attachments and the inheritance chain', async () => {
    const run = await runCli(['resolve', 'examples/', '--team', 'healthcare-team', '--explain']);
    expect(run.stdout).toContain(
      'matched          healthcare-teams → healthcare-compliance (priority 100) via team:healthcare-team',
    );
    expect(run.stdout).toContain(
      'healthcare-compliance v1: +[phi-detector, pii-mask, prompt-injection] -[toxicity]',
    );
  });

  test('--version-status draft previews the finance draft as production; published does not', async () => {
    const [draft, published] = await Promise.all([
      runCli(['resolve', 'examples/', '--team', 'finance', '--version-status', 'draft', '--format', 'json']),
      runCli([
        'resolve',
        'examples/',
        '--team',
        'finance',
        '--version-status',
        'published',
        '--format',
        'json',
      ]),
    ]);
    expect(JSON.parse(draft.stdout).effective_guardrails).toEqual([
      'banned-words',
      'pii-mask',
      'prompt-injection',
      'secrets-scan',
      'toxicity',
    ]);
    expect(JSON.parse(published.stdout).effective_guardrails).toEqual([
      'prompt-injection',
      'secrets-scan',
      'toxicity',
    ]);
  });

  test('a namespace that is not served exits 2 with the served ones', async () => {
    const run = await runCli(['resolve', 'examples/', '--namespace', 'nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('namespace "nope" is not served here (served: default, litellm-migration)');
  });

  test('a bad --format is a usage error', async () => {
    const run = await runCli(['resolve', 'examples/', '--format', 'xml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("argument 'xml' is invalid");
  });
});
