import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { eventually, type RailyardProcess, startRailyard } from '../support/railyard-process.ts';
import { writeTree } from '../support/trees.ts';

const guardrail = (name: string, type = 'keywords', config = '{words: [x]}') => `
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: ${name}}
spec: {type: ${type}, mode: pre_call, config: ${config}}
`;

const policy = (name: string, add: string[], extra = '') => `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: ${name}}
spec:
  guardrails: {add: [${add.join(', ')}]}${extra}
`;

const attachment = (name: string, policyName: string, selector: string) => `
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: ${name}}
spec: {policy: ${policyName}, ${selector}}
`;

const CATALOG = ['g-a', 'g-b', 'g-c', 'g-d'].map((g) => guardrail(g)).join('---');

type Resolved = {
  effective_guardrails: string[];
  matched_policies: { policy_name: string; matched_via: string }[];
};
type Status = {
  objects: {
    key: { kind: string; name: string };
    conditions: { type: string; status: string; message: string }[];
    policy?: { productionVersion?: number; latestVersion?: number };
  }[];
};

let running: RailyardProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const guardrailsFor = async (r: RailyardProcess, query: string): Promise<string[]> =>
  (await r.json<Resolved>(`/v1/resolve?${query}`)).effective_guardrails;

/** Polls /v1/resolve until it gives the expected guardrails. */
const expectEventually = (r: RailyardProcess, query: string, want: string[]) =>
  eventually(async () => {
    const got = await guardrailsFor(r, query);
    return JSON.stringify(got) === JSON.stringify(want) ? got : undefined;
  });

const statusOf = async (r: RailyardProcess, kind: string, name: string) =>
  (await r.json<Status>('/v1/status')).objects.find((o) => o.key.kind === kind && o.key.name === name);

