/**
 * Guardrail floors through the CLI: `validate` reports a removal the floor ignores (a warning) and
 * a selector that cannot be read without labels (an error); `resolve --explain` shows the floor;
 * `diff` shows a floor's whole blast radius and the removals it makes void.
 */
import { describe, expect, test } from 'vitest';
import { runCli, writeTree } from './run-cli.ts';

const doc = (kind: string, name: string, spec: string, namespace?: string) =>
  `apiVersion: railyard.dev/v1alpha1\nkind: ${kind}\nmetadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ''}}\nspec: ${spec}\n---\n`;

/** A namespace with its catalog, a baseline for the support team and a team policy that inherits it. */
const namespaced = (ns: string, teamPolicy: string) =>
  doc('Guardrail', 'pii-mask', '{type: pii, config: {action: mask}}', ns) +
  doc('Guardrail', 'tox', '{type: keywords, config: {words: [darn]}}', ns) +
  doc('Policy', 'baseline', '{guardrails: {add: [pii-mask, tox]}}', ns) +
  doc('PolicyAttachment', 'support', '{policy: baseline, teams: [support]}', ns) +
  doc('Policy', 'team', teamPolicy, ns) +
  doc('PolicyAttachment', 'team', '{policy: team, teams: [analytics, "data-*"]}', ns);

const TEAM_REMOVES = '{inherit: baseline, guardrails: {remove: [pii-mask]}}';
const FLOOR = doc('GuardrailFloor', 'security', '{guardrails: [pii-mask], namespaces: [fin]}');

const tree = (withFloor: boolean) =>
  writeTree({
    'fin.yaml': namespaced('fin', TEAM_REMOVES),
    'med.yaml': namespaced('med', TEAM_REMOVES),
    ...(withFloor ? { 'floor.yaml': FLOOR } : {}),
  });

