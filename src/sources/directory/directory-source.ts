import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { DeclaredInput } from '../../engine/index.ts';
import { type LoadedFile, listResourceFiles, resourcesFromText } from '../../resources/index.ts';
import type { Source, SourceTrouble } from '../source.ts';

export type DirectorySourceOptions = {
  readonly dirs: readonly string[];
  readonly defaultNamespace: string;
  /** Told about every error reading or watching the folders (for a log line); `trouble()` says it too. */
  readonly onError: (error: Error) => void;
};

const DEFAULTS = { defaultNamespace: 'default', onError: () => {} } as const;

const FILE_EVENTS = new Set(['add', 'change', 'unlink']);
/** Longer than chokidar's 50 ms per-path throttle of change events. */
const SETTLE_MS = 80;
const RESOURCE_FILE = /\.(ya?ml|json)$/i;
const IGNORED = /(^|[/\\])(\.git|node_modules)([/\\]|$)/;

type FileStamp = {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
  readonly real: string;
};

/**
 * The embedded default source: every `*.yaml`/`*.yml`/`*.json` under one or more folders. It
 * follows additions, edits, deletions and symlink swaps (git-sync's `current -> rev-N`) and
 * re-reads only files whose identity changed. Reads run one batch at a time: file events that
 * arrive during a read make the next batch. A file that disappears takes everything it declared
 * with it.
 */
export class DirectorySource implements Source {
  readonly #opts: DirectorySourceOptions;
  readonly #files = new Map<string, { stamp: FileStamp; text: string; loaded: LoadedFile }>();
  #watchers: FSWatcher[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Paths named by file events since the last batch, or `all` when only a rescan will do. */
  #pending: Set<string> | 'all' = new Set();
  /** Paths to read once more after chokidar's throttle window (no further re-read after that). */
  #recheck = new Set<string>();
  #reading: Promise<void> | undefined;
  #changed: () => void = () => {};
  #synced = false;
  #stopped = false;
  #trouble: SourceTrouble | undefined;
  #view: DeclaredInput | undefined;

  /** Stores its options only; `start` reads and watches. */
  constructor(opts: Partial<DirectorySourceOptions> & Pick<DirectorySourceOptions, 'dirs'>) {
    this.#opts = { ...DEFAULTS, ...opts, dirs: opts.dirs.map((d) => resolve(d)) };
  }

  async start(changed: () => void, signal: AbortSignal): Promise<void> {
    this.#changed = changed;
    // Watch before the first read, so nothing written in between is missed.
    this.#watchers = await this.#watch((event, path) => this.#schedule(event, path));
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    this.#pending = 'all';
    await this.#drain();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all(this.#watchers.map((w) => w.close()));
    this.#watchers = [];
    await this.#reading;
  }

  synced(): boolean {
    return this.#synced;
  }

  trouble(): SourceTrouble | undefined {
    return this.#trouble;
  }

  view(): DeclaredInput {
    if (this.#view === undefined) {
      const files = [...this.#files.values()].map((f) => f.loaded);
      this.#view = {
        resources: files.flatMap((f) => f.resources),
        rejected: files.flatMap((f) => f.rejected),
      };
    }
    return this.#view;
  }

