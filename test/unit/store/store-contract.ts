/**
 * The `VersionStore` contract (src/store/types.ts), run against every implementation:
 * `runStoreContract({ newStore })` from each store's test file, as Hono's `runTest({ newRouter })`.
 */
import { expect, test } from 'vitest';
import type { AttachmentRecord, PolicyHistory } from '../../../src/engine/index.ts';
import { applyDeclared, createPolicy, createVersion } from '../../../src/engine/index.ts';
import type { StoreState, VersionStore } from '../../../src/store/index.ts';

let ids = 0;
const env = () => ({ now: '2025-01-01T00:00:00.000Z', actor: 'alice', newId: () => `id-${++ids}` });

/** A realistic state: an API policy with two versions, a declared one, and an attachment. */
export function sampleState(tag = 'a'): StoreState {
  const created = createPolicy(
    undefined,
    'ns',
    `api-${tag}`,
    { guardrails: { add: ['pii'], remove: [] } },
    env(),
  );
  if (!created.ok) throw new Error(created.error.message);
  const drafted = createVersion(created.history, undefined, env());
  if (!drafted.ok) throw new Error(drafted.error.message);
  const declared: PolicyHistory = applyDeclared(
    undefined,
    {
      kind: 'Policy',
      namespace: 'ns',
      name: `file-${tag}`,
      origin: { kind: 'file', path: 'p.yaml', line: 3 },
      spec: {
        versionStatus: 'production',
        description: 'ünïcode ✓',
        guardrails: { add: ['a'], remove: ['b'] },
        condition: { model: ['gpt-4.*', 'claude'] },
        pipeline: {
          mode: 'pre_call',
          steps: [
            {
              guardrail: 'a',
              onPass: 'next',
              onFail: 'modify_response',
              passData: true,
              modifyResponseMessage: 'no',
            },
          ],
        },
      },
    },
    env(),
  ).history;
  const attachment: AttachmentRecord = {
    attachmentId: `att-${tag}`,
    namespace: 'ns',
    spec: { policy: `api-${tag}`, teams: ['t-*'], keys: [], models: [], tags: [], priority: 10 },
    origin: { kind: 'api' },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    createdBy: null,
    updatedBy: 'bob',
  };
  return { policies: [drafted.history, declared], attachments: [attachment] };
}

export function runStoreContract(opts: { newStore: () => Promise<VersionStore> }): void {
  const cases: { note: string; run: (store: VersionStore) => Promise<void> }[] = [
    {
      note: 'a new store loads the empty state',
      run: async (store) => expect(await store.load()).toStrictEqual({ policies: [], attachments: [] }),
    },
    {
      note: 'load returns what save stored, field for field',
      run: async (store) => {
        const state = sampleState();
        await store.save(state);
        expect(await store.load()).toStrictEqual(state);
      },
    },
    {
      note: 'the last save wins',
      run: async (store) => {
        const a = sampleState('a');
        const b = sampleState('b');
        await store.save(a);
        await store.save(b);
        expect(await store.load()).toStrictEqual(b);
      },
    },
    {
      note: 'saves issued together all resolve, and the one called last wins',
      run: async (store) => {
        const states = Array.from({ length: 20 }, (_, i) => sampleState(`s${i}`));
        await Promise.all(states.map((s) => store.save(s)));
        expect(await store.load()).toStrictEqual(states.at(-1));
      },
    },
    {
      note: 'saving the empty state empties the store',
      run: async (store) => {
        await store.save(sampleState());
        await store.save({ policies: [], attachments: [] });
        expect(await store.load()).toStrictEqual({ policies: [], attachments: [] });
      },
    },
    {
      note: 'the store keeps no reference to the saved or loaded objects',
      run: async (store) => {
        const state = structuredClone(sampleState());
        await store.save(state);
        (state.policies as PolicyHistory[]).pop();
        const loaded = await store.load();
        (loaded.attachments as AttachmentRecord[]).pop();
        const again = await store.load();
        expect(again.policies).toHaveLength(2);
        expect(again.attachments).toHaveLength(1);
      },
    },
  ];
  for (const c of cases) test(c.note, async () => c.run(await opts.newStore()));
}
