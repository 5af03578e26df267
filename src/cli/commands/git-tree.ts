/**
 * Reads a revision of the current Git repository into a temporary folder (`git archive | tar`),
 * never touching the work tree, the index or any ref.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type RevisionTree = {
  /** The folder holding the revision's files at their repository paths. */
  readonly root: string;
  /** The folder to load: `root` joined with the requested path. */
  readonly dir: string;
  /** Removes the temporary folder. */
  dispose(): Promise<void>;
};

export type GitResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** `A..B` → its two revisions; `A...B` and anything else is refused with the form to use. */
export function parseRange(range: string): GitResult<{ base: string; head: string }> {
  const m = /^([^.]+(?:\.[^.]+)*)\.\.([^.]+(?:\.[^.]+)*)$/.exec(range);
  if (!m?.[1] || !m[2])
    return { ok: false, message: `--git expects BASE..HEAD (two revisions), got "${range}"` };
  return { ok: true, value: { base: m[1], head: m[2] } };
}

/** The top folder of the repository holding `cwd`. */
export async function repositoryRoot(cwd: string): Promise<GitResult<string>> {
  try {
    const { stdout } = await run('git', ['rev-parse', '--show-toplevel'], { cwd });
    return { ok: true, value: stdout.trim() };
  } catch {
    return { ok: false, message: `${cwd} is not inside a Git repository` };
  }
}

/**
 * Extracts `subpath` (relative to `cwd`; the whole repository when undefined) of `rev` into a new
 * temporary folder. A path that does not exist at that revision gives an empty folder: the tree
 * held nothing there yet.
 */
export async function exportRevision(
  top: string,
  cwd: string,
  rev: string,
  subpath: string | undefined,
): Promise<GitResult<RevisionTree>> {
  try {
    await run('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: top });
  } catch {
    return { ok: false, message: `unknown revision "${rev}"` };
  }
  const rel = subpath === undefined ? '' : relative(top, resolve(cwd, subpath));
  if (rel.startsWith('..')) return { ok: false, message: `${subpath} is outside the repository ${top}` };
  const root = await mkdtemp(join(tmpdir(), 'railyard-rev-'));
  const tree: RevisionTree = {
    root,
    dir: rel === '' ? root : join(root, rel),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
  const pathspec = rel === '' ? [] : ['--', rel.split(sep).join('/')];
  const { stdout } = await run('git', ['ls-tree', '-r', '--name-only', rev, ...pathspec], { cwd: top });
  if (stdout.trim() === '') return { ok: true, value: tree };
  const extracted = await archiveInto(top, rev, pathspec, root);
  if (!extracted.ok) {
    await tree.dispose();
    return extracted;
  }
  return { ok: true, value: tree };
}

async function archiveInto(
  top: string,
  rev: string,
  pathspec: string[],
  root: string,
): Promise<GitResult<void>> {
  const git = spawn('git', ['archive', '--format=tar', rev, ...pathspec], {
    cwd: top,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tar = spawn('tar', ['-x', '-C', root], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  for (const child of [git, tar]) child.stderr.on('data', (c) => (stderr += String(c)));
  git.stdout.pipe(tar.stdin);
  const exit = (child: typeof git | typeof tar) =>
    new Promise<number | null>((ok) => {
      child.once('error', (e) => {
        stderr += e.message;
        ok(-1);
      });
      child.once('close', ok);
    });
  const [gitCode, tarCode] = await Promise.all([exit(git), exit(tar)]);
  if (gitCode === 0 && tarCode === 0) return { ok: true, value: undefined };
  return { ok: false, message: `could not read ${rev}: ${stderr.trim() || `exit ${gitCode}/${tarCode}`}` };
}
