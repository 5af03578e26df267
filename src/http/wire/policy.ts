/**
 * Policies on the wire: `PolicyDBResponse` and the request bodies, with
 * their mappers to and from the engine's versions and content patches.
 */
import {
  type Checked,
  type Condition,
  type ContentPatch,
  describeOrigin,
  type Origin,
  type Pipeline,
  type PolicyContent,
  type PolicyHistory,
  type PolicyVersion,
  PROXY_NAME_MAX_LENGTH,
  VERSION_STATUSES,
  type VersionDiff,
} from '../../engine/index.ts';
import { GUARDRAIL_PIPELINE, toWirePipeline, validatePipeline } from './pipeline.ts';
import {
  BOOLEAN,
  type FromSchema,
  INTEGER,
  type Loosened,
  lenientObject,
  NULLABLE_STRING,
  NULLABLE_STRINGS,
  object,
  orNull,
  STRING,
  STRINGS,
} from './schema.ts';

/**
 * `policy_definition_location` and `definition_location` (LiteLLM's newer name for it; both are
 * sent): `db` for what the API created, `config` for what files or Kubernetes declare.
 */
export const DEFINITION_LOCATIONS = ['db', 'config'] as const;
export const definitionLocation = (origin: Origin): (typeof DEFINITION_LOCATIONS)[number] =>
  origin.kind === 'api' ? 'db' : 'config';

/** Who wrote a record and when, and where it is defined: the same fields on policies and attachments. */
export const PROVENANCE = {
  created_at: STRING,
  created_by: NULLABLE_STRING,
  updated_at: STRING,
  updated_by: NULLABLE_STRING,
  policy_definition_location: { enum: DEFINITION_LOCATIONS },
  definition_location: { enum: DEFINITION_LOCATIONS },
  definition_source: STRING,
} as const;
export const PROVENANCE_REQUIRED = [
  'created_at',
  'created_by',
  'updated_at',
  'updated_by',
  'policy_definition_location',
  'definition_location',
  'definition_source',
] as const;

const MODEL_CONDITION = { anyOf: [STRING, STRINGS, { type: 'null' }] } as const;
export const CONDITION = {
  type: 'object',
  properties: { model: MODEL_CONDITION },
  additionalProperties: false,
} as const;

export const POLICY_DB_RESPONSE = object(
  {
    policy_id: STRING,
    policy_name: STRING,
    version_number: INTEGER,
    version_status: { enum: VERSION_STATUSES },
    parent_version_id: NULLABLE_STRING,
    is_latest: BOOLEAN,
    published_at: NULLABLE_STRING,
    production_at: NULLABLE_STRING,
    inherit: NULLABLE_STRING,
    description: NULLABLE_STRING,
    guardrails_add: STRINGS,
    guardrails_remove: STRINGS,
    condition: orNull(CONDITION),
    pipeline: orNull(GUARDRAIL_PIPELINE),
    ...PROVENANCE,
    digest: STRING,
    namespace: STRING,
    /** Set by a status change or delete that left the policy without a production version. */
    warning: STRING,
  },
  [
    'policy_id',
    'policy_name',
    'version_number',
    'version_status',
    'parent_version_id',
    'is_latest',
    'published_at',
    'production_at',
    'inherit',
    'description',
    'guardrails_add',
    'guardrails_remove',
    'condition',
    'pipeline',
    ...PROVENANCE_REQUIRED,
    'digest',
    'namespace',
  ],
);
export type WirePolicy = FromSchema<typeof POLICY_DB_RESPONSE>;

