import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NODE, RAILYARD, REPO } from '../support/railyard-process.ts';

export type CliRun = { readonly code: number; readonly stdout: string; readonly stderr: string };

/** Runs the real `railyard` as a child process and collects its exit code and output. */
export function runCli(args: readonly string[], opts: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((done) => {
    execFile(NODE, [RAILYARD, ...args], { cwd: opts.cwd ?? REPO }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** A fresh temporary folder holding `files` (relative path → text). */
export async function writeTree(files: Readonly<Record<string, string>>, root?: string): Promise<string> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), 'railyard-cli-')));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}
