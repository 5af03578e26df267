/**
 * The only CLI-specific step of every command: read folders of YAML and run them through the
 * server's own reconcile (`Registry.applyDeclared` over an in-memory store), so that every answer comes
 * from the snapshot the server would serve for the same files.
 */
import { readFile, stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { ReconcileChange } from '../../engine/index.ts';
import {
  describeOrigin,
  type Labels,
  type Origin,
  type Resource,
  type VersionStatus,
} from '../../engine/index.ts';
import { Registry, type Snapshot } from '../../registry/index.ts';
import { type LoadedFile, loadTree, readDocuments } from '../../resources/index.ts';
import { createMemoryStore } from '../../store/index.ts';

/** Stages `--version-status` can preview as production. */
export const PREVIEW_STAGES = ['draft', 'published'] as const;
export type PreviewStage = (typeof PREVIEW_STAGES)[number];

const STAGE_RANK: Readonly<Record<VersionStatus, number>> = { draft: 0, published: 1, production: 2 };

/** The default namespace of documents that name none: the same as `railyard serve`. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * A registry with no history, in memory. Ids are positional (`…-000000000001` in the order versions
 * are created) and the clock is fixed, so the same files always give byte-identical answers.
 */
export async function newCliApp(): Promise<Registry> {
  let next = 0;
  const app = new Registry({
    store: createMemoryStore(),
    now: () => new Date(0),
    newId: () => `00000000-0000-4000-8000-${(++next).toString(16).padStart(12, '0')}`,
  });
  await app.load();
  return app;
}

/** The roots that do not exist, so a command can refuse a typo instead of reading nothing. */
export async function missingPaths(paths: readonly string[]): Promise<string[]> {
  const found = await Promise.all(
    paths.map((p) =>
      stat(p).then(
        () => true,
        () => false,
      ),
    ),
  );
  return paths.filter((_, i) => !found[i]);
}

/**
 * The resources of the files as one reconcile input. With `preview`, a policy whose
 * `spec.versionStatus` is at that stage or beyond (draft < published < production) is applied as
 * `production`: since the CLI starts from an empty history, each declared policy has exactly one
 * version, its file's content, so this is "the newest version at or beyond that stage is in
 * production".
 */
export function declaredInput(
  files: readonly LoadedFile[],
  preview?: PreviewStage,
  namespaceLabels?: ReadonlyMap<string, Labels>,
) {
  const resources = files.flatMap((f) => f.resources).map((r) => promoted(r, preview));
  return {
    resources,
    rejected: files.flatMap((f) => f.rejected),
    ...(namespaceLabels ? { namespaceLabels } : {}),
  };
}

/**
 * `--namespace-labels FILE`: the labels of the cluster's namespaces, a YAML or JSON mapping
 * `namespace: {label: value}`, so that the CLI evaluates GuardrailFloor selectors as Kubernetes
 * mode would (without it, namespaces have no labels and a selector that reads them is an error).
 * Undefined when no file is given; an error message when it cannot be read.
 */
export async function readNamespaceLabels(
  path: string | undefined,
): Promise<{ ok: true; value: ReadonlyMap<string, Labels> | undefined } | { ok: false; message: string }> {
  if (path === undefined) return { ok: true, value: undefined };
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return { ok: false, message: `cannot read --namespace-labels file ${path}` };
  const { documents, issues } = readDocuments(path, text);
  if (issues[0]) return { ok: false, message: `${path}: ${issues[0].message}` };
  const map = documents[0]?.value;
  const isLabels = (v: unknown): v is Labels =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string');
  if (typeof map !== 'object' || map === null || Array.isArray(map) || !Object.values(map).every(isLabels))
    return {
      ok: false,
      message: `${path}: expected a mapping of namespace to its labels, e.g. {team-a: {railyard.dev/pii: required}}`,
    };
  return { ok: true, value: new Map(Object.entries(map as Record<string, Labels>)) };
}

function promoted(r: Resource, preview: PreviewStage | undefined): Resource {
  if (preview === undefined || r.kind !== 'Policy') return r;
  if (STAGE_RANK[r.spec.versionStatus] < STAGE_RANK[preview]) return r;
  return { ...r, spec: { ...r.spec, versionStatus: 'production' } };
}

export type CliState = {
  readonly files: readonly LoadedFile[];
  readonly app: Registry;
  readonly snapshot: Snapshot;
  readonly changes: readonly ReconcileChange[];
};

/** Reads the roots and reconciles them once into a fresh registry. */
export async function loadState(
  roots: readonly string[],
  opts: {
    readonly defaultNamespace: string;
    readonly preview?: PreviewStage;
    readonly namespaceLabels?: ReadonlyMap<string, Labels>;
  },
): Promise<CliState> {
  const files = await loadTree(roots, opts.defaultNamespace);
  const app = await newCliApp();
  const changes = await app.applyDeclared(declaredInput(files, opts.preview, opts.namespaceLabels));
  return { files, app, snapshot: app.snapshot(), changes };
}

/** How many declared objects the reconcile refused (they are left out of every answer). */
export function invalidCount(snapshot: Snapshot): number {
  return snapshot.statuses.filter((s) => s.issues.some((i) => i.severity === 'error')).length;
}

/** A file path as users should see it: relative to `base` (the working folder, or a revision's root). */
export function displayPath(base: string, path: string): string {
  const rel = relative(base, resolve(path));
  return rel === '' ? '.' : rel;
}

/** `path:line` of an origin, with the path relative to `base`. */
export function displayOrigin(base: string, origin: Origin): string {
  return origin.kind === 'file' ? `${displayPath(base, origin.path)}:${origin.line}` : describeOrigin(origin);
}
