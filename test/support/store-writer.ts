/**
 * Child process for test/unit/store/lowdb-crash.test.ts: saves `buildState(n)` for n = start,
 * start + 1, … through `createLowdbStore(path)` as fast as it can until it is killed, and prints
 * `saved <n>` once the save of n has resolved. Every fourth step issues two saves at once, to
 * crash in the middle of queued saves too.
 *
 * Usage: node test/support/store-writer.ts <path> <start>
 */
import { createLowdbStore } from '../../src/store/index.ts';
import { buildState } from './store-states.ts';

const [path, startArg] = process.argv.slice(2);
if (path === undefined || startArg === undefined) throw new Error('usage: store-writer.ts <path> <start>');
const store = createLowdbStore(path);
for (let n = Number(startArg); ; n += 1) {
  if (n % 4 === 0) {
    await Promise.all([store.save(buildState(n)), store.save(buildState(n + 1))]);
    n += 1;
  } else {
    await store.save(buildState(n));
  }
  process.stdout.write(`saved ${n}\n`);
}