/** `PolicyDBResponse`: one version, with LiteLLM's version fields. */
export function toWirePolicy(h: PolicyHistory, v: PolicyVersion): WirePolicy {
  const latest = h.versions.reduce((max, x) => Math.max(max, x.versionNumber), 0);
  return {
    policy_id: v.policyId,
    policy_name: v.policyName,
    version_number: v.versionNumber,
    version_status: v.status,
    parent_version_id: v.parentVersionId,
    is_latest: v.versionNumber === latest,
    published_at: v.publishedAt,
    production_at: v.productionAt,
    inherit: v.content.inherit ?? null,
    description: v.content.description ?? null,
    guardrails_add: v.content.guardrails.add,
    guardrails_remove: v.content.guardrails.remove,
    condition: v.content.condition ? { model: v.content.condition.model ?? null } : null,
    pipeline: v.content.pipeline ? toWirePipeline(v.content.pipeline) : null,
    created_at: v.createdAt,
    created_by: v.createdBy,
    updated_at: v.updatedAt,
    updated_by: v.updatedBy,
    policy_definition_location: definitionLocation(h.origin),
    definition_location: definitionLocation(h.origin),
    definition_source: describeOrigin(h.origin),
    digest: v.digest,
    namespace: h.namespace,
  };
}

/** The names proxies know (see the engine's PROXY_NAME_PATTERN), without `/`: it addresses the name in paths. */
const POLICY_NAME = {
  type: 'string',
  minLength: 1,
  maxLength: PROXY_NAME_MAX_LENGTH,
  pattern: '^[^/ \\x00-\\x1F\\x7F-\\x9F](?:[^/\\x00-\\x1F\\x7F-\\x9F]*[^/ \\x00-\\x1F\\x7F-\\x9F])?$',
} as const;

const POLICY_FIELDS = {
  policy_name: POLICY_NAME,
  inherit: NULLABLE_STRING,
  description: NULLABLE_STRING,
  guardrails_add: NULLABLE_STRINGS,
  guardrails_remove: NULLABLE_STRINGS,
  condition: {
    type: ['object', 'null'],
    properties: { model: MODEL_CONDITION },
    additionalProperties: false,
  },
  pipeline: orNull(GUARDRAIL_PIPELINE),
} as const;

/** `PolicyCreateRequest`; other fields are ignored, as LiteLLM does. */
export const POLICY_CREATE_REQUEST = lenientObject(POLICY_FIELDS, ['policy_name']);
/** `PolicyUpdateRequest`: every field optional; a draft cannot be renamed; other fields are ignored. */
export const POLICY_UPDATE_REQUEST = lenientObject(POLICY_FIELDS);

/** Properties the body validators leave to the route, which checks them with LiteLLM's messages. */
export const POLICY_CHECKED_LATER = { pipeline: { type: ['object', 'null'] } } as const;
/** A policy request body as its validator passes it: the pipeline is still to be checked. */
export type WirePolicyFields = FromSchema<
  Loosened<typeof POLICY_UPDATE_REQUEST, typeof POLICY_CHECKED_LATER>
>;

export const POLICY_VERSION_CREATE_REQUEST = object({ source_policy_id: NULLABLE_STRING });

/** The transitions the reference allows; anything else is its 400 `Invalid status ...`. */
export const POLICY_STATUS_REQUEST = object(
  { version_status: { enum: VERSION_STATUSES.filter((s) => s !== 'draft') as ['published', 'production'] } },
  ['version_status'],
);
export const STATUS_CHECKED_LATER = { version_status: STRING } as const;

export const POLICY_LIST_RESPONSE = object(
  { policies: { type: 'array', items: POLICY_DB_RESPONSE }, total_count: INTEGER },
  ['policies', 'total_count'],
);
export const POLICY_VERSION_LIST_RESPONSE = object(
  { policy_name: STRING, versions: { type: 'array', items: POLICY_DB_RESPONSE }, total_count: INTEGER },
  ['policy_name', 'versions', 'total_count'],
);
export const RESOLVED_GUARDRAILS_RESPONSE = object(
  { policy_id: STRING, policy_name: STRING, resolved_guardrails: STRINGS },
  ['policy_id', 'policy_name', 'resolved_guardrails'],
);

const FIELD_DIFF = object({ version_a: {}, version_b: {} }, ['version_a', 'version_b']);
export const POLICY_COMPARE_RESPONSE = object(
  {
    version_a: POLICY_DB_RESPONSE,
    version_b: POLICY_DB_RESPONSE,
    field_diffs: { type: 'object', additionalProperties: FIELD_DIFF },
  },
  ['version_a', 'version_b', 'field_diffs'],
);

