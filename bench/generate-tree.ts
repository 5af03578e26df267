/**
 * Synthetic policy trees for the benchmarks. Deterministic: the same size and seed always give the
 * same files and contexts. A tree of N policies has about 2N attachments (teams, team prefixes,
 * keys, key prefixes, tags, team+model, one per model prefix, three globals), inheritance chains of up
 * to five levels, model conditions on about one policy in seven, and pipelines on one in ten.
 * The value universes grow with N (a team is named by about one attachment, a key by half of one, a
 * tag by one), so a request matches about as many policies (about eight) in a big tree as in a
 * mid-sized one; `size` counts the synthetic policies, the probe policy comes on top.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import type { RequestContext } from '../src/engine/index.ts';

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
const MAX_CHAIN = 5;
const MIN_CALLERS = 30;
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

/** Generates a tree of `size` policies (plus the probe policy) and `contextCount` contexts. */
export function generateTree(size: number, contextCount = 300, seed = 42): Tree {
  const rnd = random(seed + size);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const teams = Math.max(2, Math.ceil(size / 2));
  const keys = Math.max(2, size * 2);
  const tags = Math.max(2, Math.ceil(size / 3));
  const team = (i: number): string => `team-${pad(i, 4)}`;
  const key = (i: number): string => `key-${pad(i, 5)}`;
  const tag = (i: number): string => `tag-${pad(i, 3)}`;

  const docs: { file: number; doc: Record<string, unknown> }[] = [];
  const depth: number[] = [];
  let attachments = 0;
  const attach = (file: number, policy: string, selector: Record<string, unknown>): void => {
    attachments++;
    docs.push({
      file,
      doc: {
        apiVersion: API_VERSION,
        kind: 'PolicyAttachment',
        metadata: { name: `${policy}-a${attachments}` },
        spec: { policy, ...selector, ...(rnd() < 0.3 ? { priority: int(200) } : {}) },
      },
    });
  };
  for (let i = 0; i < size; i++) {
    const name = `policy-${pad(i, 5)}`;
    const file = Math.floor(i / POLICIES_PER_FILE);
    const candidate = i > 0 && rnd() < 0.7 ? int(i) : undefined;
    const parent =
      candidate !== undefined && (depth[candidate] as number) < MAX_CHAIN - 1 ? candidate : undefined;
    depth.push(parent === undefined ? 0 : (depth[parent] as number) + 1);
    const inherit = parent === undefined ? undefined : `policy-${pad(parent, 5)}`;
    const add = [...new Set([pick(GUARDRAILS).name, pick(GUARDRAILS).name, pick(RUNNABLE)])].sort();
    const remove = rnd() < 0.2 ? [pick(GUARDRAILS).name].filter((g) => !add.includes(g)) : [];
    const spec: Record<string, unknown> = {
      description: `Synthetic policy ${i}`,
      guardrails: { add, remove },
    };
    if (inherit) spec.inherit = inherit;
    if (rnd() < 0.15) spec.condition = { model: pick(CONDITIONS) };
    if (rnd() < 0.1) {
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
    if (i < 3) attach(file, name, { scope: '*' });
    if (i >= 3 && i < 3 + MODEL_PREFIXES.length) attach(file, name, { models: [MODEL_PREFIXES[i - 3]] });
    for (let a = 0; a < 2; a++) {
      const r = rnd();
      if (r < 0.3) attach(file, name, { teams: [team(int(teams))] });
      else if (r < 0.32) attach(file, name, { teams: [`${team(int(teams)).slice(0, -1)}*`] });
      else if (r < 0.57) attach(file, name, { keys: [key(int(keys)), key(int(keys))] });
      else if (r < 0.62) attach(file, name, { keys: [`${key(int(keys)).slice(0, -1)}*`] });
      else if (r < 0.8) attach(file, name, { tags: [tag(int(tags))] });
      else attach(file, name, { teams: [team(int(teams))], models: [pick(MODEL_PREFIXES)] });
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

  // Callers outnumber the keys that attachments name, so small trees still get distinct contexts.
  const callers = Math.max(keys, MIN_CALLERS);
  const contexts = new Map<string, RequestContext>();
  while (contexts.size < contextCount) {
    const ctx: RequestContext = {
      teamAlias: team(int(teams)),
      keyAlias: key(int(callers)),
      model: pick(MODELS),
      tags: rnd() < 0.6 ? [...new Set([tag(int(tags)), tag(int(tags))])] : undefined,
    };
    contexts.set(JSON.stringify(ctx), ctx);
  }
  return { policies: size, attachments, files, contexts: [...contexts.values()] };
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
