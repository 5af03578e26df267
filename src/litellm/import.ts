/**
 * LiteLLM proxy config → Railyard resources. Pure: the caller reads the file
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
 * - Names stay LiteLLM's: a policy or guardrail name that is not a valid object name
 *   (`pii_masking`, `Finance Baseline`) becomes `spec.policyName` / `spec.guardrailName`, with a
 *   DNS `metadata.name` derived from it (`pii-masking`, made unique); references keep the names.
 */
import {
  type AttachmentResource,
  GUARDRAIL_MODES,
  type GuardrailMode,
  type GuardrailResource,
  type GuardrailType,
  isProxyName,
  type Origin,
  type PolicyResource,
  PROXY_NAME_MESSAGE,
  type Resource,
} from '../engine/index.ts';
import { validatePipeline } from '../http/index.ts';
import { DNS_SUBDOMAIN } from '../schema/index.ts';

/** LiteLLM `litellm_params.guardrail` values that Railyard runs itself, and as which type. */
const LITELLM_BUILT_INS: Readonly<Record<string, GuardrailType>> = {
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

type ImportNote = { readonly path: string; readonly message: string };

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
  const names = policyNames(config.policies);
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
  const guardrailObjects = objectNames(
    guardrails.map((g) => g.name),
    'guardrail',
  );
  const named = guardrails.map((g): GuardrailResource => {
    const objectName = guardrailObjects.get(g.name) ?? g.name;
    return objectName === g.name ? g : { ...g, name: objectName, spec: { guardrailName: g.name, ...g.spec } };
  });
  if (attachments.length === 0 && policies.length > 0) {
    warn('policy_attachments', 'no policy_attachments: the policies apply to no request (as in LiteLLM)');
  }
  return { resources: [...named, ...policies, ...attachments], warnings, errors };
}

/**
 * A DNS object name for each LiteLLM name, unique within `names`: the name itself when it is one,
 * else lowercase with every other run of characters as `-` (`Finance_Baseline` → `finance-baseline`),
 * and `-2`, `-3` … when two land on the same object name.
 */
function objectNames(names: readonly string[], fallback: string): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set(names.filter((n) => DNS_SUBDOMAIN.test(n) && n.length <= 253));
  for (const name of names) {
    if (out.has(name)) continue;
    if (taken.has(name) && DNS_SUBDOMAIN.test(name)) {
      out.set(name, name);
      continue;
    }
    const base =
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .slice(0, 240)
        .replace(/^-+|-+$/g, '') || fallback;
    let candidate = base;
    for (let i = 2; taken.has(candidate); i++) candidate = `${base}-${i}`;
    taken.add(candidate);
    out.set(name, candidate);
  }
  return out;
}

/** The policy names a config declares, each with its object name. */
function policyNames(raw: unknown): Map<string, string> {
  return isObject(raw) ? objectNames(Object.keys(raw), 'policy') : new Map();
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
    if (!isProxyName(name)) {
      error(path, `policy "${name}" not imported: its name ${PROXY_NAME_MESSAGE}`);
      continue;
    }
    const parent = typeof p.inherit === 'string' ? p.inherit : undefined;
    const objectName = names.get(name) ?? name;
    out.push({
      kind: 'Policy',
      namespace: opts.namespace,
      name: objectName,
      origin: opts.originOf(path),
      spec: {
        ...(objectName === name ? {} : { policyName: name }),
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
    const policy = a.policy;
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
        name: `${names.get(policy) ?? objectNames([policy], 'policy').get(policy)}-${index}`,
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
    if (!isProxyName(name)) {
      warn(`${path}.guardrail_name`, `not carried over: the name ${PROXY_NAME_MESSAGE}`);
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
