import { afterEach, describe, expect, test } from 'vitest';
import { Liveness } from '../../../src/observability/index.ts';

const started: Liveness[] = [];
afterEach(() => {
  for (const l of started.splice(0)) l.stop();
});

describe('Liveness', () => {
  test('live while the event loop ticks and nothing watched runs past its limit', () => {
    let now = 0;
    let busy = 0;
    const live = new Liveness({
      now: () => now,
      tickMs: 500,
      loopLimitMs: 10_000,
      watched: [{ name: 'a reconcile pass', busyFor: () => busy, limitMs: 60_000 }],
    });
    live.start();
    started.push(live);
    expect(live.check()).toEqual({ ok: true });
    busy = 61_000;
    expect(live.check()).toEqual({
      ok: false,
      reason: 'a reconcile pass has been running for 61 s (limit 60 s)',
    });
    busy = 0;
    // No tick for 12 s: the loop was blocked (this check runs before the late timer).
    now = 12_000;
    expect(live.check()).toEqual({ ok: false, reason: 'the event loop was blocked for 11.5 s' });
  });

  test('a loop that keeps ticking is live', async () => {
    const live = new Liveness({ tickMs: 5, loopLimitMs: 1_000 });
    live.start();
    started.push(live);
    await new Promise((r) => setTimeout(r, 30));
    expect(live.check()).toEqual({ ok: true });
  });
});
