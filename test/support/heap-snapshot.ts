/**
 * The heap a process keeps, measured the way a person would look: a V8 heap snapshot, which runs a
 * full collection first, so what it counts is what is retained, not garbage waiting for a GC.
 * The process must run with `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>`
 * (`heapSnapshotOptions`).
 */

import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './railyard-process.ts';

/** A folder for the snapshots, and the NODE_OPTIONS that make SIGUSR2 write one there. */
export async function heapSnapshotOptions(): Promise<{ dir: string; nodeOptions: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'railyard-heap-'));
  return { dir, nodeOptions: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}` };
}

type Snapshot = { snapshot: { meta: { node_fields: string[] } }; nodes: number[] };

/** Asks `child` for a heap snapshot and returns the bytes it retains (the sum of every node's own size). */
export async function retainedHeapBytes(child: ChildProcess, dir: string): Promise<number> {
  const before = new Set(await readdir(dir));
  child.kill('SIGUSR2');
  const file = await eventually(
    async () => {
      const made = (await readdir(dir)).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
      if (made === undefined) return undefined;
      // Written in one go: it parses once complete.
      try {
        return { name: made, snapshot: JSON.parse(await readFile(join(dir, made), 'utf8')) as Snapshot };
      } catch {
        return undefined;
      }
    },
    30_000,
    100,
  );
  await rm(join(dir, file.name));
  const fields = file.snapshot.snapshot.meta.node_fields;
  const selfSize = fields.indexOf('self_size');
  let total = 0;
  for (let i = 0; i < file.snapshot.nodes.length; i += fields.length)
    total += file.snapshot.nodes[i + selfSize] as number;
  return total;
}
