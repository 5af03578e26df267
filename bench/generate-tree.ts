/**
 * Synthetic policy trees for the benchmarks. Deterministic: the same size and seed always give the
 * same files and contexts. A tree of N policies has N/2 attached policies with two attachments each
 * (see `generateTree`), model conditions on about one policy in seven, and pipelines on one leaf in
 * ten. Every context matches the same number of policies, each with the same inheritance depth, at
 * every size, so that comparing sizes compares the cost of what exists, not of what matches;
 * `size` counts the synthetic policies, the probe policy comes on top.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import {
  type AttachmentSpec,
  type CompiledCondition,
  type Condition,
  compileCondition,
  type RequestContext,
  scopeMatches,
} from '../src/engine/index.ts';

export type TreeFile = { readonly name: string; readonly text: string };

export type Tree = {
  /** Synthetic policies, not counting the probe. */
  readonly policies: number;
  readonly attachments: number;
  readonly files: readonly TreeFile[];
  /** Distinct request contexts drawn from the tree's own teams, keys, models and tags. */
  readonly contexts: readonly RequestContext[];
};

/** The file holding the probe policy that the propagation and edit measurements change. */
export const PROBE_FILE = 'policies-0000.yaml';
export const PROBE_POLICY = 'bench-probe';
export const PROBE_KEY = 'bench-probe-key';

const API_VERSION = 'railyard.dev/v1alpha1';
const POLICIES_PER_FILE = 50;
/** Levels in the chain of every attached policy: a root and a leaf. */
const CHAIN = 2;
/** Policies every context matches, whatever the size: the global one, a team, a key and a tag. */
const MATCHED = 4;
const MODELS = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4.1',
  'gpt-3.5-turbo',
  'claude-3-opus',
  'claude-3-sonnet',
  'claude-3-haiku',
  'llama-3-70b',
  'llama-3-8b',
  'mistral-large',
  'gemini-1.5-pro',
  'o1-mini',
] as const;
const MODEL_PREFIXES = ['gpt-4*', 'claude-3*', 'llama-*', 'gemini-*', 'o1*'] as const;
const CONDITIONS: readonly (string | string[])[] = [
  'gpt-4.*',
  'claude-3-(opus|sonnet)',
  ['gpt-4o', 'gpt-4o-mini'],
  'llama-.*-70b',
];
const GUARDRAILS: readonly { name: string; spec: Record<string, unknown> }[] = [
  ...['a', 'b', 'c', 'd'].map((s) => ({
    name: `keywords-${s}`,
    spec: { type: 'keywords', config: { words: [`secret-${s}`, `codename-${s}`] } },
  })),
  ...['a', 'b', 'c'].map((s) => ({
    name: `regex-${s}`,
    spec: {
      type: 'regex',
      config: {
        action: 'block',
        patterns: [{ name: `ID_${s}`, pattern: `\\b${s.toUpperCase()}-\\d{6}\\b` }],
      },
    },
  })),
  { name: 'pii-mask', spec: { type: 'pii', config: { entities: ['EMAIL', 'US_SSN'], action: 'mask' } } },
  { name: 'pii-block', spec: { type: 'pii', config: { entities: ['CREDIT_CARD'], action: 'block' } } },
  { name: 'prompt-injection', spec: { type: 'prompt_injection', config: {} } },
  { name: 'secrets-scan', spec: { type: 'secrets', config: { action: 'block' } } },
  { name: 'max-prompt', spec: { type: 'max_length', config: { maxTokens: 8000 } } },
  { name: 'toxicity', spec: { type: 'external', config: {} } },
  { name: 'vendor-moderation', spec: { type: 'external', config: {} } },
];
const RUNNABLE = ['pii-mask', 'prompt-injection', 'secrets-scan', 'keywords-a', 'regex-a'] as const;

/** mulberry32: a small seeded generator, so trees are reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Generates a tree of `size` policies (plus the probe policy) and `contextCount` contexts.
 *
 * Policies come in pairs: a root, and a leaf that inherits from it. Only leaves are attached, so
 * every policy a request matches has a chain of exactly `CHAIN` levels. The first leaf is global;
 * the others take turns at team, key, tag and team+model-prefix attachments (two each; a key or tag
 * attachment names two values, a tenth of team and key attachments are a prefix).
 * Contexts are drawn from the values attachments name, and a context is kept only when it matches
 * exactly `MATCHED` policies (checked against every attachment by a plain scan): the same work per
 * request in a tree of 10 policies as in one of 10,000.
 */
