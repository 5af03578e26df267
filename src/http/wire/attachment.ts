/** Attachments on the wire: `PolicyAttachmentDBResponse` and the create request. */
import { type AttachmentRecord, describeOrigin } from '../../engine/index.ts';
import type { AttachmentImpact } from '../../registry/index.ts';
import { definitionLocation, PROVENANCE, PROVENANCE_REQUIRED } from './policy.ts';
import {
  type FromSchema,
  INTEGER,
  lenientObject,
  NULLABLE_STRING,
  NULLABLE_STRINGS,
  object,
  STRING,
  STRINGS,
} from './schema.ts';

/** `PolicyAttachmentCreateRequest`; other fields are ignored, as LiteLLM does. */
export const POLICY_ATTACHMENT_CREATE_REQUEST = lenientObject(
  {
    policy_name: { type: 'string', minLength: 1 },
    scope: { enum: ['*', null] },
    teams: NULLABLE_STRINGS,
    keys: NULLABLE_STRINGS,
    models: NULLABLE_STRINGS,
    tags: NULLABLE_STRINGS,
    priority: { type: ['integer', 'null'] },
  },
  ['policy_name'],
);
/** The scope is checked with the other selector rules, as a file's would be (422 naming the rule). */
export const ATTACHMENT_CHECKED_LATER = { scope: NULLABLE_STRING } as const;

export const POLICY_ATTACHMENT_DB_RESPONSE = object(
  {
    attachment_id: STRING,
    policy_name: STRING,
    scope: NULLABLE_STRING,
    teams: STRINGS,
    keys: STRINGS,
    models: STRINGS,
    tags: STRINGS,
    priority: INTEGER,
    ...PROVENANCE,
    namespace: STRING,
  },
  [
    'attachment_id',
    'policy_name',
    'scope',
    'teams',
    'keys',
    'models',
    'tags',
    'priority',
    ...PROVENANCE_REQUIRED,
    'namespace',
  ],
);
export type WireAttachment = FromSchema<typeof POLICY_ATTACHMENT_DB_RESPONSE>;

export const POLICY_ATTACHMENT_LIST_RESPONSE = object(
  { attachments: { type: 'array', items: POLICY_ATTACHMENT_DB_RESPONSE }, total_count: INTEGER },
  ['attachments', 'total_count'],
);

/** `PolicyAttachmentDBResponse`. */
export function toWireAttachment(a: AttachmentRecord): WireAttachment {
  return {
    attachment_id: a.attachmentId,
    policy_name: a.spec.policy,
    scope: a.spec.scope ?? null,
    teams: a.spec.teams,
    keys: a.spec.keys,
    models: a.spec.models,
    tags: a.spec.tags,
    priority: a.spec.priority,
    created_at: a.createdAt,
    created_by: a.createdBy,
    updated_at: a.updatedAt,
    updated_by: a.updatedBy,
    policy_definition_location: definitionLocation(a.origin),
    definition_location: definitionLocation(a.origin),
    definition_source: describeOrigin(a.origin),
    namespace: a.namespace,
  };
}

const IMPACT_GAIN = object(
  {
    team_alias: NULLABLE_STRING,
    key_alias: NULLABLE_STRING,
    model: NULLABLE_STRING,
    tags: STRINGS,
    gained: STRINGS,
  },
  ['team_alias', 'key_alias', 'model', 'tags', 'gained'],
);

/**
 * `AttachmentImpactResponse`, plus Railyard's models and the contexts that would gain guardrails.
 * Counts are of the aliases and models Railyard's objects name (it has no table of keys, so no
 * key or team is unnamed); a global attachment counts -1 with LiteLLM's sample strings.
 */
export const ATTACHMENT_IMPACT_RESPONSE = object(
  {
    affected_keys_count: INTEGER,
    affected_teams_count: INTEGER,
    unnamed_keys_count: INTEGER,
    unnamed_teams_count: INTEGER,
    sample_keys: STRINGS,
    sample_teams: STRINGS,
    affected_models_count: INTEGER,
    sample_models: STRINGS,
    gains: { type: 'array', items: IMPACT_GAIN },
  },
  [
    'affected_keys_count',
    'affected_teams_count',
    'unnamed_keys_count',
    'unnamed_teams_count',
    'sample_keys',
    'sample_teams',
    'affected_models_count',
    'sample_models',
    'gains',
  ],
);

const SAMPLE = 10;
const MAX_GAINS = 100;

export function toWireImpact(i: AttachmentImpact): FromSchema<typeof ATTACHMENT_IMPACT_RESPONSE> {
  const counted = (values: readonly string[], what: string) =>
    i.global
      ? { count: -1, sample: [`(global scope — affects all ${what})`] }
      : { count: values.length, sample: values.slice(0, SAMPLE) };
  const keys = counted(i.keys, 'keys');
  const teams = counted(i.teams, 'teams');
  const models = counted(i.models, 'models');
  return {
    affected_keys_count: keys.count,
    affected_teams_count: teams.count,
    unnamed_keys_count: 0,
    unnamed_teams_count: 0,
    sample_keys: keys.sample,
    sample_teams: teams.sample,
    affected_models_count: models.count,
    sample_models: models.sample,
    gains: i.gains.slice(0, MAX_GAINS).map((g) => ({
      team_alias: g.context.teamAlias ?? null,
      key_alias: g.context.keyAlias ?? null,
      model: g.context.model ?? null,
      tags: [...(g.context.tags ?? [])],
      gained: [...g.gained],
    })),
  };
}
