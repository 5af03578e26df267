/**
 * LiteLLM proxy config (reference section 4) → Railyard resources. Pure: the caller reads the file
 * and writes the result. What cannot be carried over is a `warning` with the config path it is
 * about (e.g. `policies.base.statements`), never a throw.
 *
 * - `policies:` (a map; the legacy `guardrails: [a, b]` list means `add`) → one `Policy` each, in
 *   production (config policies are what LiteLLM runs). Pipelines get `mode: pre_call` when they
 *   name none, as LiteLLM's config parser does.
 * - `policy_attachments:` (an ordered list; LiteLLM's first match wins) → `PolicyAttachment`s named
 *   `<policy>-<index>`, with priority `count - index`, so Railyard orders matched policies as the
 *   list did. An attachment with no selector (LiteLLM: matches everything) becomes `scope: "*"`.
 * - `guardrails:` (`guardrail_name`, `litellm_params.guardrail`) → one `Guardrail` each, of a
 *   built-in type when `LITELLM_BUILT_INS` maps it, else `external` (the proxy runs it). A name a
 *   policy uses that the list does not declare becomes an `external` guardrail too.
 */
import {
  type AttachmentResource,
  GUARDRAIL_MODES,
  type GuardrailMode,
  type GuardrailResource,
  type GuardrailType,
  type Origin,
  type PolicyResource,
  type Resource,
} from '../engine/index.ts';
import { validatePipeline } from '../http/index.ts';
import { DNS_SUBDOMAIN } from '../schema/index.ts';

/** LiteLLM `litellm_params.guardrail` values that Railyard runs itself, and as which type. */
export const LITELLM_BUILT_INS: Readonly<Record<string, GuardrailType>> = {
  presidio: 'pii',
  'hide-secrets': 'secrets',
  hide_secrets: 'secrets',
  detect_prompt_injection: 'prompt_injection',
};

/** Presidio entity names → Railyard PII entities. */
const PRESIDIO_ENTITIES: Readonly<Record<string, string>> = {
  EMAIL_ADDRESS: 'EMAIL',
  PHONE_NUMBER: 'PHONE',
  US_SSN: 'US_SSN',
  CREDIT_CARD: 'CREDIT_CARD',
  IBAN_CODE: 'IBAN',
  IP_ADDRESS: 'IP_ADDRESS',
};

const POLICY_KEYS = ['description', 'inherit', 'guardrails', 'condition', 'pipeline'];
const ATTACHMENT_KEYS = ['policy', 'scope', 'teams', 'keys', 'models', 'tags'];

export type ImportNote = { readonly path: string; readonly message: string };

export type ImportResult = {
  /** Guardrails, then policies, then attachments, each in config order. */
  readonly resources: readonly Resource[];
  readonly warnings: readonly ImportNote[];
  /** Entries that could not be imported at all (they are left out). */
  readonly errors: readonly ImportNote[];
};

export type ImportOptions = {
  readonly namespace: string;
  /** Where a config path was read from, for the resources' origins. */
  readonly originOf: (path: string) => Origin;
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s) => typeof s === 'string') : []);

export function importLitellmConfig(config: unknown, opts: ImportOptions): ImportResult {
  const warnings: ImportNote[] = [];
  const errors: ImportNote[] = [];
  const warn = (path: string, message: string) => warnings.push({ path, message });
  if (!isObject(config)) {
    return { resources: [], warnings, errors: [{ path: '', message: 'the config must be a YAML mapping' }] };
  }
  const names = policyNames(config.policies, warn);
  const policies = importPolicies(config.policies, names, opts, warn, (path, message) =>
    errors.push({ path, message }),
  );
  const attachments = importAttachments(config.policy_attachments, names, opts, warn);
  const guardrails = importGuardrails(config.guardrails, opts, warn);
  const declared = new Set(guardrails.map((g) => g.name));
  for (const p of policies) {
    for (const g of [...p.spec.guardrails.add, ...p.spec.guardrails.remove]) {
      if (declared.has(g)) continue;
      declared.add(g);
      warn(
        `policies.${p.name}`,
        `guardrail "${g}" is not in the config's guardrails list: imported as an external guardrail the proxy must provide`,
      );
      guardrails.push(externalGuardrail(g, 'not declared in the LiteLLM config', opts));
    }
  }
  if (attachments.length === 0 && policies.length > 0) {
    warn('policy_attachments', 'no policy_attachments: the policies apply to no request (as in LiteLLM)');
  }
  return { resources: [...guardrails, ...policies, ...attachments], warnings, errors };
}

