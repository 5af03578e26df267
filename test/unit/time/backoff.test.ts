import { describe, expect, test } from 'vitest';
import { backoffDelay } from '../../../src/time/index.ts';

describe('backoffDelay with jitter (informer restarts)', () => {
  const b = { initialMs: 1_000, maxMs: 30_000, jitter: 0.2 };
  const cases = [
    { note: 'first restart waits the initial delay', attempt: 0, random: 0, want: 1_000 },
    { note: 'doubles per attempt', attempt: 3, random: 0, want: 8_000 },
    { note: 'capped at the maximum', attempt: 10, random: 0, want: 30_000 },
    { note: 'jitter takes up to 20 % off', attempt: 10, random: 1, want: 24_000 },
  ];
  for (const c of cases) test(c.note, () => expect(backoffDelay(c.attempt, b, () => c.random)).toBe(c.want));
});

describe('backoffDelay without jitter (work queue retries, as client-go)', () => {
  const o = { initialMs: 5, maxMs: 1_000_000, jitter: 0 };
  const cases = [
    { note: 'first retry waits the base delay', failures: 0, want: 5 },
    { note: 'doubles per failure', failures: 3, want: 40 },
    { note: 'just under the cap', failures: 17, want: 655_360 },
    { note: 'capped at 1000 s', failures: 18, want: 1_000_000 },
    { note: 'stays capped, no overflow', failures: 5000, want: 1_000_000 },
  ];
  for (const c of cases) test(c.note, () => expect(backoffDelay(c.failures, o)).toBe(c.want));
});
