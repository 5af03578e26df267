/**
 * The contract every in-process guardrail type implements, and the shared scan that turns matches
 * into a verdict (block → fail with findings; mask → pass with the masked texts).
 */
import type { Finding } from '../engine/index.ts';
import type { LinearPattern, PatternMatch } from './linear-pattern.ts';

/**
 * The answer of a check on the `content` strings of one phase. `texts`, when present, has one entry
 * per input text, in order: the rewritten (masked) content.
 */
export type CheckResult =
  | { readonly outcome: 'pass'; readonly texts?: readonly string[] }
  | {
      readonly outcome: 'fail';
      readonly detail: string;
      readonly findings: readonly Finding[];
      readonly texts?: readonly string[];
    }
  | { readonly outcome: 'error'; readonly detail: string };

/** A compiled guardrail: pure, synchronous, deterministic. */
export type Check = (texts: readonly string[]) => CheckResult;

/** One match in one text: `[start, end)` in UTF-16 units, what it is, and what replaces it when masking. */
export type Span = {
  readonly start: number;
  readonly end: number;
  readonly finding: Finding;
  readonly placeholder: string;
};

/** Finds every match in one text; spans may overlap (the scan keeps the earliest, then longest). */
export type Detector = (text: string) => readonly Span[];

export const MATCH_ACTIONS = ['block', 'mask'] as const;
export type MatchAction = (typeof MATCH_ACTIONS)[number];

/**
 * Builds a check from a detector. Overlapping spans are resolved by keeping the earliest start,
 * then the longest, then the one the detector listed first. With `block`, anything found fails with
 * detail `<label> detected: <sorted types>`; with `mask`, anything found passes with every span
 * replaced by its placeholder (so a step with `passData` hands the masked data on). Nothing found
 * passes with no `texts`.
 */
export function scanCheck(detect: Detector, action: MatchAction, label: string): Check {
  return (texts) => {
    const found = texts.map((t) => selectSpans(detect(t)));
    const findings = found.flat().map((s) => s.finding);
    if (findings.length === 0) return { outcome: 'pass' };
    if (action === 'mask')
      return { outcome: 'pass', texts: texts.map((t, i) => applySpans(t, found[i] ?? [])) };
    const types = [...new Set(findings.map((f) => f.type))].sort();
    return { outcome: 'fail', detail: `${label} detected: ${types.join(', ')}`, findings };
  };
}

/** Non-overlapping spans in text order (see `scanCheck` for the tie-breaks). */
function selectSpans(spans: readonly Span[]): Span[] {
  const ordered = spans
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.start - b.s.start || b.s.end - a.s.end || a.i - b.i);
  const kept: Span[] = [];
  for (const { s } of ordered) {
    const last = kept[kept.length - 1];
    if (!last || s.start >= last.end) kept.push(s);
  }
  return kept;
}

function applySpans(text: string, spans: readonly Span[]): string {
  let out = '';
  let pos = 0;
  for (const s of spans) {
    out += text.slice(pos, s.start) + s.placeholder;
    pos = s.end;
  }
  return out + text.slice(pos);
}

/** Spans for every match of a linear pattern that `accept` keeps. */
export function patternSpans(
  pattern: LinearPattern,
  text: string,
  accept: (match: PatternMatch) => Omit<Span, 'start' | 'end'> | undefined,
): Span[] {
  const spans: Span[] = [];
  for (const m of pattern.matches(text)) {
    const span = accept(m);
    if (span) spans.push({ start: m.start, end: m.end, ...span });
  }
  return spans;
}

/** `abcdef` → `ab***`: the first `keep` characters only. */
export function redactAfter(value: string, keep: number): string {
  return `${[...value].slice(0, keep).join('')}***`;
}
