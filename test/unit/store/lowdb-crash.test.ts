/**
 * A writer process killed with SIGKILL at random moments must leave a file that loads as one
 * complete state it wrote: never a mix, never a torn file, never older than the last save it saw
 * resolve. The writer is a real child process (test/support/store-writer.ts) on a real file.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { createLowdbStore } from '../../../src/store/index.ts';
import { buildState, stateCounter } from '../../support/store-states.ts';

const ROUNDS = 10;
const NODE = join(process.cwd(), 'node_modules/.bin/node');
const WRITER = join(process.cwd(), 'test/support/store-writer.ts');

const root = await mkdtemp(join(tmpdir(), 'railyard-crash-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** Runs the writer until it has acknowledged a save, kills it `delayMs` later; the last ack. */
function runAndKill(path: string, start: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [WRITER, path, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!armed) setTimeout(() => child.kill('SIGKILL'), delayMs);
      armed = true;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited on its own (${signal}): ${err}`));
      const acks = out.match(/saved (\d+)\n/g) ?? [];
      resolve(Number(acks.at(-1)?.slice('saved '.length)));
    });
  });
}

test(`a writer killed at random moments (${ROUNDS} rounds) leaves a complete state it wrote`, async () => {
  const path = join(root, 'state', 'railyard.json');
  for (let round = 0; round < ROUNDS; round += 1) {
    const start = (round + 1) * 1_000_000;
    const delayMs = Math.floor(Math.random() * 150);
    const lastAck = await runAndKill(path, start, delayMs);
    const state = await createLowdbStore(path).load();
    const n = stateCounter(state);
    const where = `round ${round}, killed ${delayMs} ms after the first ack, last ack ${lastAck}, loaded ${n}`;
    expect(n, where).toBeDefined();
    expect(state, where).toStrictEqual(buildState(n as number));
    // Never older than an acknowledged save; at most the two saves in flight newer.
    expect(n, where).toBeGreaterThanOrEqual(lastAck);
    expect(n, where).toBeLessThanOrEqual(lastAck + 2);
  }
}, 20_000);
