/**
 * `railyard diff BASE HEAD` / `railyard diff --git A..B [-- PATH]`: what a change does. The base
 * tree is reconciled into a fresh registry and the head tree on top of it, exactly as the server
 * would see the merge, so version decisions (a new draft, a promotion, a revert that re-uses a
 * version) and the last-good rule for invalid objects are the server's own.
 */
import { readFile } from 'node:fs/promises';
import type { Key, Labels, RequestContext, Resource } from '../../engine/index.ts';
import { blastRadius, contextLabel, namedContexts, renderIssue } from '../../engine/index.ts';
import { fromWireContext } from '../../http/index.ts';
import { type LoadedFile, loadTree, readDocuments } from '../../resources/index.ts';
import type { Io } from '../io.ts';
import { diffObjects } from './diff-objects.ts';
import { renderDiff } from './diff-render.ts';
import type { DiffFormat, DiffReport } from './diff-report.ts';
import { diffVersions } from './diff-versions.ts';
import { exportRevision, parseRange, repositoryRoot } from './git-tree.ts';
import {
  DEFAULT_NAMESPACE,
  declaredInput,
  displayOrigin,
  missingPaths,
  newCliApp,
  readNamespaceLabels,
} from './load-state.ts';

type DiffSource =
  | {
      readonly source: 'folders';
      readonly base?: string;
      readonly head?: string;
      readonly extra: readonly string[];
    }
  | {
      readonly source: 'git';
      readonly range: string;
      readonly path?: string;
      readonly extra: readonly string[];
    };

export type DiffArgs = DiffSource & {
  readonly contextsFile?: string;
  readonly failOnRemoval: readonly string[];
  readonly format: DiffFormat;
  readonly defaultNamespace?: string;
  readonly cwd: string;
  /** `--namespace-labels`: see `readNamespaceLabels` (both sides). */
  readonly namespaceLabelsFile?: string;
};

type Side = { readonly label: string; readonly files: readonly LoadedFile[]; readonly root: string };

/**
 * Prints the report. Exit code: 0; 1 when `--fail-on-removal` names a guardrail some context
 * loses; 2 when the input cannot be read (missing folder, unknown revision, bad contexts file).
 */
export async function diffCommand(args: DiffArgs, io: Io): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`railyard diff: ${message}\n`);
    return 2;
  };
  if (args.extra.length > 0) return fail(`unexpected arguments: ${args.extra.join(' ')}`);
  const contexts = await readContexts(args.contextsFile);
  if (!contexts.ok) return fail(contexts.message);
  const labels = await readNamespaceLabels(args.namespaceLabelsFile);
  if (!labels.ok) return fail(labels.message);
  const ns = args.defaultNamespace ?? DEFAULT_NAMESPACE;
  const sides = await readSides(args, ns);
  if (!sides.ok) return fail(sides.message);
  try {
    const report = await buildReport(
      sides.value.base,
      sides.value.head,
      contexts.value,
      args.failOnRemoval,
      labels.value,
    );
    io.stdout.write(renderDiff(report, args.format, ns));
    for (const v of report.violations)
      io.stderr.write(`railyard diff: [${v.namespace}] ${v.context} loses ${v.guardrail}\n`);
    return report.violations.length > 0 ? 1 : 0;
  } finally {
    await sides.value.dispose();
  }
}

