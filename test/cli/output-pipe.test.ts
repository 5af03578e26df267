import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { NODE, RAILYARD, REPO } from '../support/railyard-process.ts';
import { writeTree } from './run-cli.ts';

/** A policy whose parent is missing: one error line in every report format. */
const orphan = (i: number) => `apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: orphan-${i}}
spec: {inherit: missing-parent-of-orphan-number-${i}, guardrails: {add: []}}
`;

/** Everything written, as bytes. */
function collector(): { stream: Writable; bytes(): number } {
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  return { stream, bytes: () => bytes };
}

test('output piped through `| cat` arrives whole (over 1 MB), not cut at 64 KiB', async () => {
  const dir = await writeTree({
    'orphans.yaml': Array.from({ length: 5000 }, (_, i) => orphan(i)).join('---\n'),
  });
  const args = ['validate', '--format', 'github', dir];
  // The same command in-process says how many bytes a complete output has.
  const out = collector();
  const code = await main(
    args,
    { stdout: out.stream, stderr: collector().stream },
    new AbortController().signal,
  );
  expect(code).toBe(1);
  expect(out.bytes()).toBeGreaterThan(1 << 20);

  // `sh -c '"$0" "$@" | cat'`: railyard's stdout is a pipe to a real `cat`, whose output is counted.
  const piped = await new Promise<number>((done, fail) => {
    execFile(
      'sh',
      ['-c', '"$0" "$@" | cat', NODE, RAILYARD, ...args],
      { cwd: REPO, encoding: 'buffer', maxBuffer: 64 << 20 },
      (error, stdout) => (error ? fail(error) : done(stdout.length)),
    );
  });
  expect(piped).toBe(out.bytes());
});
