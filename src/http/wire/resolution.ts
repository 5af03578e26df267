/**
 * Answers on the wire: LiteLLM's `PolicyResolveResponse` plus the versions that produced it, and
 * Railyard's explanation (`POST /v1/explain`).
 */
import {
  ANCHORS,
  ATTACHMENT_VERDICTS,
  type Explanation,
  type FloorGuardrail,
  type MatchedPolicy,
  type Resolution,
} from '../../engine/index.ts';
import { toWireContext } from './context.ts';
import { CONDITION } from './policy.ts';
import {
  BOOLEAN,
  type FromSchema,
  INTEGER,
  NULLABLE_STRING,
  NULLABLE_STRINGS,
  object,
  orNull,
  STRING,
  STRINGS,
} from './schema.ts';

/** A mandatory guardrail of the namespace and the GuardrailFloor that makes it so. */
export const FLOOR_GUARDRAILS = {
  type: 'array',
  items: object({ guardrail: STRING, floor_name: STRING }, ['guardrail', 'floor_name']),
} as const;

export const toWireFloor = (floor: readonly FloorGuardrail[]): FromSchema<typeof FLOOR_GUARDRAILS> =>
  floor.map((e) => ({ guardrail: e.guardrail, floor_name: e.floor }));

const RESOLUTION_FIELDS = {
  /** Every matched policy's guardrails and the namespace's floor, sorted. */
  effective_guardrails: STRINGS,
  matched_policies: {
    type: 'array',
    items: object({ policy_name: STRING, matched_via: STRING, guardrails_added: STRINGS }, [
      'policy_name',
      'matched_via',
      'guardrails_added',
    ]),
  },
  /** Every version used, root first per matched policy; `used_by` names the matched policy. */
  policy_versions: {
    type: 'array',
    items: object(
      { policy_name: STRING, policy_id: STRING, version_number: INTEGER, digest: STRING, used_by: STRING },
      ['policy_name', 'policy_id', 'version_number', 'digest', 'used_by'],
    ),
  },
  revision: INTEGER,
  /** The namespace's mandatory guardrails (in every answer, whatever matched), with their floors. */
  floor: FLOOR_GUARDRAILS,
} as const;

export const POLICY_RESOLVE_RESPONSE = object(RESOLUTION_FIELDS, [
  'effective_guardrails',
  'matched_policies',
  'policy_versions',
  'revision',
  'floor',
]);
export type WireResolution = FromSchema<typeof POLICY_RESOLVE_RESPONSE>;

/** LiteLLM's `PolicyResolveResponse`, plus the versions that produced it and the snapshot revision. */
export function toWireResolution(r: Resolution, revision: number): WireResolution {
  return {
    effective_guardrails: r.effectiveGuardrails,
    matched_policies: r.matchedPolicies.map((m) => ({
      policy_name: m.policyName,
      matched_via: m.matchedVia,
      guardrails_added: m.guardrailsAdded,
    })),
    policy_versions: r.matchedPolicies.flatMap(versionsOf),
    revision,
    floor: toWireFloor(r.floor),
  };
}

function versionsOf(m: MatchedPolicy): WireResolution['policy_versions'] {
  return m.versions.map((v) => ({
    policy_name: v.policyName,
    policy_id: v.policyId,
    version_number: v.versionNumber,
    digest: v.digest,
    used_by: m.policyName,
  }));
}

const CHAIN_LEVEL = object(
  {
    policy_name: STRING,
    policy_id: STRING,
    version_number: INTEGER,
    digest: STRING,
    guardrails_add: STRINGS,
    guardrails_remove: STRINGS,
    /** Removals with no effect: the namespace's floor makes these guardrails mandatory. */
    guardrails_remove_ignored: STRINGS,
    condition: orNull(CONDITION),
    condition_passed: BOOLEAN,
  },
  [
    'policy_name',
    'policy_id',
    'version_number',
    'digest',
    'guardrails_add',
    'guardrails_remove',
    'guardrails_remove_ignored',
    'condition',
    'condition_passed',
  ],
);

/** `POST /v1/explain`: the context, the resolution, then every candidate and matched policy with why. */
export const EXPLAIN_RESPONSE = object(
  {
    context: object(
      {
        team_alias: NULLABLE_STRING,
        key_alias: NULLABLE_STRING,
        model: NULLABLE_STRING,
        tags: NULLABLE_STRINGS,
      },
      ['team_alias', 'key_alias', 'model', 'tags'],
    ),
    ...RESOLUTION_FIELDS,
    attachments: {
      type: 'array',
      items: object(
        {
          attachment_id: STRING,
          policy_name: STRING,
          priority: INTEGER,
          anchor: { enum: ANCHORS },
          verdict: { enum: ATTACHMENT_VERDICTS },
          matched_via: NULLABLE_STRING,
          reason: NULLABLE_STRING,
        },
        ['attachment_id', 'policy_name', 'priority', 'anchor', 'verdict', 'matched_via', 'reason'],
      ),
    },
    not_candidates: INTEGER,
    policies: {
      type: 'array',
      items: object(
        {
          policy_name: STRING,
          attachment_id: STRING,
          matched_via: STRING,
          condition_passed: BOOLEAN,
          guardrails: STRINGS,
          inheritance_chain: { type: 'array', items: CHAIN_LEVEL },
        },
        [
          'policy_name',
          'attachment_id',
          'matched_via',
          'condition_passed',
          'guardrails',
          'inheritance_chain',
        ],
      ),
    },
  },
  [
    'context',
    'effective_guardrails',
    'matched_policies',
    'policy_versions',
    'revision',
    'floor',
    'attachments',
    'not_candidates',
    'policies',
  ],
);

/** `POST /v1/explain`: the resolution, then why, in wire names. */
export function toWireExplanation(e: Explanation, revision: number): FromSchema<typeof EXPLAIN_RESPONSE> {
  return {
    context: toWireContext(e.context),
    ...toWireResolution(e.resolution, revision),
    attachments: e.attachments.map((a) => ({
      attachment_id: a.attachment,
      policy_name: a.policy,
      priority: a.priority,
      anchor: a.anchor,
      verdict: a.verdict,
      matched_via: a.matchedVia ?? null,
      reason: a.reason ?? null,
    })),
    not_candidates: e.notCandidates,
    policies: e.policies.map((p) => ({
      policy_name: p.policyName,
      attachment_id: p.attachment,
      matched_via: p.matchedVia,
      condition_passed: p.conditionPassed,
      guardrails: p.guardrails,
      inheritance_chain: p.chain.map((level) => ({
        policy_name: level.version.policyName,
        policy_id: level.version.policyId,
        version_number: level.version.versionNumber,
        digest: level.version.digest,
        guardrails_add: level.add,
        guardrails_remove: level.remove,
        guardrails_remove_ignored: level.ignoredRemovals,
        condition: level.condition ? { model: level.condition.model ?? null } : null,
        condition_passed: level.conditionPassed,
      })),
    })),
  };
}