/**
 * A policy request's fields as a content patch: a field left out is unchanged, `null` clears it
 * (an empty list for guardrails). The pipeline is checked here; everything else that needs other objects is the validator's job.
 */
export function fromWirePolicyFields(body: WirePolicyFields): Checked<ContentPatch> {
  let pipeline: Pipeline | null | undefined = body.pipeline === null ? null : undefined;
  if (body.pipeline !== undefined && body.pipeline !== null) {
    const checked = validatePipeline(body.pipeline, 'pipeline');
    if (!checked.ok) return checked;
    pipeline = checked.value;
  }
  const list = (v: readonly string[] | null | undefined) => (v === undefined ? undefined : (v ?? []));
  const add = list(body.guardrails_add);
  const remove = list(body.guardrails_remove);
  const model = body.condition?.model;
  const condition: Condition | null | undefined =
    body.condition === undefined ? undefined : model === undefined || model === null ? null : { model };
  return {
    ok: true,
    value: {
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.inherit !== undefined ? { inherit: body.inherit } : {}),
      ...(add || remove ? { guardrails: { ...(add ? { add } : {}), ...(remove ? { remove } : {}) } } : {}),
      ...(condition !== undefined ? { condition } : {}),
      ...(pipeline !== undefined ? { pipeline } : {}),
    },
  };
}

/** The content of a new policy: the patch applied to nothing. */
export function contentFromPatch(p: ContentPatch): PolicyContent {
  return {
    ...(p.description ? { description: p.description } : {}),
    ...(p.inherit ? { inherit: p.inherit } : {}),
    guardrails: { add: p.guardrails?.add ?? [], remove: p.guardrails?.remove ?? [] },
    ...(p.condition ? { condition: p.condition } : {}),
    ...(p.pipeline ? { pipeline: p.pipeline } : {}),
  };
}

const DIFF_FIELDS = {
  inherit: 'inherit',
  description: 'description',
  guardrailsAdd: 'guardrails_add',
  guardrailsRemove: 'guardrails_remove',
  condition: 'condition',
  pipeline: 'pipeline',
} as const satisfies Record<keyof VersionDiff, string>;

/** `field_diffs` of `PolicyVersionCompareResponse`: `{field: {version_a, version_b}}`, wire names and shapes. */
export function toWireVersionDiff(
  diff: VersionDiff,
): FromSchema<typeof POLICY_COMPARE_RESPONSE>['field_diffs'] {
  const value = (field: keyof VersionDiff, v: unknown): unknown =>
    v !== null && field === 'pipeline' ? toWirePipeline(v as Pipeline) : v;
  const out: Record<string, { version_a: unknown; version_b: unknown }> = {};
  for (const field of Object.keys(DIFF_FIELDS) as (keyof VersionDiff)[]) {
    const d = diff[field];
    if (d)
      out[DIFF_FIELDS[field]] = { version_a: value(field, d.versionA), version_b: value(field, d.versionB) };
  }
  return out;
}

const SCOPE = object({ teams: STRINGS, keys: STRINGS, models: STRINGS, tags: STRINGS }, [
  'teams',
  'keys',
  'models',
  'tags',
]);

/**
 * `PolicyInfoResponse` (`GET /policy/info/{policy_name}`): the production version's lists, its
 * chain's guardrails and names; `scope` gathers the selectors of the policy's attachments (LiteLLM
 * leaves it empty). Plus the version it reads.
 */
export const POLICY_INFO_RESPONSE = object(
  {
    policy_name: STRING,
    inherit: NULLABLE_STRING,
    scope: SCOPE,
    guardrails: object({ add: STRINGS, remove: STRINGS }, ['add', 'remove']),
    resolved_guardrails: STRINGS,
    inheritance_chain: STRINGS,
    policy_id: STRING,
    version_number: INTEGER,
    definition_location: { enum: DEFINITION_LOCATIONS },
  },
  [
    'policy_name',
    'inherit',
    'scope',
    'guardrails',
    'resolved_guardrails',
    'inheritance_chain',
    'policy_id',
    'version_number',
    'definition_location',
  ],
);