export function generateTree(size: number, contextCount = 300, seed = 42): Tree {
  const rnd = random(seed + size);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const team = (i: number): string => `team-${pad(i, 4)}`;
  const key = (i: number): string => `key-${pad(i, 5)}`;
  const tag = (i: number): string => `tag-${pad(i, 4)}`;
  const named = { teams: [] as string[], keys: [] as string[], tags: [] as string[] };
  const counter = { teams: 0, keys: 0, tags: 0 };
  const fresh = (dim: 'teams' | 'keys' | 'tags'): string => {
    const value = (dim === 'teams' ? team : dim === 'keys' ? key : tag)(counter[dim]++);
    named[dim].push(value);
    return value;
  };

  const docs: { file: number; doc: Record<string, unknown> }[] = [];
  const specs: Selector[] = [];
  const conditions = new Map<string, CompiledCondition>();
  const attach = (file: number, policy: string, selector: Record<string, unknown>): void => {
    specs.push({ policy, teams: [], keys: [], models: [], tags: [], ...selector } as Selector);
    docs.push({
      file,
      doc: {
        apiVersion: API_VERSION,
        kind: 'PolicyAttachment',
        metadata: { name: `${policy}-a${specs.length}` },
        spec: { policy, ...selector, ...(rnd() < 0.3 ? { priority: int(200) } : {}) },
      },
    });
  };
  const ROLES = ['teams', 'keys', 'tags', 'team+model'] as const;
  for (let i = 0; i < size; i++) {
    const name = `policy-${pad(i, 5)}`;
    const file = Math.floor(i / POLICIES_PER_FILE);
    const leaf = i % CHAIN === CHAIN - 1;
    const add = [...new Set([pick(GUARDRAILS).name, pick(GUARDRAILS).name, pick(RUNNABLE)])].sort();
    const remove = rnd() < 0.2 ? [pick(GUARDRAILS).name].filter((g) => !add.includes(g)) : [];
    const spec: Record<string, unknown> = {
      description: `Synthetic policy ${i}`,
      guardrails: { add, remove },
    };
    if (leaf) spec.inherit = `policy-${pad(i - 1, 5)}`;
    if (rnd() < 0.15) spec.condition = { model: pick(CONDITIONS) };
    conditions.set(name, compileCondition(spec.condition as Condition | undefined));
    if (leaf && rnd() < 0.1) {
      spec.pipeline = {
        mode: 'pre_call',
        steps: add.map((g, s) => ({
          guardrail: g,
          onPass: s === add.length - 1 ? 'allow' : 'next',
          onFail: 'block',
        })),
      };
    }
    docs.push({ file, doc: { apiVersion: API_VERSION, kind: 'Policy', metadata: { name }, spec } });
    if (!leaf) continue;
    const l = (i - (CHAIN - 1)) / CHAIN;
    if (l === 0) {
      attach(file, name, { scope: '*' });
      continue;
    }
    const role = ROLES[(l - 1) % ROLES.length] as (typeof ROLES)[number];
    for (let a = 0; a < 2; a++) {
      if (role === 'team+model')
        attach(file, name, { teams: [fresh('teams')], models: [pick(MODEL_PREFIXES)] });
      else if (role !== 'tags' && rnd() < 0.1)
        attach(file, name, { [role]: [`${fresh(role).slice(0, -1)}*`] });
      else if (role === 'teams') attach(file, name, { teams: [fresh('teams')] });
      else attach(file, name, { [role]: [fresh(role), fresh(role)] });
    }
  }
  docs.push({ file: 0, doc: probePolicy('keywords-a') });
  attach(0, PROBE_POLICY, { keys: [PROBE_KEY] });

  const byFile = new Map<number, string[]>();
  for (const { file, doc } of docs) {
    const list = byFile.get(file) ?? [];
    list.push(dump(doc));
    byFile.set(file, list);
  }
  const files: TreeFile[] = [
    {
      name: 'guardrails.yaml',
      text: GUARDRAILS.map((g) => dump(guardrailDoc(g.name, g.spec))).join('---\n'),
    },
    ...[...byFile].map(([n, texts]) => ({ name: `policies-${pad(n, 4)}.yaml`, text: texts.join('---\n') })),
  ];

  const contexts = new Map<string, RequestContext>();
  for (let tries = 0; contexts.size < contextCount; tries++) {
    if (tries > contextCount * 1000)
      throw new Error(`only ${contexts.size} contexts match ${MATCHED} policies`);
    const ctx: RequestContext = {
      teamAlias: pick(named.teams),
      keyAlias: pick(named.keys),
      model: pick(MODELS),
      tags: [pick(named.tags)],
    };
    if (matchedCount(specs, conditions, ctx) === MATCHED) contexts.set(JSON.stringify(ctx), ctx);
  }
  return { policies: size, attachments: specs.length, files, contexts: [...contexts.values()] };
}

/** An attachment as the generator wrote it, in the engine's form (priority does not change what matches). */
type Selector = Omit<AttachmentSpec, 'priority'>;

/** How many distinct policies `ctx` matches whose own condition passes: a plain scan, no index. */
function matchedCount(
  specs: readonly Selector[],
  conditions: ReadonlyMap<string, CompiledCondition>,
  ctx: RequestContext,
): number {
  const matched = new Set<string>();
  for (const spec of specs) {
    if (scopeMatches({ ...spec, priority: 0 }, ctx) && conditions.get(spec.policy)?.test(ctx.model) !== false)
      matched.add(spec.policy);
  }
  return matched.size;
}

function guardrailDoc(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: 'Guardrail',
    metadata: { name },
    spec: { mode: 'pre_call', failurePolicy: 'closed', ...spec },
  };
}

/** The probe policy with one guardrail: editing it is what the propagation bench waits to see. */
export function probePolicy(guardrail: string): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: 'Policy',
    metadata: { name: PROBE_POLICY },
    spec: { description: 'Edited by the benchmarks', guardrails: { add: [guardrail] } },
  };
}

/** The probe file's text with the probe policy set to `guardrail`. */
export function probeFileText(tree: Tree, guardrail: string): string {
  const file = tree.files.find((f) => f.name === PROBE_FILE) as TreeFile;
  return file.text.replace(dump(probePolicy('keywords-a')), dump(probePolicy(guardrail)));
}

/** Writes the tree's files into `dir` (created if needed). */
export async function writeTree(tree: Tree, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(tree.files.map((f) => writeFile(join(dir, f.name), f.text)));
}

/** A context as `/v1/resolve` query parameters. */
export function contextQuery(ctx: RequestContext): string {
  const q = new URLSearchParams();
  if (ctx.teamAlias) q.set('team_alias', ctx.teamAlias);
  if (ctx.keyAlias) q.set('key_alias', ctx.keyAlias);
  if (ctx.model) q.set('model', ctx.model);
  if (ctx.tags) q.set('tags', ctx.tags.join(','));
  return q.toString();
}
