import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO } from '../support/railyard-process.ts';
import { runCli, writeTree } from './run-cli.ts';

const CONFIG = 'examples/litellm/config.yaml';

describe.concurrent('railyard import-litellm', () => {
  test('stdout is the committed examples/litellm/imported.yaml, warnings go to stderr with lines', async () => {
    const run = await runCli(['import-litellm', CONFIG, '--namespace', 'litellm-migration']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(await readFile(join(REPO, 'examples/litellm/imported.yaml'), 'utf8'));
    expect(run.stderr).toContain(
      `warning: ${CONFIG}:36: policies.legacy_statements.statements: not carried over: LiteLLM ignores "statements"`,
    );
    expect(run.stderr).toContain(`warning: ${CONFIG}:44: policy_attachments[3].scope: dropped`);
  });

  test('--out writes one file per kind that validates and resolves', async () => {
    const out = await writeTree({});
    const run = await runCli(['import-litellm', CONFIG, '--out', out]);
    expect(run.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['attachments.yaml', 'guardrails.yaml', 'policies.yaml']);
    const validate = await runCli(['validate', out]);
    expect(validate.stdout).toBe('valid: no problems found\n');
    const resolved = await runCli(['resolve', out, '--team', 'healthcare', '--format', 'json']);
    expect(JSON.parse(resolved.stdout).effective_guardrails).toEqual([
      'lakera-injection',
      'pii-masking',
      'secret-detection',
      'toxicity',
    ]);
  });

  test('an entry that cannot be imported exits 1 and the rest is written', async () => {
    const dir = await writeTree({
      'config.yaml':
        'policies:\n  ok: {guardrails: [a]}\n  bad:\n    guardrails: [a]\n    pipeline: {steps: [{guardrail: a, on_fail: explode}]}\npolicy_attachments:\n  - {policy: ok, scope: "*"}\n',
    });
    const run = await runCli(['import-litellm', join(dir, 'config.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /error: .*config\.yaml:5: policies\.bad\.pipeline\.steps\[0\]\.on_fail: policy "bad" not imported/,
    );
    expect(run.stdout).toContain('name: ok');
    expect(run.stdout).not.toContain('name: bad');
  });

  for (const fixture of ['docs-quick-start.yaml', 'docs-teams.yaml', 'docs-inheritance.yaml', 'names.yaml']) {
    test(`LiteLLM's documented config ${fixture} imports, keeps its names and validates`, async () => {
      const out = await writeTree({});
      const run = await runCli(['import-litellm', join('test/fixtures/litellm', fixture), '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toContain('must be a lowercase DNS name');
      const validate = await runCli(['validate', out]);
      expect(validate.stdout, validate.stderr).toBe('valid: no problems found\n');
    });
  }

  test('pii_masking and prompt_injection answer under their own names', async () => {
    const out = await writeTree({});
    await runCli(['import-litellm', 'test/fixtures/litellm/docs-quick-start.yaml', '--out', out]);
    const resolved = await runCli(['resolve', out, '--team', 'anyone', '--format', 'json']);
    expect(JSON.parse(resolved.stdout).effective_guardrails).toEqual(['pii_masking', 'prompt_injection']);
  });

  test('a missing config exits 2', async () => {
    const run = await runCli(['import-litellm', 'nope.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read nope.yaml');
  });
});
