import { type FSWatcher as NodeWatcher, watch as watchFolder } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';

const IGNORED = /(^|[/\\])(\.git|node_modules)([/\\]|$)/;

/** What `watchRoots` started: closing it stops every watcher. */
export type RootWatchers = { close(): Promise<void> };

/**
 * Watches each root's tree, and the folder holding each root for a swap of the root itself (the
 * event `root`: git-sync renames a new `current` symlink over the old one). Resolves once every
 * watcher is ready.
 *
 * The folder holding a root is watched with the kernel's own notifications and only the root's
 * name is looked at. A recursive watcher there re-lists that folder on every change in it: with
 * the root in a busy folder (`/tmp`, thousands of entries, something new every second) that was
 * most of what the server allocated per request, and it read every entry's metadata each time.
 */
export async function watchRoots(
  roots: readonly string[],
  onEvent: (event: string, path: string | undefined) => void,
  onError: (error: unknown) => void,
): Promise<RootWatchers> {
  const trees: FSWatcher[] = [];
  const parents: NodeWatcher[] = [];
  for (const root of roots) {
    const tree = watch(root, { ignoreInitial: true, followSymlinks: true, ignored: IGNORED });
    tree.on('all', (event, path) => onEvent(event, path));
    tree.on('error', onError);
    trees.push(tree);
    const name = basename(root);
    try {
      const parent = watchFolder(dirname(root), { persistent: false }, (_event, changed) => {
        // Some platforms do not say which entry changed: then it may have been the root.
        if (changed === null || changed === name) onEvent('root', undefined);
      });
      parent.on('error', onError);
      parents.push(parent);
    } catch (e) {
      // The folder holding the root cannot be watched (not readable): the tree is still watched,
      // and the periodic rescan catches a swap of the root.
      onError(e);
    }
  }
  await Promise.all(trees.map((w) => new Promise<void>((ok) => w.once('ready', () => ok()))));
  return {
    async close() {
      for (const p of parents) p.close();
      await Promise.all(trees.map((w) => w.close()));
    },
  };
}
