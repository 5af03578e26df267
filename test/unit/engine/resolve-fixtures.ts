/** Terse builders of engine inputs for the resolution tests. */
import { buildPolicyIndex, type PolicyIndex } from '../../../src/engine/index.ts';
import type {
  AttachmentRecord,
  Condition,
  FloorGuardrail,
  PolicyVersion,
} from '../../../src/engine/types.ts';
import type { Snapshot } from '../../../src/registry/index.ts';

export type PolicySketch = {
  readonly inherit?: string;
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
  readonly model?: Condition['model'];
};

export type AttachmentSketch = {
  readonly id: string;
  readonly policy: string;
  readonly scope?: string;
  readonly teams?: readonly string[];
  readonly keys?: readonly string[];
  readonly models?: readonly string[];
  readonly tags?: readonly string[];
  readonly priority?: number;
};

export function policyVersion(name: string, p: PolicySketch, versionNumber = 1): PolicyVersion {
  return {
    policyId: `id-${name}-${versionNumber}`,
    policyName: name,
    versionNumber,
    status: 'production',
    parentVersionId: null,
    digest: `sha256:${name}:${versionNumber}`,
    content: {
      ...(p.inherit === undefined ? {} : { inherit: p.inherit }),
      guardrails: { add: [...(p.add ?? [])].sort(), remove: [...(p.remove ?? [])].sort() },
      ...(p.model === undefined ? {} : { condition: { model: p.model } }),
    },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    publishedAt: null,
    productionAt: '2025-01-01T00:00:00.000Z',
    createdBy: null,
    updatedBy: null,
  };
}

export function attachmentRecord(a: AttachmentSketch): AttachmentRecord {
  return {
    attachmentId: a.id,
    namespace: 'default',
    spec: {
      policy: a.policy,
      ...(a.scope === undefined ? {} : { scope: a.scope }),
      teams: a.teams ?? [],
      keys: a.keys ?? [],
      models: a.models ?? [],
      tags: a.tags ?? [],
      priority: a.priority ?? 0,
    },
    origin: { kind: 'api' },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    createdBy: null,
    updatedBy: null,
  };
}

export function indexOf(
  policies: Readonly<Record<string, PolicySketch>>,
  attachments: readonly AttachmentSketch[],
  floor: readonly FloorGuardrail[] = [],
): PolicyIndex {
  return buildPolicyIndex({
    policies: Object.entries(policies).map(([name, p]) => ({ version: policyVersion(name, p) })),
    attachments: attachments.map(attachmentRecord),
    floor,
  });
}

/** A snapshot serving `index` as namespace `default`, with nothing else. */
export function snapshotOf(index: PolicyIndex, revision = 1): Snapshot {
  const view = {
    namespace: 'default',
    index,
    histories: [],
    attachments: [],
    guardrails: new Map(),
    floor: index.floor,
    shadows: [],
  };
  return {
    revision,
    serial: revision,
    namespaces: new Map([['default', view]]),
    statuses: [],
    statusByKey: new Map(),
    unreadable: [],
  };
}
