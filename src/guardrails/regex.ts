/**
 * `regex`: user patterns on RE2 (re2js), so no pattern can stall the server.
 * Config `{ patterns: [{ name, pattern }], action?: 'block' | 'mask' (default block),
 * maxInputChars? }`. A match is a finding of type `<name>`; `mask` replaces it with `[<name>]`.
 * Empty matches are ignored. A pattern may be at most `USER_PATTERN_LIMITS.maxSourceLength`
 * characters and compile to at most `maxProgramSize` RE2 instructions; content is read up to
 * `maxInputChars` (see `input-limit.ts`), and one pass over it (an RE2 set) says which patterns
 * need their matches listed.
 */
import type { Checked } from '../engine/index.ts';
import type { Check, Detector, Span } from './check.ts';
import { MATCH_ACTIONS, redactAfter, scanCheck } from './check.ts';
import type { Config } from './config.ts';
import { ConfigReader } from './config.ts';
import { withInputLimit } from './input-limit.ts';
import { compileUserPattern, type LinearPattern, PatternSet } from './linear-pattern.ts';

type NamedPattern = { readonly name: string; readonly re: LinearPattern };

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['patterns', 'action', 'maxInputChars']);
  const patterns = readPatterns(read);
  const action = read.oneOf('action', MATCH_ACTIONS, 'block');
  const prefilter = read.issues.length === 0 ? new PatternSet(patterns.map((p) => p.re)) : undefined;
  const detect: Detector = (text) =>
    (prefilter?.matching(text) ?? []).flatMap((i) => spansOf(patterns[i] as NamedPattern, text));
  return read.done(withInputLimit(read, 'regex', scanCheck(detect, action, 'Pattern')));
}

function readPatterns(read: ConfigReader): NamedPattern[] {
  const raw = read.config.patterns;
  if (!Array.isArray(raw) || raw.length === 0) {
    read.issue('patterns', 'must be a list of at least one { name, pattern }');
    return [];
  }
  const out: NamedPattern[] = [];
  raw.forEach((p: unknown, i: number) => {
    const at = `patterns[${i}]`;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) {
      read.issue(at, 'must be { name, pattern }');
      return;
    }
    const { name, pattern, ...rest } = p as Record<string, unknown>;
    for (const key of Object.keys(rest)) read.issue(`${at}.${key}`, 'unknown field; allowed: name, pattern');
    if (typeof name !== 'string' || name.trim() === '')
      read.issue(`${at}.name`, 'must be a non-empty string');
    if (typeof pattern !== 'string' || pattern === '') {
      read.issue(`${at}.pattern`, 'must be a non-empty regular expression (RE2 syntax)');
      return;
    }
    const compiled = compileUserPattern(pattern);
    if (!compiled.ok) read.issue(`${at}.pattern`, compiled.message);
    else if (typeof name === 'string') out.push({ name, re: compiled.value });
  });
  return out;
}

function spansOf(p: NamedPattern, text: string): Span[] {
  const spans: Span[] = [];
  for (const m of p.re.matches(text))
    spans.push({
      start: m.start,
      end: m.end,
      finding: { type: p.name, redacted: redactAfter(m.text, 2) },
      placeholder: `[${p.name}]`,
    });
  return spans;
}
