import { describe, expect, test } from 'vitest';
import { createMemoryStore } from '../../../src/store/index.ts';
import { runStoreContract, sampleState } from '../../support/store-contract.ts';

describe('memory store: contract', () => runStoreContract({ newStore: async () => createMemoryStore() }));

describe('memory store', () => {
  test('starts from the given state, without sharing it', async () => {
    const initial = sampleState();
    const store = createMemoryStore(initial);
    const loaded = await store.load();
    expect(loaded).toStrictEqual(initial);
    expect(loaded).not.toBe(initial);
  });
});
