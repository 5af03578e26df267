import { afterEach, describe, expect, test, vi } from 'vitest';
import { type Handler, type QueueOptions, WorkQueue } from '../../../src/reconcile/queue.ts';

/** A manual clock: timers fire only on `advance`. Records every delay asked for. */
class FakeTimers {
  now = 0;
  delays: number[] = [];
  #timers: { at: number; fn: () => void; live: boolean }[] = [];
  options(): Pick<QueueOptions, 'now' | 'setTimer'> {
    return {
      now: () => this.now,
      setTimer: (fn, ms) => {
        this.delays.push(ms);
        const t = { at: this.now + ms, fn, live: true };
        this.#timers.push(t);
        return () => {
          t.live = false;
        };
      },
    };
  }
  pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const t of this.#timers.filter((x) => x.live && x.at <= this.now)) {
      t.live = false;
      t.fn();
    }
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const controllers: AbortController[] = [];
afterEach(() => {
  for (const c of controllers.splice(0)) c.abort();
});

function start(q: WorkQueue, handler: Handler, workers = 2) {
  const ctl = new AbortController();
  controllers.push(ctl);
  const done = q.run(handler, { workers, signal: ctl.signal });
  return { ctl, done };
}

describe('WorkQueue', () => {
  test('de-duplicates keys that are waiting', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.metrics()).toMatchObject({ depth: 2, adds: 2 });
    const seen: string[] = [];
    start(q, async (key) => {
      seen.push(key);
      return {};
    });
    await vi.waitFor(() => expect(q.metrics().successes).toBe(2));
    expect(seen.sort()).toEqual(['ns/a', 'ns/b']);
  });

  test('never runs one key on two workers; a key re-added in flight runs again afterwards', async () => {
    const q = new WorkQueue();
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    start(
      q,
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        if (runs === 1) await gate.promise;
        running--;
        return {};
      },
      4,
    );
    q.add('ns/a');
    await vi.waitFor(() => expect(runs).toBe(1));
    q.add('ns/a');
    q.add('ns/a');
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toBe(1);
    expect(q.metrics()).toMatchObject({ active: 1, depth: 0 });
    gate.resolve();
    await vi.waitFor(() => expect(runs).toBe(2));
    await vi.waitFor(() => expect(q.metrics().active).toBe(0));
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  test('tells its observer how long keys waited and handlers ran (client-go workqueue metrics)', async () => {
    const timers = new FakeTimers();
    const seen = { added: 0, retried: 0, queued: [] as number[], worked: [] as number[] };
    const q = new WorkQueue({
      ...timers.options(),
      observer: {
        added: () => seen.added++,
        retried: () => seen.retried++,
        queued: (s) => seen.queued.push(s),
        worked: (s) => seen.worked.push(s),
      },
    });
    const gate = deferred();
    q.add('ns/a'); // waits 3 ms for a worker
    q.add('ns/a'); // de-duplicated: not an add
    timers.now = 3;
    let runs = 0;
    start(q, async () => {
      runs++;
      if (runs === 1) await gate.promise;
      return {};
    });
    await vi.waitFor(() => expect(runs).toBe(1));
    timers.now = 10;
    q.add('ns/a'); // re-added while in flight: waits for the run to end
    expect(q.metrics()).toMatchObject({ active: 1, longestSeconds: 0.007, unfinishedSeconds: 0.007 });
    timers.now = 250;
    gate.resolve();
    await vi.waitFor(() => expect(runs).toBe(2));
    await vi.waitFor(() => expect(seen.worked.length).toBe(2));
    expect(seen).toEqual({ added: 2, retried: 0, queued: [0.003, 0.24], worked: [0.247, 0] });
    expect(q.metrics()).toMatchObject({ active: 0, longestSeconds: 0, unfinishedSeconds: 0 });
  });

  test('different keys run in parallel up to the worker count', async () => {
    const q = new WorkQueue();
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    start(
      q,
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await gate.promise;
        running--;
        return {};
      },
      3,
    );
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await vi.waitFor(() => expect(running).toBe(3));
    gate.resolve();
    await vi.waitFor(() => expect(q.metrics().successes).toBe(5));
    expect(maxRunning).toBe(3);
  });

  test('failures back off exponentially up to the cap; a thrown error never stops the loop', async () => {
    const timers = new FakeTimers();
    const errors: string[] = [];
    const q = new WorkQueue({
      ...timers.options(),
      baseDelayMs: 5,
      maxDelayMs: 30,
      onError: (key, e) => errors.push(`${key}: ${(e as Error).message}`),
    });
    let runs = 0;
    start(q, async () => {
      runs++;
      throw new Error('boom');
    });
    q.add('ns/a');
    for (let i = 1; i <= 6; i++) {
      await vi.waitFor(() => expect(runs).toBe(i));
      await vi.waitFor(() => expect(timers.pending()).toBe(1));
      timers.advance(30);
    }
    await vi.waitFor(() => expect(runs).toBe(7));
    expect(timers.delays.slice(0, 6)).toEqual([5, 10, 20, 30, 30, 30]);
    expect(q.failures('ns/a')).toBeGreaterThanOrEqual(6);
    expect(q.metrics()).toMatchObject({ retries: q.failures('ns/a'), successes: 0 });
    expect(errors[0]).toBe('ns/a: boom');
  });

  test('a success forgets the backoff, so the next failure starts again at the base delay', async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ ...timers.options(), baseDelayMs: 5, maxDelayMs: 1000 });
    const script = ['fail', 'fail', 'ok', 'fail'];
    let runs = 0;
    start(q, async () => {
      const step = script[runs++];
      if (step === 'fail') throw new Error('transient');
      return {};
    });
    q.add('k');
    await vi.waitFor(() => expect(q.failures('k')).toBe(1));
    timers.advance(5);
    await vi.waitFor(() => expect(q.failures('k')).toBe(2));
    timers.advance(10);
    await vi.waitFor(() => expect(runs).toBe(3));
    expect(q.failures('k')).toBe(0);
    q.add('k');
    await vi.waitFor(() => expect(q.failures('k')).toBe(1));
    expect(timers.delays).toEqual([5, 10, 5]);
    expect(q.metrics()).toMatchObject({ errors: 3, retries: 3, successes: 1 });
  });

  test('requeueAfterMs adds the key again after that delay, without counting a retry', async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue(timers.options());
    let runs = 0;
    start(q, async () => (++runs === 1 ? { requeueAfterMs: 60_000 } : {}));
    q.add('k');
    await vi.waitFor(() => expect(timers.delays).toEqual([60_000]));
    timers.advance(59_999);
    await new Promise((r) => setTimeout(r, 10));
    expect(runs).toBe(1);
    timers.advance(1);
    await vi.waitFor(() => expect(runs).toBe(2));
    expect(q.metrics().retries).toBe(0);
  });

  const addAfterCases = [
    { note: 'an earlier addAfter replaces a later one', first: 100, second: 10, firesAt: 10 },
    { note: 'a later addAfter is dropped', first: 10, second: 100, firesAt: 10 },
  ];
  for (const c of addAfterCases) {
    test(c.note, async () => {
      const timers = new FakeTimers();
      const q = new WorkQueue(timers.options());
      let runs = 0;
      start(q, async () => {
        runs++;
        return {};
      });
      q.addAfter('k', c.first);
      q.addAfter('k', c.second);
      timers.advance(c.firesAt - 1);
      await new Promise((r) => setTimeout(r, 10));
      expect(runs).toBe(0);
      timers.advance(1);
      await vi.waitFor(() => expect(runs).toBe(1));
      timers.advance(1000);
      await new Promise((r) => setTimeout(r, 10));
      expect(runs).toBe(1);
    });
  }

  test('abort ends run after in-flight work and cancels pending timers', async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue(timers.options());
    const gate = deferred();
    let signalSeen: AbortSignal | undefined;
    const { ctl, done } = start(q, async (_key, signal) => {
      signalSeen = signal;
      await gate.promise;
      return {};
    });
    q.add('busy');
    q.addAfter('later', 1000);
    await vi.waitFor(() => expect(q.metrics().active).toBe(1));
    ctl.abort();
    expect(signalSeen?.aborted).toBe(true);
    expect(timers.pending()).toBe(0);
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(finished).toBe(false);
    gate.resolve();
    await done;
    expect(q.metrics().active).toBe(0);
  });
});
