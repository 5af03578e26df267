/**
 * Canonical policy content and its digest: two contents that mean the same thing have the same
 * canonical form, the same JSON bytes and the same digest. Pure and deterministic.
 */

import { createHash } from 'node:crypto';
import { byText } from './compare.ts';
import type { Condition, Pipeline, PipelineStep, PolicyContent } from './types.ts';

/** Sorted (code-unit order) and de-duplicated: guardrail lists have set semantics. */
function sortedSet(items: readonly string[]): string[] {
  return [...new Set(items)].sort();
}

/** Empty strings mean "not set" for optional text fields, as an update with `""` clears them. */
function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/**
 * `{}` and `{model: undefined}` mean "always true", so they are dropped. A list
 * matches when any element does, so its order and duplicates carry no meaning, and a one-element
 * list means the same as its element. An empty list is kept as is: it matches nothing.
 */
function canonicalCondition(c: Condition | undefined): Condition | undefined {
  const model = c?.model;
  if (model === undefined) return undefined;
  if (typeof model === 'string') return { model };
  const list = sortedSet(model);
  return list.length === 1 && list[0] !== undefined ? { model: list[0] } : { model: list };
}

/**
 * Step defaults made explicit in one way only: `onError` equal to `onFail` is the
 * same as unset (an error then takes `onFail`), so it is dropped; an empty `modifyResponseMessage`
 * is the same as none. Step order is meaningful and kept.
 */
function canonicalStep(s: PipelineStep): PipelineStep {
  const message = nonEmpty(s.modifyResponseMessage);
  return {
    guardrail: s.guardrail,
    onPass: s.onPass,
    onFail: s.onFail,
    ...(s.onError !== undefined && s.onError !== s.onFail ? { onError: s.onError } : {}),
    passData: s.passData,
    ...(message !== undefined ? { modifyResponseMessage: message } : {}),
  };
}

function canonicalPipeline(p: Pipeline | undefined): Pipeline | undefined {
  return p === undefined ? undefined : { mode: p.mode, steps: p.steps.map(canonicalStep) };
}

/**
 * The canonical form of a content: guardrail lists sorted and de-duplicated, optional fields that
 * are undefined or empty dropped (never present with the value `undefined`), conditions and
 * pipeline steps normalised as above. Idempotent; never mutates its argument.
 */
export function canonicalContent(c: PolicyContent): PolicyContent {
  const description = nonEmpty(c.description);
  const inherit = nonEmpty(c.inherit);
  const condition = canonicalCondition(c.condition);
  const pipeline = canonicalPipeline(c.pipeline);
  return {
    ...(description !== undefined ? { description } : {}),
    ...(inherit !== undefined ? { inherit } : {}),
    guardrails: { add: sortedSet(c.guardrails.add), remove: sortedSet(c.guardrails.remove) },
    ...(condition !== undefined ? { condition } : {}),
    ...(pipeline !== undefined ? { pipeline } : {}),
  };
}

/**
 * JSON with object keys sorted at every level and `undefined` members left out, so that key order
 * never changes the bytes. Arrays keep their order.
 */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => byText(a, b))
      .map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `sha256:<64 hex>` of the canonical content's stable JSON. Equal meaning gives an equal digest. */
export function contentDigest(c: PolicyContent): string {
  return `sha256:${createHash('sha256')
    .update(stableStringify(canonicalContent(c)))
    .digest('hex')}`;
}
