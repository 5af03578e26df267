/**
 * CR documents ⇄ engine resources. Every default of the resources is applied here and nowhere
 * else: the CRDs carry none (Argo CD would show defaulted fields as drift).
 */
import {
  type AttachmentSpec,
  type Checked,
  CLUSTER_SCOPE,
  type Condition,
  type FloorSpec,
  type GuardrailSpec,
  isClusterScoped,
  type Kind,
  type LabelSelector,
  type Origin,
  type Pipeline,
  type PipelineStep,
  type PolicySpec,
  type Resource,
} from '../engine/index.ts';

export const API_VERSION = 'railyard.dev/v1alpha1';

/** The defaults of every optional field, in one place. Lists default to `[]`, `config` to `{}`. */
const DEFAULTS = {
  versionStatus: 'production',
  step: { onPass: 'allow', onFail: 'block', passData: false },
  priority: 0,
  guardrail: { mode: 'pre_call', failurePolicy: 'closed' },
} as const;

/**
 * The check of `spec.condition.model`, Railyard's own: a field that is a string or a list has no
 * type in a structural schema, so the API server's CEL cannot read it (crds/policy.yaml says so).
 */
const MODEL_TYPE_MESSAGE =
  'condition.model must be a string or a list of strings (an exact model name or a full-match regex)';

type Json = Record<string, unknown>;

/** A document that passed its kind's CRD schema; only fields the schema allows are read. */
export type SchemaValidDocument = {
  readonly kind: Kind;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly generation?: number };
  readonly spec: Json;
};

/**
 * Turns a schema-valid document into an engine resource, applying the defaults. Fails only for
 * what the schema cannot express structurally (`condition.model`: a string or a list of strings).
 * The input is not modified and the output shares no mutable state with it.
 */
export function toResource(
  doc: SchemaValidDocument,
  origin: Origin,
  defaultNamespace: string,
): Checked<Resource> {
  const base = {
    namespace: isClusterScoped(doc.kind) ? CLUSTER_SCOPE : (doc.metadata.namespace ?? defaultNamespace),
    name: doc.metadata.name,
    origin,
    ...(typeof doc.metadata.generation === 'number' ? { generation: doc.metadata.generation } : {}),
  };
  switch (doc.kind) {
    case 'Policy': {
      const spec = toPolicySpec(doc.spec);
      return spec.ok ? { ok: true, value: { kind: 'Policy', ...base, spec: spec.value } } : spec;
    }
    case 'PolicyAttachment':
      return { ok: true, value: { kind: 'PolicyAttachment', ...base, spec: toAttachmentSpec(doc.spec) } };
    case 'Guardrail':
      return { ok: true, value: { kind: 'Guardrail', ...base, spec: toGuardrailSpec(doc.spec) } };
    case 'GuardrailFloor':
      return { ok: true, value: { kind: 'GuardrailFloor', ...base, spec: toFloorSpec(doc.spec) } };
  }
}

function toFloorSpec(s: Json): FloorSpec {
  const selector = s.namespaceSelector as
    | { matchLabels?: Record<string, string>; matchExpressions?: LabelSelector['matchExpressions'] }
    | undefined;
  return {
    guardrails: sortedSet(s.guardrails as string[]),
    namespaces: sortedSet(s.namespaces as string[] | undefined),
    ...(selector === undefined
      ? {}
      : {
          namespaceSelector: {
            matchLabels: { ...(selector.matchLabels ?? {}) },
            matchExpressions: (selector.matchExpressions ?? []).map((e) => ({
              key: e.key,
              operator: e.operator,
              values: [...(e.values ?? [])],
            })),
          },
        }),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  };
}

function toPolicySpec(s: Json): Checked<PolicySpec> {
  const guardrails = (s.guardrails ?? {}) as { add?: string[]; remove?: string[] };
  const condition = s.condition as { model?: unknown } | undefined;
  const model = condition?.model;
  if (model !== undefined && !isModel(model)) {
    return {
      ok: false,
      issues: [
        {
          code: 'invalid_schema',
          severity: 'error',
          path: 'spec.condition.model',
          message: MODEL_TYPE_MESSAGE,
        },
      ],
    };
  }
  const spec: PolicySpec = {
    ...(typeof s.policyName === 'string' ? { policyName: s.policyName } : {}),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    ...(typeof s.inherit === 'string' ? { inherit: s.inherit } : {}),
    guardrails: { add: sortedSet(guardrails.add), remove: sortedSet(guardrails.remove) },
    ...(condition !== undefined ? { condition: toCondition(model) } : {}),
    ...(s.pipeline !== undefined ? { pipeline: toPipeline(s.pipeline as Json) } : {}),
    versionStatus: (s.versionStatus as PolicySpec['versionStatus'] | undefined) ?? DEFAULTS.versionStatus,
    ...(s.shadow !== undefined
      ? { shadow: { sampleRate: (s.shadow as { sampleRate: number }).sampleRate } }
      : {}),
  };
  return { ok: true, value: spec };
}

