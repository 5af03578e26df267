/**
 * The usage window on disk (directory mode): one small JSON file in `--data`, so a restart keeps
 * the recent window. Writes are debounced and atomic (a temporary file renamed over the old one);
 * a file that does not read back is reported and replaced, never a reason not to start.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { UsageRecorder } from './recorder.ts';
import type { ShadowRecorder } from './shadow-recorder.ts';

export type UsageFileOptions = {
  readonly path: string;
  /** Longest a change waits before it is written. */
  readonly debounceMs: number;
  /** A problem with the file (unreadable, corrupt, a failed write); the server goes on. */
  readonly onProblem: (message: string, error?: unknown) => void;
};

export class UsageFile {
  readonly #opts: UsageFileOptions;
  #recorder: UsageRecorder | undefined;
  #shadows: ShadowRecorder | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(opts: Partial<UsageFileOptions> & Pick<UsageFileOptions, 'path' | 'onProblem'>) {
    this.#opts = { debounceMs: 5_000, ...opts };
  }

  /**
   * Reads the file into `recorder` (and what shadow runs found into `shadows`, kept in the same
   * file under `shadows`) and saves their changes from then on. A missing file is a fresh start;
   * an unreadable or corrupt one is reported (`onProblem`) and replaced at the next write.
   */
  async attach(recorder: UsageRecorder, shadows?: ShadowRecorder): Promise<void> {
    this.#recorder = recorder;
    this.#shadows = shadows;
    const text = await readFile(this.#opts.path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') this.#opts.onProblem(`cannot read ${this.#opts.path}; usage starts fresh`, e);
      return undefined;
    });
    if (text === undefined) return;
    let restored = false;
    let parsed: { shadows?: unknown } | undefined;
    try {
      parsed = JSON.parse(text) as { shadows?: unknown };
      restored = recorder.restore(parsed);
    } catch {
      restored = false;
    }
    if (!restored)
      this.#opts.onProblem(`${this.#opts.path} is not a usage file this version reads; usage starts fresh`);
    else if (shadows && parsed?.shadows !== undefined && !shadows.restore(parsed.shadows))
      this.#opts.onProblem(
        `${this.#opts.path}: its shadow counts are not what this version reads; they start fresh`,
      );
  }

  /** Called on every change: schedules one write within `debounceMs`. No I/O here. */
  changed(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#write();
    }, this.#opts.debounceMs);
    this.#timer.unref();
  }

  /** Writes now what is pending (at shutdown). */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      await this.#write();
    }
    await this.#writing;
  }

  #write(): Promise<void> {
    const recorder = this.#recorder;
    if (!recorder) return Promise.resolve();
    this.#writing = this.#writing.then(async () => {
      const tmp = `${this.#opts.path}.${process.pid}.tmp`;
      try {
        await mkdir(dirname(this.#opts.path), { recursive: true });
        const shadows = this.#shadows?.state();
        await writeFile(tmp, JSON.stringify({ ...recorder.state(), ...(shadows ? { shadows } : {}) }));
        await rename(tmp, this.#opts.path);
      } catch (e) {
        this.#opts.onProblem(`cannot write ${this.#opts.path}`, e);
      }
    });
    return this.#writing;
  }
}
