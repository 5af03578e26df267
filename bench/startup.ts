/**
 * Start-up: from spawning `railyard serve` on a folder (fresh data directory) to `/readyz`
 * answering 200, and the process's resident memory then (VmRSS) and at its peak (VmHWM).
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tree, writeTree } from './generate-tree.ts';
import type { Row } from './report.ts';
import { startServe, waitReady } from './servers.ts';
import { median } from './stats.ts';

async function memoryMiB(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number =>
    Number(new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

export async function measureStartup(tree: Tree, runs: number): Promise<Row[]> {
  const dir = join(await mkdtemp(join(tmpdir(), 'railyard-bench-start-')), 'tree');
  await writeTree(tree, dir);
  const times: number[] = [];
  const rss: number[] = [];
  const peaks: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const railyard = await startServe(dir);
    try {
      await waitReady(railyard.url);
      times.push((performance.now() - started) / 1000);
      const memory = await memoryMiB(railyard.child.pid as number);
      rss.push(memory.rss);
      peaks.push(memory.peak);
    } finally {
      await railyard.stop();
    }
  }
  const size = tree.policies.toLocaleString('en');
  const how = `median of ${runs} cold starts, each with a fresh data directory (every version is created and stored)`;
  return [
    {
      measurement: `start-up, ${size} policies from a folder → /readyz true`,
      value: median(times),
      unit: 's',
      target: { op: '<=', limit: 3 },
      detail: `${how}; from spawn, node start-up included`,
    },
    {
      measurement: `RSS once ready, ${size} policies`,
      value: median(rss),
      unit: 'MB',
      target: { op: '<=', limit: 250 },
      detail: `${how}; VmRSS in MiB`,
    },
    {
      measurement: `peak RSS during start-up, ${size} policies`,
      value: median(peaks),
      unit: 'MB',
      detail: `${how}; VmHWM in MiB`,
    },
  ];
}
