import { describe, expect, test } from 'vitest';
import { runCli, writeTree } from './run-cli.ts';

const GUARDRAIL = `apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: pii}
spec: {type: pii, config: {action: mask}}
`;

/** Line 7 is `inherit: missing-parent`. */
const MISSING_PARENT = `apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata:
  name: child
spec:
  description: has a parent that does not exist
  inherit: missing-parent
  guardrails: {add: [pii]}
`;

/** Line 6 is the unknown field. */
const SCHEMA_ERROR = `apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata:
  name: broken
spec:
  guardrailz: {add: [pii]}
`;

/** An attachment whose policy is missing: a warning only. */
const DANGLING_ATTACHMENT = `apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: later}
spec:
  policy: not-yet
  scope: "*"
`;

const cases: {
  note: string;
  files: Record<string, string>;
  format: string;
  code: number;
  stdout: string[];
}[] = [
  {
    note: 'a valid tree passes with exit 0',
    files: { 'g.yaml': GUARDRAIL },
    format: 'text',
    code: 0,
    stdout: ['valid: no problems found'],
  },
  {
    note: 'a missing parent is an error on the line of spec.inherit, with object and fix',
    files: { 'g.yaml': GUARDRAIL, 'p/child.yaml': MISSING_PARENT },
    format: 'text',
    code: 1,
    stdout: [
      'p/child.yaml:7: error Policy/child: spec.inherit:',
      'missing-parent',
      '[invalid_inheritance]',
      '1 error, 0 warnings',
    ],
  },
  {
    note: 'a schema error points at the unknown field',
    files: { 'g.yaml': GUARDRAIL, 'broken.yaml': SCHEMA_ERROR },
    format: 'text',
    code: 1,
    stdout: ['broken.yaml:6: error Policy/broken:', 'guardrailz'],
  },
  {
    note: 'warnings alone exit 0',
    files: { 'g.yaml': GUARDRAIL, 'a.yaml': DANGLING_ATTACHMENT },
    format: 'text',
    code: 0,
    stdout: ['a.yaml:5: warning PolicyAttachment/later: spec.policy:', '0 errors, 1 warning'],
  },
  {
    note: 'github format writes workflow commands with file, line and title',
    files: { 'g.yaml': GUARDRAIL, 'p/child.yaml': MISSING_PARENT, 'a.yaml': DANGLING_ATTACHMENT },
    format: 'github',
    code: 1,
    stdout: [
      '::error file=p/child.yaml,line=7,title=Policy/child spec.inherit::spec.inherit: ',
      '::warning file=a.yaml,line=5,title=PolicyAttachment/later spec.policy::',
    ],
  },
  {
    note: 'a malformed PolicyTest is reported too',
    files: {
      'g.yaml': GUARDRAIL,
      't.yaml':
        'apiVersion: railyard.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: t}\nspec:\n  cases:\n    - name: x\n      context: {team: a}\n      expect: {guardrails: []}\n',
    },
    format: 'text',
    code: 1,
    stdout: ['t.yaml:7: error PolicyTest/t: spec.cases[0].context.team: unknown field'],
  },
];

describe.concurrent('railyard validate', () => {
  for (const c of cases) {
    test(c.note, async () => {
      const dir = await writeTree(c.files);
      const run = await runCli(['validate', '--format', c.format, '.'], { cwd: dir });
      expect(run.code, run.stdout + run.stderr).toBe(c.code);
      for (const s of c.stdout) expect(run.stdout).toContain(s);
    });
  }

  test('json format gives every problem with file, line, object and path', async () => {
    const dir = await writeTree({ 'g.yaml': GUARDRAIL, 'child.yaml': MISSING_PARENT });
    const run = await runCli(['validate', '--format', 'json', dir]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ valid: false, errors: 1, warnings: 0 });
    expect(report.problems[0]).toMatchObject({
      severity: 'error',
      code: 'invalid_inheritance',
      line: 7,
      object: 'Policy/child',
      path: 'spec.inherit',
    });
    expect(report.problems[0].file).toMatch(/child\.yaml$/);
  });

  test('a path that does not exist exits 2', async () => {
    const run = await runCli(['validate', 'no/such/folder']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no such file or folder: no/such/folder');
  });

  test('the examples are valid', async () => {
    const run = await runCli(['validate', 'examples/']);
    expect(run.stdout).toBe('valid: no problems found\n');
    expect(run.code).toBe(0);
  });
});

describe('validate refuses what serve refuses', () => {
  test('a billion-laughs file, a named pipe and an oversized file, each with file and line', async () => {
    const { execFileSync } = await import('node:child_process');
    const { BILLION_LAUGHS } = await import('../support/hostile-inputs.ts');
    const dir = await writeTree({
      'lol.yaml': BILLION_LAUGHS,
      'g.yaml': GUARDRAIL,
      'big.yaml': `# ${'x'.repeat(9 << 20)}\n`,
    });
    execFileSync('mkfifo', [`${dir}/pipe.yaml`]);
    const r = await runCli(['validate', dir], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      expect.stringMatching(
        /^big\.yaml:1: error: .*file is 9437187 bytes, over the limit of 8388608 \(--yaml-max-file-bytes\); it was not read \[invalid_syntax\]$/,
      ),
      expect.stringMatching(
        /^lol\.yaml:10: error: .*lol\.yaml: its aliases expand to more than 10000 nodes \(--yaml-max-alias-nodes\); the file was not read \[invalid_syntax\]$/,
      ),
      expect.stringMatching(
        /^pipe\.yaml:1: warning: .*a named pipe \(FIFO\), not a regular file: skipped, never opened \[invalid_syntax\]$/,
      ),
      '2 errors, 1 warning',
      '',
    ]);
  });
});
