import { dirname, resolve } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';

const IGNORED = /(^|[/\\])(\.git|node_modules)([/\\]|$)/;

/**
 * Watches each root and the folder holding it, so swapping the root's own symlink is seen too (as
 * the event `root`). Resolves once every watcher is ready.
 */
export async function watchRoots(
  roots: readonly string[],
  onEvent: (event: string, path: string | undefined) => void,
  onError: (error: unknown) => void,
): Promise<FSWatcher[]> {
  const watchers: FSWatcher[] = [];
  for (const root of roots) {
    const tree = watch(root, { ignoreInitial: true, followSymlinks: true, ignored: IGNORED });
    tree.on('all', (event, path) => onEvent(event, path));
    // Any event next to the root may be a swap of the root itself: rescan everything.
    const parent = watch(dirname(root), {
      ignoreInitial: true,
      depth: 0,
      followSymlinks: false,
      ignored: IGNORED,
    });
    parent.on('all', (_event, path) => {
      if (resolve(path) === root) onEvent('root', undefined);
    });
    for (const w of [tree, parent]) {
      w.on('error', onError);
      watchers.push(w);
    }
  }
  await Promise.all(watchers.map((w) => new Promise<void>((ok) => w.once('ready', () => ok()))));
  return watchers;
}
