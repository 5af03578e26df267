import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { RejectedDocument, Resource } from '../../engine/index.ts';
import { type LoadedFile, listResourceFiles, resourcesFromText } from '../../resources/index.ts';

export type DirectorySourceOptions = {
  readonly dirs: readonly string[];
  readonly defaultNamespace: string;
  /** Changes arriving within this window are reconciled together. */
  readonly debounceMs: number;
  readonly onError: (error: Error) => void;
};

const DEFAULTS = { defaultNamespace: 'default', debounceMs: 5 } as const;

export type DirectoryView = {
  readonly resources: readonly Resource[];
  readonly rejected: readonly RejectedDocument[];
  readonly files: readonly LoadedFile[];
};

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
 * follows additions, edits, deletions and symlink swaps (git-sync's `current -> rev-N`), re-reads
 * only files whose identity changed, and calls `onChange` with the whole view after each settled
 * batch of changes. A file that disappears takes everything it declared with it.
 */
export class DirectorySource {
  readonly #opts: DirectorySourceOptions;
  readonly #files = new Map<string, { stamp: FileStamp; text: string; loaded: LoadedFile }>();
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  #running: Promise<void> = Promise.resolve();
  #synced = false;

  constructor(opts: Partial<DirectorySourceOptions> & Pick<DirectorySourceOptions, 'dirs' | 'onError'>) {
    this.#opts = { ...DEFAULTS, ...opts, dirs: opts.dirs.map((d) => resolve(d)) };
  }

  /** Reads everything once, calls onChange, then watches until the signal aborts. */
  async start(onChange: (view: DirectoryView) => Promise<void>, signal: AbortSignal): Promise<void> {
    const rescan = async (only?: ReadonlySet<string>): Promise<void> => {
      const changed = only ? await this.#refresh(only) : await this.#rescan();
      if (changed || !this.#synced) {
        this.#synced = true;
        await onChange(this.view());
      }
    };
    // File events name the files to re-read; anything else (a folder, a symlink swap) rescans.
    // chokidar drops a second change to one path within 50 ms, so every batch of files is read
    // once more after that window: a quick second write is never missed.
    const run = (batch: ReadonlySet<string> | 'all'): void => {
      this.#running = this.#running
        .then(() => rescan(batch === 'all' ? undefined : batch))
        .catch((e: unknown) => this.#opts.onError(asError(e)));
    };
    let pending: Set<string> | 'all' = new Set();
    const flush = (): void => {
      const batch = pending;
      pending = new Set();
      run(batch);
      if (batch !== 'all') this.#later(() => run(batch), SETTLE_MS);
    };
    const schedule = (event: string, path: string | undefined): void => {
      if (pending !== 'all') {
        if (path && FILE_EVENTS.has(event)) pending.add(resolve(path));
        else pending = 'all';
      }
      clearTimeout(this.#timer);
      this.#timer = setTimeout(flush, this.#opts.debounceMs);
    };
    // Watch before the first read, so nothing written in between is missed.
    this.#watchers = await this.#watch(schedule);
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    this.#running = rescan();
    await this.#running;
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all(this.#watchers.map((w) => w.close()));
    this.#watchers = [];
    await this.#running;
  }

  #later(run: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  synced(): boolean {
    return this.#synced;
  }

  view(): DirectoryView {
    const files = [...this.#files.values()].map((f) => f.loaded);
    return {
      files,
      resources: files.flatMap((f) => f.resources),
      rejected: files.flatMap((f) => f.rejected),
    };
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
    const loaded = resourcesFromText(path, text, this.#opts.defaultNamespace);
    const before = new Map(
      (this.#files.get(path)?.loaded.resources ?? []).map((r) => [JSON.stringify(r), r]),
    );
    const resources = loaded.resources.map((r) => before.get(JSON.stringify(r)) ?? r);
    this.#files.set(path, { stamp, text, loaded: { ...loaded, resources } });
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
