import { createHook } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, test } from 'vitest';
import { pinTickShape } from '../../src/cli/heap.ts';

test('pinTickShape keeps a process.nextTick entry alive through full collections', async () => {
  // Every nextTick entry created while pinning, seen by a second hook and held only weakly.
  const seen: WeakRef<object>[] = [];
  const watch = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'TickObject') seen.push(new WeakRef(resource));
    },
  });
  watch.enable();
  const pinned = pinTickShape();
  watch.disable();
  expect(pinned).toBe(true);
  expect(seen.length).toBeGreaterThan(0);

  await new Promise((ok) => setImmediate(ok)); // the entries have run and left the queue
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const alive = seen.map((ref) => ref.deref()).filter((entry) => entry !== undefined);
  expect(alive).toHaveLength(1);
  expect(alive[0]).toHaveProperty('callback');

  expect(pinTickShape()).toBe(true); // idempotent: the same entry stays pinned
});
