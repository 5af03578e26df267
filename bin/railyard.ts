#!/usr/bin/env node
import { main } from '../src/cli/main.ts';

const shutdown = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => shutdown.abort());

/**
 * Resolves once everything written to the stream so far has left the process: a pipe takes writes
 * asynchronously, and `process.exit` would drop what is still queued (output cut at 64 KiB).
 */
const flushed = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((done) => {
    if (stream.destroyed || !stream.writable) done();
    else stream.write('', () => done());
  });

const exit = async (code: number): Promise<never> => {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
};

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, shutdown.signal).then(
  exit,
  (error: unknown) => {
    process.stderr.write(
      `railyard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return exit(2);
  },
);