function isModel(m: unknown): m is string | string[] {
  return typeof m === 'string' || (Array.isArray(m) && m.every((x) => typeof x === 'string'));
}

function toCondition(model: string | string[] | undefined): Condition {
  if (model === undefined) return {};
  return { model: typeof model === 'string' ? model : [...model] };
}

function toPipeline(p: Json): Pipeline {
  const steps = p.steps as Json[];
  return { mode: p.mode as Pipeline['mode'], steps: steps.map(toStep) };
}

function toStep(s: Json): PipelineStep {
  return {
    guardrail: s.guardrail as string,
    onPass: (s.onPass as PipelineStep['onPass'] | undefined) ?? DEFAULTS.step.onPass,
    onFail: (s.onFail as PipelineStep['onFail'] | undefined) ?? DEFAULTS.step.onFail,
    ...(s.onError !== undefined ? { onError: s.onError as PipelineStep['onFail'] } : {}),
    passData: (s.passData as boolean | undefined) ?? DEFAULTS.step.passData,
    ...(typeof s.modifyResponseMessage === 'string'
      ? { modifyResponseMessage: s.modifyResponseMessage }
      : {}),
  };
}

function toAttachmentSpec(s: Json): AttachmentSpec {
  const list = (v: unknown): string[] => (Array.isArray(v) ? [...(v as string[])] : []);
  return {
    policy: s.policy as string,
    ...(typeof s.scope === 'string' ? { scope: s.scope } : {}),
    teams: list(s.teams),
    keys: list(s.keys),
    models: list(s.models),
    tags: list(s.tags),
    priority: (s.priority as number | undefined) ?? DEFAULTS.priority,
  };
}

function toGuardrailSpec(s: Json): GuardrailSpec {
  return {
    ...(typeof s.guardrailName === 'string' ? { guardrailName: s.guardrailName } : {}),
    type: s.type as GuardrailSpec['type'],
    mode: (s.mode as GuardrailSpec['mode'] | undefined) ?? DEFAULTS.guardrail.mode,
    failurePolicy:
      (s.failurePolicy as GuardrailSpec['failurePolicy'] | undefined) ?? DEFAULTS.guardrail.failurePolicy,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    config: structuredClone((s.config ?? {}) as Json),
  };
}

function sortedSet(list: readonly string[] | undefined): string[] {
  return [...new Set(list ?? [])].sort();
}

/**
 * The CR document of a resource (for `railyard import-litellm` and tests): every field the
 * resource holds, except empty lists, an empty `config` and absent optionals. Deterministic;
 * `validateDocument(toDocument(r), r.origin, r.namespace)` gives back `r` (without `generation`).
 */
export function toDocument(resource: Resource): Json {
  return {
    apiVersion: API_VERSION,
    kind: resource.kind,
    metadata: isClusterScoped(resource.kind)
      ? { name: resource.name }
      : { name: resource.name, namespace: resource.namespace },
    spec: specDocument(resource),
  };
}

function specDocument(r: Resource): Json {
  switch (r.kind) {
    case 'Policy': {
      const { guardrails, pipeline, condition, ...rest } = r.spec;
      const lists = compact({ add: guardrails.add, remove: guardrails.remove });
      return compact({
        ...rest,
        guardrails: Object.keys(lists).length > 0 ? lists : undefined,
        condition: condition === undefined ? undefined : structuredClone(condition),
        pipeline:
          pipeline === undefined
            ? undefined
            : { mode: pipeline.mode, steps: pipeline.steps.map((s) => compact({ ...s })) },
      });
    }
    case 'PolicyAttachment':
      return compact({ ...r.spec });
    case 'Guardrail': {
      const { config, ...rest } = r.spec;
      return compact({
        ...rest,
        config: Object.keys(config).length > 0 ? structuredClone(config) : undefined,
      });
    }
    case 'GuardrailFloor': {
      const { namespaceSelector, ...rest } = r.spec;
      return compact({
        ...rest,
        namespaceSelector:
          namespaceSelector === undefined
            ? undefined
            : compact({
                matchLabels:
                  Object.keys(namespaceSelector.matchLabels).length > 0
                    ? { ...namespaceSelector.matchLabels }
                    : undefined,
                matchExpressions: namespaceSelector.matchExpressions.map((e) =>
                  compact({ key: e.key, operator: e.operator, values: e.values }),
                ),
              }),
      });
    }
  }
}

/** Drops undefined values and empty lists; copies lists. */
function compact(o: Record<string, unknown>): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}
