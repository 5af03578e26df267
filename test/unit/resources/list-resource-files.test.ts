import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { listResourceFiles } from '../../../src/resources/index.js';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('listResourceFiles', () => {
  test('a folder that turns into a file (or vanishes) while the walk runs is not an error', async () => {
    const root = await mkdtemp(join(tmpdir(), 'railyard-walk-'));
    roots.push(root);
    await writeFile(join(root, 'stable.yaml'), 'kind: Guardrail\n');
    const flip = join(root, 'flip.yaml');
    let running = true;
    // Turns `flip.yaml` from folder to file and back as fast as the file system allows, so some
    // walks find it a folder at stat and something else at readdir.
    const toggler = (async () => {
      while (running) {
        await mkdir(flip);
        await rm(flip, { recursive: true });
        await writeFile(flip, 'kind: Guardrail\n');
        await rm(flip);
      }
    })();
    try {
      for (let i = 0; i < 400; i++) {
        const files = await listResourceFiles([root]);
        expect(files).toContain(join(root, 'stable.yaml'));
      }
    } finally {
      running = false;
      await toggler;
    }
  });
});