  /** File events name the files to re-read; anything else (a folder, a symlink swap) rescans. */
  #schedule(event: string, path: string | undefined): void {
    if (this.#pending !== 'all') {
      if (path && FILE_EVENTS.has(event)) this.#pending.add(resolve(path));
      else this.#pending = 'all';
    }
    void this.#drain();
  }

  /**
   * Reads what is pending, one batch at a time, until nothing is; calls `changed` after each
   * batch that changed the view (and after the first). chokidar drops a second change to one path
   * within 50 ms, so every path an event named is read once more after that window.
   */
  #drain(): Promise<void> {
    this.#reading ??= (async () => {
      try {
        while (
          !this.#stopped &&
          (this.#pending === 'all' || this.#pending.size > 0 || this.#recheck.size > 0)
        ) {
          const batch = this.#pending;
          const recheck = this.#recheck;
          this.#pending = new Set();
          this.#recheck = new Set();
          const changed = await this.#read(batch, recheck);
          if (changed || !this.#synced) {
            this.#synced = true;
            this.#view = undefined;
            this.#changed();
          }
        }
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }

  /** One batch; an error is reported and the batch is read again after the settle window. */
  async #read(batch: ReadonlySet<string> | 'all', recheck: ReadonlySet<string>): Promise<boolean> {
    try {
      const changed =
        batch === 'all' ? await this.#rescan() : await this.#refresh(new Set([...batch, ...recheck]));
      if (batch !== 'all' && batch.size > 0) this.#later(() => this.#recheckLater(batch), SETTLE_MS);
      this.#trouble = undefined;
      return changed;
    } catch (e) {
      const error = asError(e);
      this.#trouble ??= {
        since: Date.now(),
        message: `reading ${this.#opts.dirs.join(', ')}: ${error.message}`,
      };
      this.#opts.onError(error);
      this.#later(() => this.#schedule('retry', undefined), SETTLE_MS);
      return false;
    }
  }

  #recheckLater(paths: ReadonlySet<string>): void {
    for (const p of paths) this.#recheck.add(p);
    void this.#drain();
  }

  #later(run: () => void, ms: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  /**
   * Level-based: walks the roots and compares each file's identity (real path, inode, size,
   * mtime) with what was read, so a symlink swap, an editor's rename-over and a missed event all
   * come out right. Returns whether anything changed.
   */
  async #rescan(): Promise<boolean> {
    const paths = await listResourceFiles(this.#opts.dirs);
    let changed = false;
    const seen = new Set<string>();
    for (const path of paths) {
      seen.add(path);
      const stamp = await stampOf(path);
      if (!stamp) continue;
      const known = this.#files.get(path);
      if (known && sameStamp(known.stamp, stamp)) continue;
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text === undefined || known?.text === text) continue;
      this.#load(path, stamp, text);
      changed = true;
    }
    for (const path of this.#files.keys()) {
      if (seen.has(path)) continue;
      this.#files.delete(path);
      changed = true;
    }
    return changed;
  }

  /**
   * Re-reads the files an event named (added, changed or deleted). Their content is compared, not
   * their stamp: two writes within one tick of the file system's clock keep the same mtime.
   */
  async #refresh(paths: ReadonlySet<string>): Promise<boolean> {
    let changed = false;
    for (const path of paths) {
      if (!RESOURCE_FILE.test(path)) continue;
      const [stamp, text] = await Promise.all([stampOf(path), readFile(path, 'utf8').catch(() => undefined)]);
      if (!stamp || text === undefined) {
        changed = this.#files.delete(path) || changed;
        continue;
      }
      if (this.#files.get(path)?.text === text) continue;
      this.#load(path, stamp, text);
      changed = true;
    }
    return changed;
  }

  /**
   * Parses a file. An object the file declared before and still declares unchanged keeps its
   * identity: everything downstream (validation, statuses, the index) then knows at a glance that
   * it did not change, so editing one object of a file costs that object.
   */
  #load(path: string, stamp: FileStamp, text: string): void {
    const loaded = resourcesFromText(this.#shown(path), text, this.#opts.defaultNamespace);
    const before = new Map(
      (this.#files.get(path)?.loaded.resources ?? []).map((r) => [JSON.stringify(r), r]),
    );
    const resources = loaded.resources.map((r) => before.get(JSON.stringify(r)) ?? r);
    this.#files.set(path, { stamp, text, loaded: { ...loaded, resources } });
  }

  /**
   * A file as callers see it in origins (errors, `definition_source`): relative to its watched
   * folder (prefixed with that folder's name when there are several), never the server's layout.
   */
  #shown(path: string): string {
    const dirs = this.#opts.dirs;
    const root = dirs.find((d) => path.startsWith(`${d}${sep}`));
    if (root === undefined) return path;
    const inside = relative(root, path).split(sep).join('/');
    return dirs.length === 1 ? inside : `${basename(root)}/${inside}`;
  }

  /** Watches each root and the folder holding it, so swapping the root's own symlink is seen too. */
  async #watch(onEvent: (event: string, path: string | undefined) => void): Promise<FSWatcher[]> {
    const watchers: FSWatcher[] = [];
    for (const root of this.#opts.dirs) {
      const tree = watch(root, { ignoreInitial: true, followSymlinks: true, ignored: IGNORED });
      tree.on('all', (event, path) => onEvent(event, path));
      // Any event next to the root may be a swap of the root itself: rescan everything.
      const parent = watch(dirname(root), {
        ignoreInitial: true,
        depth: 0,
        followSymlinks: false,
        ignored: IGNORED,
      });
      parent.on('all', (_event, path) => {
        if (resolve(path) === root) onEvent('root', undefined);
      });
      for (const w of [tree, parent]) {
        w.on('error', (e) => this.#opts.onError(asError(e)));
        watchers.push(w);
      }
    }
    await Promise.all(watchers.map((w) => new Promise<void>((ok) => w.once('ready', () => ok()))));
    return watchers;
  }
}

async function stampOf(path: string): Promise<FileStamp | undefined> {
  try {
    const [info, real] = await Promise.all([stat(path), realpath(path)]);
    return { mtimeMs: info.mtimeMs, size: info.size, ino: info.ino, real };
  } catch {
    return undefined; // deleted between the walk and the stat: the next scan drops it
  }
}

const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino && a.real === b.real;

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