async function buildReport(
  base: Side,
  head: Side,
  extraContexts: readonly RequestContext[],
  failOnRemoval: readonly string[],
  namespaceLabels: ReadonlyMap<string, Labels> | undefined,
): Promise<DiffReport> {
  const app = await newCliApp();
  await app.applyDeclared(declaredInput(base.files, undefined, namespaceLabels));
  const before = app.snapshot();
  const changes = await app.applyDeclared(declaredInput(head.files, undefined, namespaceLabels));
  const after = app.snapshot();

  const resourcesOf = (s: Side): Resource[] => s.files.flatMap((f) => f.resources);
  const objects = diffObjects(resourcesOf(base), resourcesOf(head)).map((o) => ({
    ...o,
    at: displayOrigin(o.change === 'removed' ? base.root : head.root, o.origin),
  }));
  const indexes = (s: typeof before) => new Map([...s.namespaces].map(([ns, v]) => [ns, v.index]));
  const impacts = blastRadius(
    indexes(before),
    indexes(after),
    namedContexts([...resourcesOf(base), ...resourcesOf(head)]),
    extraContexts,
  );
  const objectOf = (k: Key) =>
    k.namespace === '' ? `${k.kind}/${k.name}` : `${k.kind}/${k.namespace}/${k.name}`;
  const invalid = after.statuses
    .filter((s) => s.issues.some((i) => i.severity === 'error'))
    .map((s) => ({
      object: objectOf(s.key),
      at: displayOrigin(head.root, s.origin),
      issues: s.issues.filter((i) => i.severity === 'error').map(renderIssue),
    }));
  const ignoredRemovals = after.statuses.flatMap((s) =>
    s.issues
      .filter((i) => i.code === 'mandatory_guardrail')
      .map((i) => ({ object: objectOf(s.key), at: displayOrigin(head.root, s.origin), message: i.message })),
  );
  const watched = new Set(failOnRemoval);
  const violations = impacts.flatMap((impact) =>
    impact.lost
      .filter((g) => watched.has(g))
      .map((guardrail) => ({
        namespace: impact.namespace,
        context: contextLabel(impact.context),
        guardrail,
      })),
  );
  return {
    base: base.label,
    head: head.label,
    objects,
    versions: diffVersions(before, after, changes),
    blastRadius: impacts,
    invalid,
    ignoredRemovals,
    violations,
  };
}

type Read<T> = { ok: true; value: T } | { ok: false; message: string };

async function readSides(
  args: DiffArgs,
  ns: string,
): Promise<Read<{ base: Side; head: Side; dispose: () => Promise<void> }>> {
  if (args.source === 'folders') {
    if (args.base === undefined || args.head === undefined)
      return { ok: false, message: 'give BASE and HEAD folders, or --git A..B' };
    const missing = await missingPaths([args.base, args.head]);
    if (missing.length > 0) return { ok: false, message: `no such file or folder: ${missing.join(', ')}` };
    const side = async (path: string): Promise<Side> => ({
      label: path,
      files: await loadTree([path], ns),
      root: args.cwd,
    });
    return {
      ok: true,
      value: { base: await side(args.base), head: await side(args.head), dispose: async () => {} },
    };
  }
  const range = parseRange(args.range);
  if (!range.ok) return range;
  const top = await repositoryRoot(args.cwd);
  if (!top.ok) return top;
  const baseTree = await exportRevision(top.value, args.cwd, range.value.base, args.path);
  if (!baseTree.ok) return baseTree;
  const headTree = await exportRevision(top.value, args.cwd, range.value.head, args.path);
  if (!headTree.ok) {
    await baseTree.value.dispose();
    return headTree;
  }
  const suffix = args.path === undefined ? '' : ` (${args.path})`;
  const side = async (tree: typeof baseTree.value, rev: string): Promise<Side> => ({
    label: `${rev}${suffix}`,
    files: await loadTree([tree.dir], ns),
    root: tree.root,
  });
  return {
    ok: true,
    value: {
      base: await side(baseTree.value, range.value.base),
      head: await side(headTree.value, range.value.head),
      dispose: async () => {
        await Promise.all([baseTree.value.dispose(), headTree.value.dispose()]);
      },
    },
  };
}

/** `--contexts FILE`: a YAML or JSON list of `{team_alias, key_alias, model, tags}`. */
async function readContexts(path: string | undefined): Promise<Read<RequestContext[]>> {
  if (path === undefined) return { ok: true, value: [] };
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return { ok: false, message: `cannot read --contexts file ${path}` };
  const { documents, issues } = readDocuments(path, text);
  if (issues[0]) return { ok: false, message: issues[0].message };
  const list = documents[0]?.value;
  const fields = new Set(['team_alias', 'key_alias', 'model', 'tags']);
  const valid = (c: unknown): boolean =>
    typeof c === 'object' &&
    c !== null &&
    Object.entries(c).every(
      ([k, v]) =>
        fields.has(k) &&
        (v === null ||
          (k === 'tags' ? Array.isArray(v) && v.every((t) => typeof t === 'string') : typeof v === 'string')),
    );
  if (!Array.isArray(list) || !list.every(valid)) {
    return {
      ok: false,
      message: `${path}: expected a list of {team_alias, key_alias, model, tags} (strings; tags a list of strings)`,
    };
  }
  return { ok: true, value: list.map((c) => fromWireContext(c)) };
}