/** LiteLLM policy names → Railyard names (lowercase DNS names); renamed ones get a warning. */
function policyNames(raw: unknown, warn: (path: string, message: string) => void): Map<string, string> {
  const names = new Map<string, string>();
  if (!isObject(raw)) return names;
  for (const name of Object.keys(raw)) {
    if (DNS_SUBDOMAIN.test(name)) {
      names.set(name, name);
      continue;
    }
    const renamed = name
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
    names.set(name, renamed);
    warn(`policies.${name}`, `renamed to "${renamed}": Railyard policy names are lowercase DNS names`);
  }
  return names;
}

function importPolicies(
  raw: unknown,
  names: ReadonlyMap<string, string>,
  opts: ImportOptions,
  warn: (path: string, message: string) => void,
  error: (path: string, message: string) => void,
): PolicyResource[] {
  if (raw === undefined || raw === null) return [];
  if (!isObject(raw)) {
    error('policies', 'must be a map of policy name → policy');
    return [];
  }
  const out: PolicyResource[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const path = `policies.${name}`;
    const p = isObject(value) ? value : {};
    for (const key of Object.keys(p)) {
      if (!POLICY_KEYS.includes(key))
        warn(
          `${path}.${key}`,
          `not carried over: LiteLLM ignores "${key}" on a policy (known: ${POLICY_KEYS.join(', ')})`,
        );
    }
    const g = p.guardrails;
    const add = Array.isArray(g) ? strings(g) : isObject(g) ? strings(g.add) : [];
    const remove = isObject(g) ? strings(g.remove) : [];
    const condition = importCondition(p.condition, `${path}.condition`, warn);
    let pipeline: PolicyResource['spec']['pipeline'];
    if (p.pipeline !== undefined && p.pipeline !== null) {
      const raw = isObject(p.pipeline) ? { mode: 'pre_call', ...p.pipeline } : p.pipeline;
      const checked = validatePipeline(raw, `${path}.pipeline`);
      if (!checked.ok) {
        for (const i of checked.issues) error(i.path, `policy "${name}" not imported: ${i.message}`);
        continue;
      }
      pipeline = checked.value;
    }
    const parent = typeof p.inherit === 'string' ? (names.get(p.inherit) ?? p.inherit) : undefined;
    out.push({
      kind: 'Policy',
      namespace: opts.namespace,
      name: names.get(name) ?? name,
      origin: opts.originOf(path),
      spec: {
        ...(typeof p.description === 'string' ? { description: p.description } : {}),
        ...(parent ? { inherit: parent } : {}),
        guardrails: { add: [...new Set(add)].sort(), remove: [...new Set(remove)].sort() },
        ...(condition ? { condition } : {}),
        ...(pipeline ? { pipeline } : {}),
        versionStatus: 'production',
      },
    });
  }
  return out;
}

function importCondition(
  raw: unknown,
  path: string,
  warn: (path: string, message: string) => void,
): { model: string | string[] } | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) {
    warn(path, 'not carried over: a condition is a mapping with model');
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'model')
      warn(`${path}.${key}`, `not carried over: LiteLLM ignores condition "${key}" (only model is read)`);
  }
  const model = raw.model;
  if (typeof model === 'string') return { model };
  if (Array.isArray(model) && model.length > 0) return { model: strings(model) };
  return undefined;
}

function importAttachments(
  raw: unknown,
  names: ReadonlyMap<string, string>,
  opts: ImportOptions,
  warn: (path: string, message: string) => void,
): AttachmentResource[] {
  if (!Array.isArray(raw)) {
    if (raw !== undefined && raw !== null) warn('policy_attachments', 'not carried over: must be a list');
    return [];
  }
  return raw.flatMap((value: unknown, index): AttachmentResource[] => {
    const path = `policy_attachments[${index}]`;
    const a = isObject(value) ? value : {};
    if (typeof a.policy !== 'string' || a.policy === '') {
      warn(path, 'not carried over: an attachment needs policy');
      return [];
    }
    for (const key of Object.keys(a)) {
      if (!ATTACHMENT_KEYS.includes(key))
        warn(`${path}.${key}`, `not carried over: unknown attachment field "${key}"`);
    }
    const policy = names.get(a.policy) ?? a.policy;
    if (!names.has(a.policy))
      warn(
        `${path}.policy`,
        `policy "${a.policy}" is not in this config's policies: the attachment matches nothing until it exists`,
      );
    const lists = {
      teams: strings(a.teams),
      keys: strings(a.keys),
      models: strings(a.models),
      tags: strings(a.tags),
    };
    let scope: string | undefined;
    if (a.scope === '*') {
      scope = '*';
      if (lists.tags.length > 0)
        warn(`${path}.tags`, 'dropped: LiteLLM ignores the tags of a scope "*" attachment');
      lists.tags = [];
    } else if (a.scope !== undefined && a.scope !== null) {
      warn(`${path}.scope`, `dropped: LiteLLM ignores any scope but "*" (got ${JSON.stringify(a.scope)})`);
    }
    const selectors = lists.teams.length + lists.keys.length + lists.models.length + lists.tags.length;
    if (scope === undefined && selectors === 0) {
      scope = '*';
      warn(path, 'no selector: LiteLLM matches every request with it, so it becomes scope "*"');
    }
    return [
      {
        kind: 'PolicyAttachment',
        namespace: opts.namespace,
        name: `${policy}-${index}`,
        origin: opts.originOf(path),
        spec: { policy, ...(scope ? { scope } : {}), ...lists, priority: raw.length - index },
      },
    ];
  });
}

