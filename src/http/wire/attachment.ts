/** Attachments on the wire (reference 5.2): `PolicyAttachmentDBResponse` and the create request. */
import { type AttachmentRecord, describeOrigin } from '../../engine/index.ts';
import { DEFINITION_LOCATIONS, definitionLocation } from './policy.ts';
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
    created_at: STRING,
    created_by: NULLABLE_STRING,
    updated_at: STRING,
    updated_by: NULLABLE_STRING,
    policy_definition_location: { enum: DEFINITION_LOCATIONS },
    definition_location: { enum: DEFINITION_LOCATIONS },
    definition_source: STRING,
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
    'created_at',
    'created_by',
    'updated_at',
    'updated_by',
    'policy_definition_location',
    'definition_location',
    'definition_source',
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
