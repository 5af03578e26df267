import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createLowdbStore, STORE_SCHEMA_VERSION, StoreError } from '../../../src/store/index.ts';
import { runStoreContract, sampleState } from '../../support/store-contract.ts';

const root = await mkdtemp(join(tmpdir(), 'railyard-lowdb-'));
afterAll(() => rm(root, { recursive: true, force: true }));
let n = 0;
/** A fresh path in its own (not yet existing) directory. */
const freshPath = () => join(root, `case-${++n}`, 'state', 'railyard.json');

describe('lowdb store: contract', () =>
  runStoreContract({ newStore: async () => createLowdbStore(freshPath()) }));

describe('lowdb store', () => {
  test('creates the directory and writes the schema version first', async () => {
    const path = freshPath();
    const state = sampleState();
    await createLowdbStore(path).save(state);
    const json = JSON.parse(await readFile(path, 'utf8'));
    expect(Object.keys(json)).toEqual(['schemaVersion', 'policies', 'attachments']);
    expect(json).toStrictEqual({ schemaVersion: STORE_SCHEMA_VERSION, ...JSON.parse(JSON.stringify(state)) });
  });

  test('a second store on the same file reads what the first saved', async () => {
    const path = freshPath();
    const state = sampleState();
    await createLowdbStore(path).save(state);
    expect(await createLowdbStore(path).load()).toStrictEqual(state);
  });

  test('leaves no temp file behind', async () => {
    const path = freshPath();
    const store = createLowdbStore(path);
    await Promise.all([store.save(sampleState('x')), store.save(sampleState('y'))]);
    expect(await readdir(join(path, '..'))).toEqual(['railyard.json']);
  });

  test('a failed save rejects, and later saves still run', async () => {
    const path = freshPath();
    const dir = join(path, '..');
    await mkdir(join(dir, '..'), { recursive: true });
    await writeFile(dir, 'a file where the directory should be');
    const store = createLowdbStore(path);
    await expect(store.save(sampleState())).rejects.toThrow();
    await rm(dir);
    const state = sampleState();
    await store.save(state);
    expect(await store.load()).toStrictEqual(state);
  });

  const corrupt: { note: string; text: string; want: string }[] = [
    {
      note: 'truncated JSON',
      text: '{"schemaVersion": 1, "policies": [',
      want: 'the version store is not valid JSON',
    },
    { note: 'an empty file', text: '', want: 'the version store is not valid JSON' },
    {
      note: 'no schemaVersion',
      text: '{"policies": [], "attachments": []}',
      want: 'not a Railyard version store (no schemaVersion field)',
    },
    { note: 'a top-level array', text: '[]', want: 'not a Railyard version store' },
    {
      note: 'a newer schema',
      text: '{"schemaVersion": 2, "policies": [], "attachments": []}',
      want: 'schemaVersion 2 is not supported (this Railyard reads 1); run the Railyard version that wrote it',
    },
    {
      note: 'policies not a list',
      text: '{"schemaVersion": 1, "policies": {}, "attachments": []}',
      want: '"policies" must be an array',
    },
    {
      note: 'attachments missing',
      text: '{"schemaVersion": 1, "policies": []}',
      want: '"attachments" must be an array',
    },
    {
      note: 'a policy without versions',
      text: '{"schemaVersion": 1, "policies": [{"name": "p"}], "attachments": []}',
      want: 'policies[0] is not a policy history',
    },
  ];
  for (const c of corrupt) {
    test(`refuses to load ${c.note}, naming the file and what to do`, async () => {
      const path = freshPath();
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, c.text);
      const err = await createLowdbStore(path)
        .load()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message.startsWith(`${path}: ${c.want}`)).toBe(true);
      expect((err as Error).message).toMatch(/restore it from a backup, or move it aside/);
      expect(await readFile(path, 'utf8')).toBe(c.text); // left alone for the operator
    });
  }

  test('refuses to load a path it cannot read as a file', async () => {
    const path = freshPath();
    await mkdir(path, { recursive: true });
    await expect(createLowdbStore(path).load()).rejects.toThrow(
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the version store cannot be read \\(EISDIR`,
      ),
    );
  });
});
