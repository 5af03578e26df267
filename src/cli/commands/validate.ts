/**
 * `railyard validate PATH...`: the CRD schema (through the loader) and the semantic checks (the
 * server's reconcile pass) over a tree of YAML, reported with file, line of the field, object,
 * field path and the message that says how to fix it.
 */

import type { Issue, Labels } from '../../engine/index.ts';
import { displayKey, renderIssue } from '../../engine/index.ts';
import type { Io } from '../io.ts';
import {
  DEFAULT_NAMESPACE,
  displayPath,
  loadState,
  missingPaths,
  readNamespaceLabels,
} from './load-state.ts';
import { parsePolicyTest } from './policy-test.ts';

export const VALIDATE_FORMATS = ['text', 'json', 'github'] as const;
export type ValidateFormat = (typeof VALIDATE_FORMATS)[number];

export type ValidateArgs = {
  readonly paths: readonly string[];
  readonly format: ValidateFormat;
  readonly defaultNamespace?: string;
  /** Paths in the report are relative to this folder. */
  readonly cwd: string;
  /** `--namespace-labels`: see `readNamespaceLabels`. */
  readonly namespaceLabelsFile?: string;
};

/** One problem, as every format reports it. */
type Problem = {
  readonly severity: Issue['severity'];
  readonly code: Issue['code'];
  readonly file: string;
  readonly line: number;
  /** `Kind/name` (with `namespace/` when not the default), absent for a document with no name. */
  readonly object?: string;
  readonly path: string;
  readonly message: string;
};

/**
 * Reports every problem of the tree. Exit code: 0 when there are no errors (warnings alone pass),
 * 1 when there is at least one error, 2 when a path does not exist.
 */
export async function validateCommand(args: ValidateArgs, io: Io): Promise<number> {
  const missing = await missingPaths(args.paths);
  if (missing.length > 0) {
    io.stderr.write(`railyard validate: no such file or folder: ${missing.join(', ')}\n`);
    return 2;
  }
  const labels = await readNamespaceLabels(args.namespaceLabelsFile);
  if (!labels.ok) {
    io.stderr.write(`railyard validate: ${labels.message}\n`);
    return 2;
  }
  const problems = await collectProblems(args, labels.value);
  io.stdout.write(render(problems, args.format));
  return problems.some((p) => p.severity === 'error') ? 1 : 0;
}

/** Every problem of the tree, sorted by file, line and message. */
async function collectProblems(
  args: ValidateArgs,
  namespaceLabels?: ReadonlyMap<string, Labels>,
): Promise<Problem[]> {
  const ns = args.defaultNamespace ?? DEFAULT_NAMESPACE;
  const { files, snapshot } = await loadState(args.paths, {
    defaultNamespace: ns,
    ...(namespaceLabels ? { namespaceLabels } : {}),
  });
  const byPath = new Map(files.map((f) => [f.path, f]));
  const problems: Problem[] = [];

  for (const status of snapshot.statuses) {
    const origin = status.origin;
    if (origin.kind !== 'file') continue;
    const file = byPath.get(origin.path);
    for (const issue of status.issues) {
      problems.push({
        severity: issue.severity,
        code: issue.code,
        file: displayPath(args.cwd, origin.path),
        line: file?.locate(status.key, origin, issue.path) ?? origin.line,
        object: displayKey(status.key, ns),
        path: issue.path,
        message: issue.message,
      });
    }
  }
  for (const file of files) {
    for (const rejected of file.rejected) {
      if (rejected.key) continue; // reported through its status above
      for (const issue of rejected.issues) {
        problems.push({
          severity: issue.severity,
          code: issue.code,
          file: displayPath(args.cwd, file.path),
          line: file.locate(undefined, rejected.origin, issue.path),
          path: issue.path,
          message: issue.message,
        });
      }
    }
    for (const extra of file.extras) {
      const checked = parsePolicyTest(extra, ns);
      if (checked.ok) continue;
      const name = (extra.value as { metadata?: { name?: unknown } }).metadata?.name;
      for (const issue of checked.issues) {
        problems.push({
          severity: issue.severity,
          code: issue.code,
          file: displayPath(args.cwd, file.path),
          line: file.locate(undefined, extra.origin, issue.path),
          ...(typeof name === 'string' ? { object: `${extra.kind}/${name}` } : {}),
          path: issue.path,
          message: issue.message,
        });
      }
    }
  }
  return problems.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.message.localeCompare(b.message),
  );
}

function render(problems: readonly Problem[], format: ValidateFormat): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  switch (format) {
    case 'json':
      return `${JSON.stringify({ valid: errors === 0, errors, warnings, problems }, null, 2)}\n`;
    case 'github':
      return problems.map(githubAnnotation).join('');
    case 'text': {
      const lines = problems.map(
        (p) =>
          `${p.file}:${p.line}: ${p.severity}${p.object ? ` ${p.object}` : ''}: ${renderIssue(p)} [${p.code}]\n`,
      );
      const summary =
        problems.length === 0
          ? 'valid: no problems found\n'
          : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`;
      return `${lines.join('')}${summary}`;
    }
  }
}

/** A GitHub Actions workflow command; `%`, CR and LF escaped, and `:`/`,` in properties. */
function githubAnnotation(p: Problem): string {
  const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const title = [p.object, p.path].filter(Boolean).join(' ');
  const command = p.severity === 'error' ? 'error' : 'warning';
  return `::${command} file=${prop(p.file)},line=${p.line},title=${prop(title)}::${data(renderIssue(p))}\n`;
}
