/**
 * What the directory source knows of one file: its identity on disk (`FileStamp`), what it read
 * and what it serves (`FileEntry`), and the rule that a file which does not read cleanly keeps
 * serving its last good objects.
 */
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { type Resource, resourceKey } from '../../engine/index.ts';
import type { LoadedFile } from '../../resources/index.ts';

export type FileStamp = {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
  readonly real: string;
  /** Not a regular file (a FIFO, a socket, a device): never opened. */
  readonly special?: Stats;
};

/**
 * One file as read: its text, what it parsed to, and what it serves. `serving` is `loaded`'s
 * resources when the file read cleanly; when it did not (a syntax error, a limit, a document with
 * no kind or name, a file that cannot be opened), the objects it declared before and no longer
 * declares are kept in it too, at their last good version, until it reads cleanly again.
 */
export type FileEntry = {
  readonly stamp: FileStamp;
  readonly text: string | undefined;
  readonly loaded: LoadedFile;
  readonly serving: readonly Resource[];
  /** It read empty while it still served objects: applied only if it still reads empty later. */
  readonly emptied?: boolean;
};

/** The identity of a regular or special file; undefined when it is gone or is a folder. */
export async function stampOf(path: string): Promise<FileStamp | undefined> {
  try {
    const [info, real] = await Promise.all([stat(path), realpath(path)]);
    if (info.isDirectory()) return undefined;
    const special = info.isFile() ? {} : { special: info };
    return { mtimeMs: info.mtimeMs, size: info.size, ino: info.ino, real, ...special };
  } catch {
    return undefined; // deleted between the walk and the stat: the next scan drops it
  }
}

export const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino && a.real === b.real;

/** The objects of `before` that `now` neither declares nor rejects under their key: still in force. */
export function held(before: readonly Resource[], now: LoadedFile): Resource[] {
  const named = new Set([
    ...now.resources.map((r) => resourceKey(r)),
    ...now.rejected.flatMap((r) => (r.key ? [resourceKey(r.key)] : [])),
  ]);
  return before.filter((r) => !named.has(resourceKey(r)));
}

/** Says, on the file's own problems, that its last good objects keep serving. */
export function noteHeld(loaded: LoadedFile, count: number): LoadedFile {
  if (count === 0) return loaded;
  const note = `; the ${count === 1 ? 'object' : `${count} objects`} it declared before keep${count === 1 ? 's' : ''} serving until it reads cleanly`;
  return {
    ...loaded,
    rejected: loaded.rejected.map((r) =>
      r.key ? r : { ...r, issues: r.issues.map((i) => ({ ...i, message: `${i.message}${note}` })) },
    ),
  };
}

export const sameIssues = (a: LoadedFile, b: LoadedFile): boolean =>
  JSON.stringify(a.rejected) === JSON.stringify(b.rejected);