function importGuardrails(
  raw: unknown,
  opts: ImportOptions,
  warn: (path: string, message: string) => void,
): GuardrailResource[] {
  if (!Array.isArray(raw)) return [];
  const out: GuardrailResource[] = [];
  raw.forEach((value: unknown, i) => {
    const path = `guardrails[${i}]`;
    const g = isObject(value) ? value : {};
    const name = g.guardrail_name;
    if (typeof name !== 'string' || name === '') {
      warn(path, 'not carried over: a guardrail needs guardrail_name');
      return;
    }
    const params = isObject(g.litellm_params) ? g.litellm_params : {};
    const litellmType = typeof params.guardrail === 'string' ? params.guardrail : 'unknown';
    const type = LITELLM_BUILT_INS[litellmType] ?? 'external';
    const mode = importMode(params.mode, `${path}.litellm_params.mode`, warn);
    if (params.default_on === true) {
      warn(
        `${path}.litellm_params.default_on`,
        'not carried over: attach a policy with scope "*" that adds this guardrail to run it on every request',
      );
    }
    const config = type === 'pii' ? presidioConfig(params, `${path}.litellm_params`, warn) : {};
    if (type !== 'external') {
      for (const key of Object.keys(params)) {
        if (!['guardrail', 'mode', 'default_on', 'pii_entities_config'].includes(key))
          warn(`${path}.litellm_params.${key}`, `not carried over: Railyard runs ${type} itself`);
      }
    }
    out.push({
      kind: 'Guardrail',
      namespace: opts.namespace,
      name,
      origin: opts.originOf(path),
      spec: {
        type,
        mode,
        failurePolicy: 'closed',
        description:
          type === 'external'
            ? `LiteLLM guardrail "${litellmType}": runs in the proxy`
            : `Imported from LiteLLM guardrail "${litellmType}" as Railyard's built-in ${type}`,
        config,
      },
    });
  });
  return out;
}

function importMode(
  raw: unknown,
  path: string,
  warn: (path: string, message: string) => void,
): GuardrailMode {
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (Array.isArray(raw) && raw.length > 1) warn(path, `several modes: only "${String(first)}" is kept`);
  if (GUARDRAIL_MODES.includes(first as GuardrailMode)) return first as GuardrailMode;
  if (first !== undefined) warn(path, `unknown mode ${JSON.stringify(first)}: pre_call is used`);
  return 'pre_call';
}

function presidioConfig(params: Json, path: string, warn: (path: string, message: string) => void): Json {
  const entities = isObject(params.pii_entities_config) ? params.pii_entities_config : undefined;
  if (!entities) return { action: 'mask' };
  const mapped: string[] = [];
  let block = false;
  for (const [entity, action] of Object.entries(entities)) {
    const ours = PRESIDIO_ENTITIES[entity];
    if (!ours) {
      warn(
        `${path}.pii_entities_config.${entity}`,
        `not carried over: Railyard detects ${Object.keys(PRESIDIO_ENTITIES).join(', ')}`,
      );
      continue;
    }
    mapped.push(ours);
    if (String(action).toUpperCase() === 'BLOCK') block = true;
  }
  if (block && Object.values(entities).some((a) => String(a).toUpperCase() !== 'BLOCK'))
    warn(
      `${path}.pii_entities_config`,
      'mixed MASK and BLOCK: Railyard has one action per guardrail, block is used',
    );
  return {
    ...(mapped.length > 0 ? { entities: [...new Set(mapped)] } : {}),
    action: block ? 'block' : 'mask',
  };
}

function externalGuardrail(name: string, why: string, opts: ImportOptions): GuardrailResource {
  return {
    kind: 'Guardrail',
    namespace: opts.namespace,
    name,
    origin: opts.originOf('guardrails'),
    spec: {
      type: 'external',
      mode: 'pre_call',
      failurePolicy: 'closed',
      description: `Runs in the proxy (${why})`,
      config: {},
    },
  };
}
