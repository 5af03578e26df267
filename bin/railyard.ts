#!/usr/bin/env node
import { main } from '../src/cli/main.ts';

const shutdown = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => shutdown.abort());

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, shutdown.signal).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `railyard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(2);
  },
);