describe('railyard serve over a folder', () => {
  test('serves, then follows edits, additions and deletions', async () => {
    const dir = await writeTree({
      'catalog.yaml': CATALOG,
      'base.yaml': `${policy('base', ['g-a'])}---${attachment('base-all', 'base', 'scope: "*"')}`,
    });
    running = await startRailyard({ args: ['--dir', dir] });
    expect(await guardrailsFor(running, 'team_alias=eng')).toEqual(['g-a']);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toContain('railyard_objects{kind="Policy",condition="Ready",status="True"} 1');
    expect(metrics).toContain('railyard_objects{kind="Guardrail",condition="Accepted",status="True"} 4');
    // The fast path records its answers; the scrape reports them.
    expect(metrics).toMatch(
      /^railyard_http_requests_total\{route="\/v1\/resolve",method="GET",code="200"\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^railyard_http_request_duration_seconds_count\{route="\/v1\/resolve",method="GET"\} [1-9]/m,
    );

    await writeFile(
      join(dir, 'base.yaml'),
      `${policy('base', ['g-a', 'g-b'])}---${attachment('base-all', 'base', 'scope: "*"')}`,
    );
    await expectEventually(running, 'team_alias=eng', ['g-a', 'g-b']);

    await writeFile(
      join(dir, 'eng.yaml'),
      `${policy('eng', ['g-c'])}---${attachment('eng-team', 'eng', 'teams: [eng]')}`,
    );
    await expectEventually(running, 'team_alias=eng', ['g-a', 'g-b', 'g-c']);
    expect(await guardrailsFor(running, 'team_alias=ops')).toEqual(['g-a', 'g-b']);

    await rm(join(dir, 'eng.yaml'));
    await expectEventually(running, 'team_alias=eng', ['g-a', 'g-b']);
    expect(await statusOf(running, 'Policy', 'eng')).toBeUndefined();
  });

  test('an invalid document is reported and never disturbs the others; the last good version keeps serving', async () => {
    const dir = await writeTree({
      'catalog.yaml': CATALOG,
      'base.yaml': `${policy('base', ['g-a'])}---${attachment('base-all', 'base', 'scope: "*"')}`,
      'eng.yaml': `${policy('eng', ['g-b'])}---${attachment('eng-team', 'eng', 'teams: [eng]')}`,
    });
    running = await startRailyard({ args: ['--dir', dir] });
    await expectEventually(running, 'team_alias=eng', ['g-a', 'g-b']);

    // A schema error in one object: it keeps its last good version, the rest is untouched.
    await writeFile(
      join(dir, 'eng.yaml'),
      `${policy('eng', ['g-c'], '\n  versionStatus: prod')}---${attachment('eng-team', 'eng', 'teams: [eng]')}`,
    );
    const invalid = await eventually(async () => {
      const s = await statusOf(running as RailyardProcess, 'Policy', 'eng');
      return s?.conditions.find((c) => c.type === 'Accepted' && c.status === 'False');
    });
    expect(invalid.message).toContain('spec.versionStatus');
    expect(await guardrailsFor(running, 'team_alias=eng')).toEqual(['g-a', 'g-b']);

    // A file that is not even YAML is reported with its line, and changes nothing.
    await writeFile(
      join(dir, 'broken.yaml'),
      'apiVersion: railyard.dev/v1alpha1\nkind: Policy\nmetadata: {name: [\n',
    );
    await running.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('broken.yaml:'));
    const { unreadable_documents } = await running.json<{
      unreadable_documents: { origin: { path: string } }[];
    }>('/v1/status');
    expect(unreadable_documents.map((d) => d.origin.path)).toEqual(['broken.yaml']); // relative to the watched folder
    expect(await guardrailsFor(running, 'team_alias=eng')).toEqual(['g-a', 'g-b']);

    // A semantic error (unknown parent) is reported the same way.
    await writeFile(join(dir, 'child.yaml'), policy('child', ['g-d'], '\n  inherit: no-such-parent'));
    const orphan = await eventually(async () => {
      const s = await statusOf(running as RailyardProcess, 'Policy', 'child');
      return s?.conditions.find((c) => c.type === 'Accepted' && c.status === 'False');
    });
    expect(orphan.message).toContain('no-such-parent');

    // Fixing the object puts the new content in force.
    await writeFile(
      join(dir, 'eng.yaml'),
      `${policy('eng', ['g-c'])}---${attachment('eng-team', 'eng', 'teams: [eng]')}`,
    );
    await expectEventually(running, 'team_alias=eng', ['g-a', 'g-c']);
  });

  test('a revert re-uses the old version number', async () => {
    const dir = await writeTree({
      'catalog.yaml': CATALOG,
      'base.yaml': `${policy('base', ['g-a'])}---${attachment('base-all', 'base', 'scope: "*"')}`,
    });
    running = await startRailyard({ args: ['--dir', dir] });
    const production = async () => (await statusOf(running as RailyardProcess, 'Policy', 'base'))?.policy;
    expect(await production()).toMatchObject({ productionVersion: 1, latestVersion: 1 });

    await writeFile(
      join(dir, 'base.yaml'),
      `${policy('base', ['g-b'])}---${attachment('base-all', 'base', 'scope: "*"')}`,
    );
    await eventually(async () => ((await production())?.productionVersion === 2 ? true : undefined));

    await writeFile(
      join(dir, 'base.yaml'),
      `${policy('base', ['g-a'])}---${attachment('base-all', 'base', 'scope: "*"')}`,
    );
    await expectEventually(running, 'model=m', ['g-a']);
    expect(await production()).toMatchObject({ productionVersion: 1, latestVersion: 2 });
  });

  test('follows a git-sync style symlink swap of the served folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'railyard-sync-'));
    for (const [rev, add] of [
      ['rev-1', ['g-a']],
      ['rev-2', ['g-c', 'g-d']],
    ] as const) {
      await mkdir(join(root, rev));
      await writeFile(join(root, rev, 'catalog.yaml'), CATALOG);
      await writeFile(
        join(root, rev, 'p.yaml'),
        `${policy('p', [...add])}---${attachment('p-all', 'p', 'scope: "*"')}`,
      );
    }
    await symlink('rev-1', join(root, 'current'));
    running = await startRailyard({ args: ['--dir', join(root, 'current')] });
    expect(await guardrailsFor(running, 'model=x')).toEqual(['g-a']);

    // git-sync's switch: a new link renamed over the old one, atomically.
    await symlink('rev-2', join(root, 'current.tmp'));
    await rename(join(root, 'current.tmp'), join(root, 'current'));
    await expectEventually(running, 'model=x', ['g-c', 'g-d']);
  });

  test('stops cleanly on SIGTERM', async () => {
    const dir = await writeTree({ 'catalog.yaml': CATALOG });
    const r = await startRailyard({ args: ['--dir', dir] });
    expect(await r.stop('SIGTERM')).toBe(0);
    expect(r.logs.some((l) => l.msg === 'stopped')).toBe(true);
  });
});
