import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type Key,
  KINDS,
  type Kind,
  type Origin,
  type RejectedDocument,
  type Resource,
} from '../engine/index.ts';
import { validateDocument } from '../schema/index.ts';
import { readDocuments } from './read-documents.ts';

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
export const CLI_KINDS = ['PolicyTest'] as const;

/**
 * Turns one file's text into resources. Documents of other API groups (a kustomization, a
 * workflow) are ignored; railyard.dev documents that fail are rejected with file and line, never
 * thrown.
 */
export function resourcesFromText(path: string, text: string, defaultNamespace: string): LoadedFile {
  const { documents, issues, locator } = readDocuments(path, text);
  const resources: Resource[] = [];
  const rejected: RejectedDocument[] = [];
  const extras: ExtraDocument[] = [];
  /** Each document's position in the file, by its line: what `locator` needs, without the document. */
  const slices = new Map<number, number>();
  for (const problem of issues) {
    rejected.push({
      origin: { kind: 'file', path, line: problem.line },
      issues: [{ code: 'invalid_syntax', severity: 'error', path: problem.path, message: problem.message }],
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
    return slice === undefined ? origin.line : locator.locate(slice, origin.line, fieldPath);
  };
  return { path, resources, rejected, extras, locate };
}

/** Every resource file under the roots, recursively, following symlinks, in a stable order. */
export async function listResourceFiles(roots: readonly string[]): Promise<string[]> {
  const files = new Set<string>();
  const walk = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined);
    if (!info) return;
    if (info.isFile()) {
      if (RESOURCE_FILE.test(path)) files.add(path);
      return;
    }
    if (!info.isDirectory()) return;
    const entries = await readdir(path);
    for (const entry of entries.sort()) {
      if (SKIPPED_DIRS.has(entry) || entry.startsWith('..')) continue;
      await walk(join(path, entry));
    }
  };
  for (const root of roots) await walk(resolve(root));
  return [...files];
}

/** Reads every resource file under the roots (for the CLI; the server uses the watching source). */
export async function loadTree(roots: readonly string[], defaultNamespace: string): Promise<LoadedFile[]> {
  const paths = await listResourceFiles(roots);
  return Promise.all(
    paths.map(async (path) => resourcesFromText(path, await readFile(path, 'utf8'), defaultNamespace)),
  );
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
  return { kind: head.kind as Kind, namespace: head.namespace ?? defaultNamespace, name: head.name };
}
