/**
 * The `VersionStore` contract (src/store/types.ts), run against every implementation:
 * `runStoreContract({ newStore })` from each store's test file, as Hono's `runTest({ newRouter })`.
 * Each case stores its policies in a namespace of its own, given to `newStore`, so that a store
 * kept in a shared backend (the cluster) starts every case empty.
 */
import { expect, test } from 'vitest';
import type { AttachmentRecord, PolicyHistory } from '../../src/engine/index.ts';
import { applyDeclared, createPolicy, createVersion } from '../../src/engine/index.ts';
import type { StoreState, VersionStore } from '../../src/store/index.ts';

let ids = 0;
const env = () => ({ now: '2025-01-01T00:00:00.000Z', actor: 'alice', newId: () => `id-${++ids}` });

/**
 * A realistic state: an API policy with two versions, a declared one, and an attachment (unless
 * `attachments` is false: the cluster store keeps histories only).
 */
export function sampleState(tag = 'a', namespace = 'ns', attachments = true): StoreState {
  return sampleStateOf(tag, namespace, attachments);
}

function sampleStateOf(tag: string, namespace: string, attachments: boolean): StoreState {
  const created = createPolicy(
    undefined,
    namespace,
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
      namespace,
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
    namespace,
    spec: { policy: `api-${tag}`, teams: ['t-*'], keys: [], models: [], tags: [], priority: 10 },
    origin: { kind: 'api' },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    createdBy: null,
    updatedBy: 'bob',
  };
  return { policies: [drafted.history, declared], attachments: attachments ? [attachment] : [] };
}

/**
 * `attachments: false` for a store that keeps histories only (the cluster store: in Kubernetes
 * mode attachments are PolicyAttachment objects); its states then carry none.
 */
export function runStoreContract(opts: {
  newStore: (namespace: string) => Promise<VersionStore>;
  attachments?: boolean;
}): void {
  const withAttachments = opts.attachments ?? true;
  const sampleState = (tag: string, namespace: string) => sampleStateOf(tag, namespace, withAttachments);
  const cases: { note: string; run: (store: VersionStore, ns: string) => Promise<void> }[] = [
    {
      note: 'a new store loads the empty state',
      run: async (store) => expect(await store.load()).toStrictEqual({ policies: [], attachments: [] }),
    },
    {
      note: 'load returns what save stored, field for field',
      run: async (store, ns) => {
        const state = sampleState('a', ns);
        await store.save(state);
        expect(await store.load()).toStrictEqual(state);
      },
    },
    {
      note: 'the last save wins',
      run: async (store, ns) => {
        const a = sampleState('a', ns);
        const b = sampleState('b', ns);
        await store.save(a);
        await store.save(b);
        expect(await store.load()).toStrictEqual(b);
      },
    },
    {
      note: 'saves issued together all resolve, and the one called last wins',
      run: async (store, ns) => {
        const states = Array.from({ length: 20 }, (_, i) => sampleState(`s${i}`, ns));
        await Promise.all(states.map((s) => store.save(s)));
        expect(await store.load()).toStrictEqual(states.at(-1));
      },
    },
    {
      note: 'saving the empty state empties the store',
      run: async (store, ns) => {
        await store.save(sampleState('a', ns));
        await store.save({ policies: [], attachments: [] });
        expect(await store.load()).toStrictEqual({ policies: [], attachments: [] });
      },
    },
    {
      note: 'the store keeps no reference to the saved or loaded objects',
      run: async (store, ns) => {
        const state = structuredClone(sampleState('a', ns));
        await store.save(state);
        (state.policies as PolicyHistory[]).pop();
        const loaded = await store.load();
        (loaded.policies as PolicyHistory[]).pop();
        (loaded.attachments as AttachmentRecord[]).pop();
        const again = await store.load();
        expect(again.policies).toHaveLength(2);
        expect(again.attachments).toHaveLength(withAttachments ? 1 : 0);
      },
    },
  ];
  let namespaces = 0;
  for (const c of cases)
    test(c.note, async () => {
      const ns = `store-${++namespaces}`;
      await c.run(await opts.newStore(ns), ns);
    });
}
