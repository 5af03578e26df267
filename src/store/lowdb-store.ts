import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TextFile } from 'lowdb/node';
import { StoreError, type StoreState, type VersionStore } from './types.ts';

/** Written into every file; a file with another value is refused rather than misread. */
export const STORE_SCHEMA_VERSION = 1;

/** Actionable tail of every corrupt-file message. */
const MOVE_ASIDE = 'restore it from a backup, or move it aside to start with an empty history';

function storeError(path: string, problem: string): StoreError {
  return new StoreError(`${path}: ${problem}`);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Checks the envelope and the shape the registry relies on; the rest is trusted as written. */
function parseStoreFile(path: string, text: string): StoreState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw storeError(path, `the version store is not valid JSON (${(e as Error).message}); ${MOVE_ASIDE}`);
  }
  if (!isRecord(data) || !('schemaVersion' in data)) {
    throw storeError(path, `not a Railyard version store (no schemaVersion field); ${MOVE_ASIDE}`);
  }
  if (data.schemaVersion !== STORE_SCHEMA_VERSION) {
    throw storeError(
      path,
      `schemaVersion ${JSON.stringify(data.schemaVersion)} is not supported (this Railyard reads ${STORE_SCHEMA_VERSION}); run the Railyard version that wrote it, or ${MOVE_ASIDE}`,
    );
  }
  const { policies, attachments } = data;
  if (!Array.isArray(policies)) throw storeError(path, `"policies" must be an array; ${MOVE_ASIDE}`);
  if (!Array.isArray(attachments)) throw storeError(path, `"attachments" must be an array; ${MOVE_ASIDE}`);
  policies.forEach((p, i) => {
    if (!isRecord(p) || typeof p.name !== 'string' || !Array.isArray(p.versions)) {
      throw storeError(path, `policies[${i}] is not a policy history (name and versions); ${MOVE_ASIDE}`);
    }
  });
  return { policies, attachments } as StoreState;
}

/**
 * A `VersionStore` in one JSON file (directory mode), written through lowdb's node adapter:
 * steno writes a temp file next to it and renames it over the old one, so a crash leaves either
 * the old or the new state, never a mix. Survives a killed process; durability across power loss
 * is up to the file system (no fsync).
 *
 * The state is serialised when `save` is called, and saves run one at a time in call order (the
 * last one wins; never two renames at once). The file holds one history or attachment per line.
 * Each object's JSON is kept (weakly) after its first save and re-used while the object lives:
 * the registry replaces a history it changes and never mutates one, so a save costs what changed
 * plus one write of the file, not a serialisation of everything. The directory is created on the first save. A
 * missing file loads as the empty state; an unreadable or corrupt one throws a `StoreError`
 * naming the file and what to do. One store per file: two processes writing one file race.
 */
export function createLowdbStore(path: string): VersionStore {
  const file = new TextFile(path);
  let tail: Promise<void> = Promise.resolve();
  const serialised = new WeakMap<object, string>();
  const json = (item: object): string => {
    let text = serialised.get(item);
    if (text === undefined) {
      text = JSON.stringify(item);
      serialised.set(item, text);
    }
    return text;
  };
  const list = (items: readonly object[]): string =>
    items.length === 0 ? '[]' : `[\n${items.map(json).join(',\n')}\n]`;

  async function write(text: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await file.write(text);
  }

  return {
    async load() {
      let text: string | null;
      try {
        text = await file.read();
      } catch (e) {
        throw storeError(
          path,
          `the version store cannot be read (${(e as Error).message}); check the path and its permissions`,
        );
      }
      return text === null ? { policies: [], attachments: [] } : parseStoreFile(path, text);
    },
    save(state) {
      const text = `{"schemaVersion": ${STORE_SCHEMA_VERSION},\n"policies": ${list(state.policies)},\n"attachments": ${list(state.attachments)}}\n`;
      const done = tail.then(() => write(text));
      tail = done.catch(() => undefined);
      return done;
    },
  };
}
