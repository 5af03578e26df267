import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadTemplates, SHIPPED_TEMPLATES } from '../../src/templates/index.ts';
import { REPO } from '../support/railyard-process.ts';
import { runCli, writeTree } from './run-cli.ts';

describe('the shipped templates', () => {
  test('there are the four promised, each a valid set of resources on its own', async () => {
    const { templates, problems } = await loadTemplates(SHIPPED_TEMPLATES);
    expect(problems).toEqual([]);
    expect(templates.map((t) => t.id)).toEqual([
      'finance',
      'healthcare',
      'pii-baseline',
      'prompt-injection-baseline',
    ]);
    for (const file of await readdir(join(REPO, 'templates'))) {
      const run = await runCli(['validate', join('templates', file)]);
      expect([file, run.code, run.stdout]).toEqual([file, 0, 'valid: no problems found\n']);
    }
  });

  test('all of them together are valid too: no two claim one name', async () => {
    const run = await runCli(['validate', 'templates']);
    expect(run.stdout).toBe('valid: no problems found\n');
  });

  test('a template that is invalid on its own is left out and named', async () => {
    const dir = await writeTree({
      'broken.yaml':
        'apiVersion: railyard.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec: {inherit: missing}\n',
    });
    const { templates, problems } = await loadTemplates(dir);
    expect(templates).toEqual([]);
    expect(problems).toEqual([
      expect.stringMatching(/^broken\.yaml: spec\.inherit: parent policy "missing"/),
    ]);
  });
});

describe('railyard init', () => {
  test('writes a template into a policy folder, which then validates', async () => {
    const out = await writeTree({});
    const run = await runCli(['init', '--template', 'healthcare', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(join(out, 'healthcare.yaml'), 'utf8')).toBe(
      await readFile(join(REPO, 'templates/healthcare.yaml'), 'utf8'),
    );
    expect((await runCli(['validate', out])).stdout).toBe('valid: no problems found\n');
  });

  test('refuses to overwrite without --force', async () => {
    const out = await writeTree({});
    await writeFile(join(out, 'finance.yaml'), '# mine\n');
    const refused = await runCli(['init', '--template', 'finance', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('exists; pass --force to overwrite it');
    expect(await readFile(join(out, 'finance.yaml'), 'utf8')).toBe('# mine\n');
    const forced = await runCli(['init', '--template', 'finance', '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(await readFile(join(out, 'finance.yaml'), 'utf8')).toContain('kind: Policy');
  });

  test('an unknown template exits 2 naming the ones there are; no template lists them', async () => {
    const run = await runCli(['init', '--template', 'nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('templates: finance, healthcare, pii-baseline, prompt-injection-baseline');
    const list = await runCli(['init']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('pii-baseline\tPII Baseline (Low)');
  });
});
