import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  CLUSTER_SCOPE,
  type Issue,
  isClusterScoped,
  type Key,
  KINDS,
  type Kind,
  type Origin,
  type RejectedDocument,
  type Resource,
} from '../engine/index.ts';
import { validateDocument } from '../schema/index.ts';
import {
  type FileLocator,
  oversizeIssue,
  type ReadDocument,
  type ReadIssue,
  readDocuments,
  YAML_LIMITS,
  type YamlLimits,
} from './read-documents.ts';

/** A document of a kind only the CLI reads (`PolicyTest`), with where it came from. */
export type ExtraDocument = { readonly kind: string; readonly value: unknown; readonly origin: Origin };

export type LoadedFile = {
  readonly path: string;
  readonly resources: readonly Resource[];
  readonly rejected: readonly RejectedDocument[];
  readonly extras: readonly ExtraDocument[];
  /** Field path → line, per resource, so reports can point at the exact line. */
  readonly locate: (resource: Key | undefined, origin: Origin, fieldPath: string) => number;
};

const RESOURCE_FILE = /\.(ya?ml|json)$/i;
const SKIPPED_DIRS = new Set(['node_modules', '.git']);
/** Kinds of the railyard.dev group that are files for the CLI, not cluster resources. */
const CLI_KINDS = ['PolicyTest'] as const;

/**
 * Turns one file's text into resources. Documents of other API groups (a kustomization, a
 * workflow) are ignored; railyard.dev documents that fail are rejected with file and line, never
 * thrown.
 */
export function resourcesFromText(
  path: string,
  text: string,
  defaultNamespace: string,
  limits: YamlLimits = YAML_LIMITS,
): LoadedFile {
  const { documents, issues, locator } = readDocuments(path, text, limits);
  return fromDocuments(path, documents, issues, locator, defaultNamespace);
}

/** A file that was not read at all (too large, not a regular file): only its issue. */
export function unreadFile(
  path: string,
  issue: ReadIssue,
  severity: Issue['severity'] = 'error',
): LoadedFile {
  return fromDocuments(path, [], [issue], undefined, '', severity);
}

function fromDocuments(
  path: string,
  documents: readonly ReadDocument[],
  issues: readonly ReadIssue[],
  locator: FileLocator | undefined,
  defaultNamespace: string,
  severity: Issue['severity'] = 'error',
): LoadedFile {
  const resources: Resource[] = [];
  const rejected: RejectedDocument[] = [];
  const extras: ExtraDocument[] = [];
  /** Each document's position in the file, by its line: what `locator` needs, without the document. */
  const slices = new Map<number, number>();
  for (const problem of issues) {
    rejected.push({
      origin: { kind: 'file', path, line: problem.line },
      issues: [{ code: 'invalid_syntax', severity, path: problem.path, message: problem.message }],
    });
  }
  for (const doc of documents) {
    const origin: Origin = { kind: 'file', path, line: doc.line };
    slices.set(doc.line, doc.slice);
    const head = documentHead(doc.value);
    if (!head.apiVersion?.startsWith('railyard.dev/')) continue;
    if ((CLI_KINDS as readonly string[]).includes(head.kind ?? '')) {
      extras.push({ kind: head.kind ?? '', value: doc.value, origin });
      continue;
    }
    const checked = validateDocument(doc.value, origin, defaultNamespace);
    if (checked.ok) resources.push(checked.value);
    else rejected.push({ key: keyFromHead(head, defaultNamespace), origin, issues: checked.issues });
  }
  const locate = (_key: Key | undefined, origin: Origin, fieldPath: string): number => {
    if (origin.kind !== 'file') return 0;
    const slice = slices.get(origin.line);
    return slice === undefined || !locator ? origin.line : locator.locate(slice, origin.line, fieldPath);
  };
  return { path, resources, rejected, extras, locate };
}

/** What a path that is neither a file nor a folder is, for the warning that it was skipped. */
function specialKind(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The warning of a special file: never opened, since reading a FIFO blocks until a writer comes. */
export const specialFileIssue = (path: string, info: Stats): ReadIssue => ({
  path,
  line: 1,
  message: `${specialKind(info)}, not a regular file: skipped, never opened`,
});

/**
 * Every resource file under the roots, recursively, following symlinks, in a stable order.
 * `onSpecial` is told about resource-named paths that are not regular files (FIFOs, sockets,
 * devices); they are never opened.
 */
export async function listResourceFiles(
  roots: readonly string[],
  onSpecial: (path: string, info: Stats) => void = () => {},
): Promise<string[]> {
  const files = new Set<string>();
  const walk = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined);
    if (!info) return;
    if (info.isFile()) {
      if (RESOURCE_FILE.test(path)) files.add(path);
      return;
    }
    if (!info.isDirectory()) {
      if (RESOURCE_FILE.test(path)) onSpecial(path, info);
      return;
    }
    const entries = await readdir(path).catch(goneMidWalk);
    for (const entry of entries.sort()) {
      if (SKIPPED_DIRS.has(entry) || entry.startsWith('..')) continue;
      await walk(join(path, entry));
    }
  };
  for (const root of roots) await walk(resolve(root));
  return [...files];
}

/**
 * A folder removed, or replaced by a file, between its stat and its listing is walked as empty:
 * the tree changed under the walk, and the change is the watcher's to report, not an error.
 */
function goneMidWalk(e: unknown): string[] {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return [];
  throw e;
}

/**
 * Reads every resource file under the roots (for the CLI; the server uses the watching source).
 * A file over `limits.maxFileBytes` is not read, and a special file is not opened: each is a file
 * with only its issue (an error, a warning), as `railyard validate` reports it.
 */
export async function loadTree(
  roots: readonly string[],
  defaultNamespace: string,
  limits: YamlLimits = YAML_LIMITS,
): Promise<LoadedFile[]> {
  const special: LoadedFile[] = [];
  const paths = await listResourceFiles(roots, (path, info) =>
    special.push(unreadFile(path, specialFileIssue(path, info), 'warning')),
  );
  const files = await Promise.all(
    paths.map(async (path) => {
      const { size } = await stat(path);
      if (size > limits.maxFileBytes) return unreadFile(path, oversizeIssue(path, size, limits));
      return resourcesFromText(path, await readFile(path, 'utf8'), defaultNamespace, limits);
    }),
  );
  return [...files, ...special];
}

type Head = { apiVersion?: string; kind?: string; name?: string; namespace?: string; generation?: number };

function documentHead(value: unknown): Head {
  if (typeof value !== 'object' || value === null) return {};
  const doc = value as Record<string, unknown>;
  const metadata = (typeof doc.metadata === 'object' && doc.metadata !== null ? doc.metadata : {}) as Record<
    string,
    unknown
  >;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    apiVersion: str(doc.apiVersion),
    kind: str(doc.kind),
    name: str(metadata.name),
    namespace: str(metadata.namespace),
  };
}

function keyFromHead(head: Head, defaultNamespace: string): Key | undefined {
  if (!head.name || !(KINDS as readonly string[]).includes(head.kind ?? '')) return undefined;
  const kind = head.kind as Kind;
  const namespace = isClusterScoped(kind) ? CLUSTER_SCOPE : (head.namespace ?? defaultNamespace);
  return { kind, namespace, name: head.name };
}