describe.concurrent('railyard and a GuardrailFloor', () => {
  test('validate: the removal the floor ignores is a warning on the policy, in its namespace only', async () => {
    const run = await runCli(['validate', await tree(true), '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      problems: { severity: string; object: string; code: string; message: string }[];
    };
    expect(report.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'mandatory_guardrail',
        object: 'Policy/fin/team',
        message:
          '`pii-mask` is mandatory in namespace fin (GuardrailFloor "security"): its removal has no effect',
      }),
    ]);
  });

  test('validate: a label selector is an error where namespaces have no labels', async () => {
    const dir = await writeTree({
      'floor.yaml': doc(
        'GuardrailFloor',
        'pci',
        '{guardrails: [pii-mask], namespaceSelector: {matchLabels: {pci: "true"}}}',
      ),
    });
    const run = await runCli(['validate', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'error GuardrailFloor/pci: spec.namespaceSelector: namespaces have no labels here',
    );
  });

  test('validate and resolve --namespace-labels: the selector reads the labels the cluster would have', async () => {
    const dir = await writeTree({
      'fin.yaml': namespaced('fin', TEAM_REMOVES),
      'med.yaml': namespaced('med', TEAM_REMOVES),
      'floor.yaml': doc(
        'GuardrailFloor',
        'pci',
        '{guardrails: [pii-mask], namespaceSelector: {matchLabels: {pci: "true"}}}',
      ),
      'labels.yaml': 'fin: {pci: "true"}\nmed: {}\n',
    });
    const labels = `${dir}/labels.yaml`;
    const valid = await runCli(['validate', dir, '--namespace-labels', labels, '--format', 'json']);
    expect(valid.code, valid.stdout).toBe(0);
    const fin = await runCli([
      'resolve',
      dir,
      '--namespace',
      'fin',
      '--team',
      'analytics',
      '--namespace-labels',
      labels,
    ]);
    expect(fin.stdout).toContain('mandatory (floor): pii-mask (GuardrailFloor pci)');
    const med = await runCli([
      'resolve',
      dir,
      '--namespace',
      'med',
      '--team',
      'analytics',
      '--namespace-labels',
      labels,
    ]);
    expect(med.stdout).toContain('effective guardrails: tox\n');
    const bad = await runCli(['validate', dir, '--namespace-labels', `${dir}/fin.yaml`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected a mapping of namespace to its labels');
  });

  test('resolve --explain: the floor, and the removal it ignores', async () => {
    const dir = await tree(true);
    const run = await runCli(['resolve', dir, '--namespace', 'fin', '--team', 'analytics', '--explain']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('effective guardrails: pii-mask, tox\n');
    expect(run.stdout).toContain('mandatory (floor): pii-mask (GuardrailFloor security)');
    expect(run.stdout).toContain('    guardrails: pii-mask, tox\n    versions: baseline v1 → team v1');
    expect(run.stdout).toContain('team v1: +[] -[pii-mask] (removal of pii-mask ignored: mandatory)');
    const json = await runCli([
      'resolve',
      dir,
      '--namespace',
      'fin',
      '--team',
      'analytics',
      '--format',
      'json',
    ]);
    expect(JSON.parse(json.stdout).floor).toEqual([{ guardrail: 'pii-mask', floor_name: 'security' }]);
    const med = await runCli(['resolve', dir, '--namespace', 'med', '--team', 'analytics']);
    expect(med.stdout).toContain('effective guardrails: tox\n');
  });

  test('diff: adding the floor gives back pii-mask to every context of fin that had lost it', async () => {
    const run = await runCli(['diff', await tree(false), await tree(true), '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(
      report.objects.map(
        (o: { change: string; kind: string; name: string }) => `${o.change} ${o.kind}/${o.name}`,
      ),
    ).toEqual(['added GuardrailFloor/security']);
    const impacts = report.blastRadius.map(
      (i: { namespace: string; context: { teamAlias?: string }; gained: string[]; lost: string[] }) => [
        i.namespace,
        i.context.teamAlias ?? '-',
        i.gained,
        i.lost,
      ],
    );
    // Every context of fin but the support team's (which had it already); nothing in med.
    expect(impacts).toEqual([
      ['fin', '-', ['pii-mask'], []],
      ['fin', 'analytics', ['pii-mask'], []],
      ['fin', 'data-*', ['pii-mask'], []],
    ]);
    expect(report.ignoredRemovals).toEqual([
      expect.objectContaining({
        object: 'Policy/fin/team',
        message: expect.stringContaining('its removal has no effect'),
      }),
    ]);
  });

  test('diff: taking a namespace out of the floor is a loss, and --fail-on-removal catches it', async () => {
    const base = await tree(true);
    const head = await writeTree({
      'fin.yaml': namespaced('fin', TEAM_REMOVES),
      'med.yaml': namespaced('med', TEAM_REMOVES),
      'floor.yaml': FLOOR.replace('namespaces: [fin]', 'namespaces: [med]'),
    });
    const run = await runCli(['diff', base, head, '--fail-on-removal', 'pii-mask']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('~ changed GuardrailFloor/security');
    expect(run.stdout).toContain('[fin] team_alias=analytics: loses pii-mask');
    expect(run.stdout).toContain('[med] team_alias=analytics: gains pii-mask');
    expect(run.stderr).toContain('railyard diff: [fin] team_alias=analytics loses pii-mask');
  });

  test('diff: a floor on a namespace with no objects serves the floor there (its empty request gains)', async () => {
    const base = await tree(false);
    const head = await writeTree({
      'fin.yaml': namespaced('fin', TEAM_REMOVES),
      'med.yaml': namespaced('med', TEAM_REMOVES),
      'floor.yaml': doc('GuardrailFloor', 'security', '{guardrails: [pii-mask], namespaces: [sandbox]}'),
    });
    const report = JSON.parse((await runCli(['diff', base, head, '--format', 'json'])).stdout);
    expect(report.blastRadius).toEqual([
      expect.objectContaining({ namespace: 'sandbox', context: {}, gained: ['pii-mask'], lost: [] }),
    ]);
  });
});
