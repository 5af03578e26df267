/**
 * Deterministic, large store states for the crash test: `buildState(n)` is the same value in the
 * writer child and in the test, so a loaded file can be checked for equality with the state the
 * child meant to write. Every version differs from one counter to the next, so a file mixing two
 * writes would not equal any built state.
 */
import type { PolicyHistory, PolicyVersion } from '../../src/engine/index.ts';
import type { StoreState } from '../../src/store/index.ts';

const POLICIES = 150;
const VERSIONS = 3;

function version(n: number, p: number, v: number): PolicyVersion {
  const stamp = `2025-01-01T00:00:${String(v).padStart(2, '0')}.000Z`;
  return {
    policyId: `${n}-${p}-${v}`,
    policyName: `policy-${p}`,
    versionNumber: v,
    status: v === VERSIONS ? 'production' : 'published',
    parentVersionId: v === 1 ? null : `${n}-${p}-${v - 1}`,
    digest: `sha256:${n.toString(16).padStart(64, '0')}`,
    content: {
      description: `state ${n}, policy ${p}, version ${v}: ${'x'.repeat(200)}`,
      guardrails: { add: [`g-${(n + p) % 97}`, `g-${(n * 7 + v) % 89}`], remove: [`r-${n % 13}`] },
      condition: { model: [`model-${n % 5}.*`, `model-${p}`] },
    },
    createdAt: stamp,
    updatedAt: stamp,
    publishedAt: stamp,
    productionAt: v === VERSIONS ? stamp : null,
    createdBy: `writer-${n}`,
    updatedBy: null,
  };
}

export function buildState(n: number): StoreState {
  const policies: PolicyHistory[] = Array.from({ length: POLICIES }, (_, p) => ({
    namespace: 'crash',
    name: `policy-${p}`,
    origin: { kind: 'file', path: `policies/${p}.yaml`, line: n },
    active: true,
    versions: Array.from({ length: VERSIONS }, (_, i) => version(n, p, i + 1)),
  }));
  return {
    policies,
    attachments: [
      {
        attachmentId: `counter-${n}`,
        namespace: 'crash',
        spec: { policy: 'policy-0', scope: '*', teams: [], keys: [], models: [], tags: [], priority: n },
        origin: { kind: 'api' },
        createdAt: '2025-01-01T00:00:00.000Z',
        updatedAt: '2025-01-01T00:00:00.000Z',
        createdBy: null,
        updatedBy: null,
      },
    ],
  };
}

/** The counter a built state carries, or undefined for a state `buildState` did not make. */
export function stateCounter(state: StoreState): number | undefined {
  const id = state.attachments[0]?.attachmentId;
  return id?.startsWith('counter-') ? Number(id.slice('counter-'.length)) : undefined;
}
