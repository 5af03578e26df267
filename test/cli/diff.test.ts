import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPO } from '../support/railyard-process.ts';
import { runCli, writeTree } from './run-cli.ts';

/**
 * A real repository: `main` holds the example policies under policies/; `feature` removes the EU
 * policy, changes an attachment's priority, adds a draft of gpt4-strict and promotes finance-strict.
 */
let repo: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
    cwd: repo,
    encoding: 'utf8',
  });

async function edit(path: string, from: string | RegExp, to: string): Promise<void> {
  const text = await readFile(join(repo, path), 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit of ${path} changed nothing`);
  await writeFile(join(repo, path), next);
}

beforeAll(async () => {
  const examples = join(REPO, 'examples');
  const files: Record<string, string> = { 'README.md': '# policies\n' };
  for (const name of (await readdir(examples)).filter((f) => f.endsWith('.yaml')))
    files[`policies/${name}`] = await readFile(join(examples, name), 'utf8');
  repo = await writeTree(files);
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'base');
  git('checkout', '-q', '-b', 'feature');
  await edit('policies/support-bots.yaml', /---\n# Requests tagged eu-\*[\s\S]*$/, '');
  await edit('policies/healthcare.yaml', 'priority: 100', 'priority: 90');
  await edit(
    'policies/gpt4.yaml',
    'add: [max-prompt, output-pii]',
    'add: [max-prompt, output-pii, pii-mask]\n  versionStatus: draft',
  );
  await edit('policies/finance-draft.yaml', 'versionStatus: draft', 'versionStatus: production');
  git('commit', '-q', '-am', 'feature');
});

describe.concurrent('railyard diff --git', () => {
  test('json: removal, field change, a draft that keeps production, a promotion, and the blast radius', async () => {
    const run = await runCli(['diff', '--git', 'main..feature', '--format', 'json', '--', 'policies'], {
      cwd: repo,
    });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    const objects = report.objects.map(
      (o: { change: string; kind: string; name: string }) => `${o.change} ${o.kind}/${o.name}`,
    );
    expect(objects).toEqual([
      'removed Policy/eu-data-residency',
      'removed PolicyAttachment/eu-tagged',
      'changed Policy/finance-strict',
      'changed Policy/gpt4-strict',
      'changed PolicyAttachment/healthcare-teams',
    ]);
    expect(report.objects[0].at).toBe('policies/support-bots.yaml:19');
    const attachment = report.objects.find((o: { name: string }) => o.name === 'healthcare-teams');
    expect(attachment.fields).toEqual([{ path: 'spec.priority', before: 100, after: 90 }]);

    const versions = Object.fromEntries(report.versions.map((v: { policy: string }) => [v.policy, v]));
    expect(versions['gpt4-strict']).toMatchObject({
      changesProduction: false,
      production: { before: 1, after: 1 },
      latest: { after: { version: 2, status: 'draft' } },
      summary: 'version 2 is draft; production stays at version 1',
    });
    expect(versions['finance-strict']).toMatchObject({
      changesProduction: true,
      production: { before: null, after: 1 },
    });
    expect(versions['eu-data-residency']).toMatchObject({
      changesProduction: true,
      production: { before: 1, after: null },
    });

    const losers = report.blastRadius
      .filter((i: { lost: string[] }) => i.lost.includes('pii-mask'))
      .map((i: { context: unknown }) => i.context);
    expect(losers).toEqual([{ tags: ['eu-*'] }]);
    const finance = report.blastRadius.find(
      (i: { context: { teamAlias?: string } }) => i.context.teamAlias === 'finance',
    );
    expect(finance).toMatchObject({ gained: ['banned-words', 'pii-mask'], lost: [] });
    // The draft of gpt4-strict changes nobody's guardrails.
    expect(report.blastRadius.some((i: { gained: string[] }) => i.gained.includes('output-pii'))).toBe(false);
  });

  test('text: removals are loud and the losing context is named', async () => {
    const run = await runCli(['diff', '--git', 'main..feature', '--', 'policies'], { cwd: repo });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('- REMOVED Policy/eu-data-residency (was policies/support-bots.yaml:19)');
    expect(run.stdout).toContain('spec.priority: 100 → 90');
    expect(run.stdout).toContain('tags=eu-*: loses pii-mask');
    expect(run.stdout).toContain('gpt4-strict: version 2 is draft; production stays at version 1');
  });

  test('markdown: a PR comment with a summary line, a warning and details sections', async () => {
    const run = await runCli(['diff', '--git', 'main..feature', '--format', 'markdown'], { cwd: repo });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('### Railyard policy diff');
    expect(lines[2]).toMatch(
      /^\*\*0 added, 3 changed, 2 removed; 2 production changes, 1 staged version change; 1 context loses guardrails, 1 gains\*\*/,
    );
    expect(run.stdout).toContain('> **Removed** `Policy/eu-data-residency`');
    expect(run.stdout).toContain('> `tags=eu-*` **loses** `pii-mask`');
    expect(run.stdout).toContain('<details><summary>Blast radius (2 contexts)</summary>');
    expect(run.stdout).toContain('| default | tags=eu-* | pii-mask |  |');
  });

  test('--fail-on-removal exits 1 when a context loses a named guardrail, 0 otherwise', async () => {
    const failing = await runCli(
      ['diff', '--git', 'main..feature', '--fail-on-removal', 'toxicity,pii-mask', '--', 'policies'],
      { cwd: repo },
    );
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('railyard diff: [default] tags=eu-* loses pii-mask');
    const passing = await runCli(['diff', '--git', 'main..feature', '--fail-on-removal', 'toxicity'], {
      cwd: repo,
    });
    expect(passing.code).toBe(0);
  });

  test("--contexts adds the caller's own contexts to the blast radius", async () => {
    const file = join(repo, '..', `contexts-${process.pid}.yaml`);
    await writeFile(file, '- {team_alias: data-eng, tags: [eu-central]}\n');
    const run = await runCli(['diff', '--git', 'main..feature', '--contexts', file, '--format', 'json'], {
      cwd: repo,
    });
    await rm(file);
    const report = JSON.parse(run.stdout);
    expect(report.blastRadius).toContainEqual(
      expect.objectContaining({
        context: { teamAlias: 'data-eng', keyAlias: undefined, model: undefined, tags: ['eu-central'] },
        lost: ['pii-mask'],
      }),
    );
  });

  test('the work tree and HEAD are untouched', async () => {
    await runCli(['diff', '--git', 'main..feature'], { cwd: repo });
    expect(git('status', '--porcelain')).toBe('');
    expect(git('rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('feature');
  });

  test('bad input exits 2: unknown revision, not a range', async () => {
    const unknown = await runCli(['diff', '--git', 'main..nope'], { cwd: repo });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown revision "nope"');
    const single = await runCli(['diff', '--git', 'main'], { cwd: repo });
    expect(single.code).toBe(2);
    expect(single.stderr).toContain('--git expects BASE..HEAD');
  });
});

describe.concurrent('railyard diff BASE HEAD (folders)', () => {
  test('identical trees: no changes, exit 0', async () => {
    const run = await runCli(['diff', 'examples', 'examples']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('0 added, 0 changed, 0 removed');
    expect(run.stdout).toContain('(no context gains or loses a guardrail)');
  });

  test('an added policy shows up with the contexts that gain', async () => {
    const head = await writeTree({
      'p.yaml':
        'apiVersion: railyard.dev/v1alpha1\nkind: Policy\nmetadata: {name: ops}\nspec: {guardrails: {add: [secrets-scan]}}\n---\napiVersion: railyard.dev/v1alpha1\nkind: PolicyAttachment\nmetadata: {name: ops}\nspec: {policy: ops, teams: [ops]}\n',
    });
    const run = await runCli(['diff', '--format', 'json', join(REPO, 'examples/guardrails.yaml'), head]);
    const report = JSON.parse(run.stdout);
    expect(report.objects.filter((o: { change: string }) => o.change === 'added').length).toBe(2);
    expect(report.blastRadius).toContainEqual(
      expect.objectContaining({ context: { teamAlias: 'ops' }, gained: ['secrets-scan'] }),
    );
  });

  test('a policy with a proxy name (spec.policyName): versions, events and blast radius in that name', async () => {
    const tree = (status: string) =>
      `apiVersion: railyard.dev/v1alpha1\nkind: Policy\nmetadata: {name: ops}\nspec: {policyName: Ops_Policy, versionStatus: ${status}, guardrails: {add: [secrets_scan]}}\n---\napiVersion: railyard.dev/v1alpha1\nkind: PolicyAttachment\nmetadata: {name: ops}\nspec: {policy: Ops_Policy, teams: [ops]}\n`;
    const base = await writeTree({ 'p.yaml': tree('draft') });
    const head = await writeTree({ 'p.yaml': tree('production') });
    const report = JSON.parse((await runCli(['diff', '--format', 'json', base, head])).stdout);
    expect(report.versions).toEqual([
      expect.objectContaining({
        policy: 'Ops_Policy',
        events: ['content equals version 1, which is re-used', 'version 1 promoted to production'],
      }),
    ]);
    expect(report.blastRadius).toContainEqual(
      expect.objectContaining({ context: { teamAlias: 'ops' }, gained: ['secrets_scan'] }),
    );
  });

  test('a missing side exits 2', async () => {
    const run = await runCli(['diff', 'examples']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('give BASE and HEAD folders');
  });
});
