import { readFile, stat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import {
  type DeclaredInput,
  describeOrigin,
  type RejectedDocument,
  type Resource,
  resourceKey,
} from '../../engine/index.ts';
import {
  type LoadedFile,
  listResourceFiles,
  oversizeIssue,
  resourcesFromText,
  specialFileIssue,
  unreadFile,
  YAML_LIMITS,
  type YamlLimits,
} from '../../resources/index.ts';
import type { Source, SourceTrouble } from '../source.ts';
import {
  type FileEntry,
  type FileStamp,
  held,
  noteHeld,
  sameIssues,
  sameStamp,
  stampOf,
} from './file-entry.ts';
import { type RootWatchers, watchRoots } from './watch-roots.ts';

export type DirectorySourceOptions = {
  readonly dirs: readonly string[];
  readonly defaultNamespace: string;
  /** Told about every error reading or watching the folders (for a log line); `trouble()` says it too. */
  readonly onError: (error: Error) => void;
  /** Told about each file refused or skipped (a syntax error, a limit, a FIFO), once per new problem. */
  readonly onFileProblem: (path: string, message: string) => void;
  /** What one file may hold (`--yaml-max-*`). */
  readonly yamlLimits: YamlLimits;
  /** A full rescan this often, whatever the watcher said: a missed event costs at most this long. */
  readonly resyncMs: number;
};

const DEFAULTS = {
  defaultNamespace: 'default',
  onError: () => {},
  onFileProblem: () => {},
  yamlLimits: YAML_LIMITS,
  resyncMs: 30_000,
} as const;

const FILE_EVENTS = new Set(['add', 'change', 'unlink']);
/** Longer than chokidar's 50 ms per-path throttle of change events. */
const SETTLE_MS = 80;
const RESOURCE_FILE = /\.(ya?ml|json)$/i;

/**
 * The embedded default source: every `*.yaml`/`*.yml`/`*.json` under one or more folders. It
 * follows additions, edits, deletions and symlink swaps (git-sync's `current -> rev-N`) and
 * re-reads only files whose identity changed; a full rescan every `resyncMs` catches any event the
 * watcher missed. Reads run one batch at a time: file events that arrive during a read make the
 * next batch.
 *
 * What a file declares leaves only when the file says so: a file that disappears takes everything
 * it declared with it, and so does a file that reads cleanly without it (an emptied file, once it
 * still reads empty after the settle window, since a writer that truncates first shows one for a
 * moment). A file that does not read cleanly keeps its last good objects serving (see `FileEntry`),
 * and says why in `rejected`. Special files are never opened; files over `yamlLimits.maxFileBytes`
 * never read. The same key declared twice serves the first declaration by path order (then line):
 * the others are rejected, naming the file in force.
 */
export class DirectorySource implements Source {
  readonly #opts: DirectorySourceOptions;
  readonly #files = new Map<string, FileEntry>();
  /** Problems already told to `onFileProblem`, by `path:line message`. */
  #told = new Set<string>();
  #watchers: RootWatchers | undefined;
  #rewatching: Promise<void> | undefined;
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
    this.#watchers = await this.#watch();
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    this.#pending = 'all';
    await this.#drain();
    this.#resync();
  }

  /**
   * Replaces the watchers, then rescans: chokidar loses track of a path that turned from a file
   * into a folder or back (it stops reporting it, or reports a folder's files as changes of the
   * path), so after such a flip only fresh watchers see what happens there next.
   */
  #rewatch(): void {
    if (this.#stopped || this.#rewatching) return;
    this.#rewatching = (async () => {
      const old = this.#watchers;
      this.#watchers = undefined;
      await old?.close();
      if (!this.#stopped) this.#watchers = await this.#watch();
      if (this.#stopped) await this.#watchers?.close();
      this.#rewatching = undefined;
      this.#schedule('rescan', undefined);
    })().catch((e: unknown) => {
      this.#rewatching = undefined;
      this.#opts.onError(asError(e));
    });
  }

  #resync(): void {
    this.#later(() => {
      this.#schedule('resync', undefined);
      this.#resync();
    }, this.#opts.resyncMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.#watchers?.close();
    this.#watchers = undefined;
    await this.#rewatching;
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
      const resources: Resource[] = [];
      const rejected: RejectedDocument[] = [];
      const first = new Map<string, Resource>();
      for (const path of [...this.#files.keys()].sort()) {
        const entry = this.#files.get(path) as FileEntry;
        rejected.push(...entry.loaded.rejected);
        for (const r of entry.serving) {
          const k = resourceKey(r);
          const kept = first.get(k);
          if (kept === undefined) {
            first.set(k, r);
            resources.push(r);
          } else rejected.push(duplicate(r, kept));
        }
      }
      this.#view = { resources, rejected };
      this.#tell(rejected);
    }
    return this.#view;
  }

  /** Tells `onFileProblem` about each rejected document without a key that it was not told yet. */
  #tell(rejected: readonly RejectedDocument[]): void {
    const now = new Set<string>();
    for (const r of rejected) {
      if (r.key || r.origin.kind !== 'file') continue;
      for (const issue of r.issues) {
        const id = `${describeOrigin(r.origin)} ${issue.message}`;
        now.add(id);
        if (!this.#told.has(id))
          this.#opts.onFileProblem(r.origin.path, `${describeOrigin(r.origin)}: ${issue.message}`);
      }
    }
    this.#told = now;
  }

  /**
   * File events name the files to re-read; anything else (a folder added or removed, a symlink
   * swap) rescans now and once more after the settle window: a path that turned from a file into a
   * folder and back may have lost the watcher's events meanwhile.
   */
  #schedule(event: string, path: string | undefined): void {
    if (this.#pending !== 'all') {
      if (path && FILE_EVENTS.has(event)) this.#pending.add(resolve(path));
      else this.#pending = 'all';
    }
    if (path && (event === 'addDir' || event === 'unlinkDir') && RESOURCE_FILE.test(path)) this.#rewatch();
    if (event === 'addDir' || event === 'unlinkDir' || event === 'root')
      this.#later(() => this.#schedule('rescan', undefined), SETTLE_MS);
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
    const special: string[] = [];
    const paths = await listResourceFiles(this.#opts.dirs, (path) => special.push(path));
    let changed = false;
    const seen = new Set<string>();
    for (const path of [...paths, ...special]) {
      seen.add(path);
      const stamp = await stampOf(path);
      if (!stamp) continue;
      const known = this.#files.get(path);
      if (known && sameStamp(known.stamp, stamp) && !known.emptied) continue;
      changed = (await this.#readOne(path, stamp)) || changed;
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
      const stamp = await stampOf(path);
      if (!stamp) {
        changed = this.#files.delete(path) || changed;
        // A file turned into a folder: the watcher may never name what is in it (chokidar
        // reports such flips as plain changes), so list everything again.
        if ((await stat(path).catch(() => undefined))?.isDirectory()) {
          this.#pending = 'all';
          this.#rewatch();
        }
        continue;
      }
      // A folder turned into a file: what was read under it is gone, whether or not events said so.
      for (const known of this.#files.keys())
        if (known.startsWith(`${path}${sep}`)) {
          changed = this.#files.delete(known) || changed;
          this.#rewatch();
        }
      changed = (await this.#readOne(path, stamp)) || changed;
    }
    return changed;
  }

  /**
   * Reads one file whose stamp is `stamp`, unless it must not be opened (a special file) or read
   * (over the size limit): those keep their last good objects, with a warning or an error. A path
   * that is gone or now a folder is dropped. Returns whether the view changes.
   */
  async #readOne(path: string, stamp: FileStamp): Promise<boolean> {
    const limits = this.#opts.yamlLimits;
    const shown = this.#shown(path);
    if (stamp.special)
      return this.#keep(path, stamp, unreadFile(shown, specialFileIssue(shown, stamp.special), 'warning'));
    if (stamp.size > limits.maxFileBytes)
      return this.#keep(path, stamp, unreadFile(shown, oversizeIssue(shown, stamp.size, limits)));
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return this.#files.delete(path);
      // The code, not the message: the message names the server's own path.
      const issue = {
        path: shown,
        line: 1,
        message: `cannot be read (${code ?? 'error'}); check its permissions`,
      };
      return this.#keep(path, stamp, unreadFile(shown, issue));
    }
    const known = this.#files.get(path);
    if (known?.text === text && !known.emptied) return false;
    this.#load(path, stamp, text);
    return true;
  }

  /** Records a file that was not read: its last good objects keep serving, beside its issue. */
  #keep(path: string, stamp: FileStamp, loaded: LoadedFile): boolean {
    const known = this.#files.get(path);
    const kept = held(known?.serving ?? [], loaded);
    const noted = noteHeld(loaded, kept.length);
    if (known && known.text === undefined && sameIssues(known.loaded, noted)) return false;
    this.#files.set(path, { stamp, text: undefined, loaded: noted, serving: kept });
    return true;
  }

  /**
   * Parses a file. An object the file declared before and still declares unchanged keeps its
   * identity: everything downstream (validation, statuses, the index) then knows at a glance that
   * it did not change, so editing one object of a file costs that object. A file that reads
   * empty while it served objects is applied only when it still reads empty on the next read,
   * which the settle window brings.
   */
  #load(path: string, stamp: FileStamp, text: string): void {
    const loaded = resourcesFromText(
      this.#shown(path),
      text,
      this.#opts.defaultNamespace,
      this.#opts.yamlLimits,
    );
    const known = this.#files.get(path);
    const before = new Map((known?.serving ?? []).map((r) => [JSON.stringify(r), r]));
    const resources = loaded.resources.map((r) => before.get(JSON.stringify(r)) ?? r);
    const now = { ...loaded, resources };
    const empty = resources.length === 0 && loaded.rejected.length === 0 && loaded.extras.length === 0;
    if (empty && (known?.serving.length ?? 0) > 0 && !known?.emptied) {
      this.#files.set(path, {
        stamp,
        text,
        loaded: known?.loaded ?? now,
        serving: known?.serving ?? [],
        emptied: true,
      });
      this.#later(() => this.#recheckLater(new Set([path])), SETTLE_MS);
      return;
    }
    const clean = !loaded.rejected.some((r) => r.key === undefined);
    const kept = clean ? [] : held(known?.serving ?? [], now);
    this.#files.set(path, {
      stamp,
      text,
      loaded: noteHeld(now, kept.length),
      serving: [...resources, ...kept],
    });
  }

  #watch(): Promise<RootWatchers> {
    return watchRoots(
      this.#opts.dirs,
      (event, path) => this.#schedule(event, path),
      (e) => this.#opts.onError(asError(e)),
    );
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
}

/** The rejection of a second declaration of `kept`'s key, naming the declaration in force. */
function duplicate(r: Resource, kept: Resource): RejectedDocument {
  const id = r.namespace === 'default' ? r.name : `${r.namespace}/${r.name}`;
  return {
    origin: r.origin,
    issues: [
      {
        code: 'duplicate_object',
        severity: 'error',
        path: 'metadata.name',
        message: `${r.kind} "${id}" is also declared at ${describeOrigin(kept.origin)}, which is in force (the first by file path, then line); this copy is ignored until one of them is removed`,
      },
    ],
  };
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
