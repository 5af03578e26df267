/** `GET /v1/snapshot`: the production index of one namespace, for proxies that evaluate locally. */
import {
  byText,
  FAILURE_POLICIES,
  GUARDRAIL_MODES,
  GUARDRAIL_TYPES,
  indexEntries,
  productionVersion,
} from '../../engine/index.ts';
import type { NamespaceView, Snapshot } from '../../registry/index.ts';
import { POLICY_ATTACHMENT_DB_RESPONSE, toWireAttachment } from './attachment.ts';
import { CONDITION, POLICY_DB_RESPONSE, toWirePolicy } from './policy.ts';
import { FLOOR_GUARDRAILS, toWireFloor } from './resolution.ts';
import {
  type FromSchema,
  INTEGER,
  NULLABLE_STRING,
  NULLABLE_STRINGS,
  object,
  STRING,
  STRINGS,
} from './schema.ts';

/** A version as the index names it. Its field names are camelCase: the snapshot published them so. */
const VERSION_REF = object({ policyName: STRING, policyId: STRING, versionNumber: INTEGER, digest: STRING }, [
  'policyName',
  'policyId',
  'versionNumber',
  'digest',
]);

const INDEX_LEVEL = object({ version: VERSION_REF, add: STRINGS, remove: STRINGS, condition: CONDITION }, [
  'version',
  'add',
  'remove',
]);

export const SNAPSHOT = object(
  {
    revision: INTEGER,
    namespace: NULLABLE_STRING,
    policies: { type: 'array', items: POLICY_DB_RESPONSE },
    /** Per policy: its chain, root first, and its guardrails when no level has a condition. */
    resolved: {
      type: 'object',
      additionalProperties: object(
        {
          inheritance_chain: { type: 'array', items: INDEX_LEVEL },
          guardrails_without_context: NULLABLE_STRINGS,
        },
        ['inheritance_chain', 'guardrails_without_context'],
      ),
    },
    attachments: { type: 'array', items: POLICY_ATTACHMENT_DB_RESPONSE },
    /**
     * The namespace's mandatory guardrails: a proxy that evaluates locally adds them to every
     * answer and ignores any chain level's removal of them.
     */
    floor: FLOOR_GUARDRAILS,
    guardrails: {
      type: 'object',
      additionalProperties: object(
        {
          type: { enum: GUARDRAIL_TYPES },
          mode: { enum: GUARDRAIL_MODES },
          failure_policy: { enum: FAILURE_POLICIES },
        },
        ['type', 'mode', 'failure_policy'],
      ),
    },
  },
  ['revision', 'namespace', 'policies', 'resolved', 'attachments', 'floor', 'guardrails'],
);

/** The body of `GET /v1/snapshot` for `view` (none: nothing is served yet). Deterministic. */
export function toWireSnapshot(
  snapshot: Snapshot,
  view: NamespaceView | undefined,
): FromSchema<typeof SNAPSHOT> {
  return {
    revision: snapshot.revision,
    namespace: view?.namespace ?? null,
    policies: (view?.histories ?? []).flatMap((h) => {
      const production = h.active ? productionVersion(h) : undefined;
      return production ? [toWirePolicy(h, production)] : [];
    }),
    resolved: Object.fromEntries(
      (view ? indexEntries(view.index).policies : []).map((p) => [
        p.name,
        { inheritance_chain: p.chain, guardrails_without_context: p.guardrails ?? null },
      ]),
    ),
    attachments: (view?.attachments ?? []).map(toWireAttachment),
    floor: toWireFloor(view?.floor ?? []),
    guardrails: Object.fromEntries(
      [...(view?.guardrails ?? new Map())]
        .sort(([a], [b]) => byText(a, b))
        .map(([name, spec]) => [
          name,
          { type: spec.type, mode: spec.mode, failure_policy: spec.failurePolicy },
        ]),
    ),
  };
}
