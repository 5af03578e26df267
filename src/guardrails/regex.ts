/**
 * `regex`: user patterns on RE2 (re2js), so no pattern can stall the server.
 * Config `{ patterns: [{ name, pattern }], action?: 'block' | 'mask' (default block) }`. A match
 * is a finding of type `<name>`; `mask` replaces it with `[<name>]`. Empty matches are ignored.
 */
import { RE2JS } from 're2js';
import type { Checked } from '../engine/index.ts';
import type { Check, Detector, Span } from './check.ts';
import { MATCH_ACTIONS, redactAfter, scanCheck } from './check.ts';
import type { Config } from './config.ts';
import { ConfigReader } from './config.ts';

type NamedPattern = { readonly name: string; readonly re: RE2JS };

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['patterns', 'action']);
  const patterns = readPatterns(read);
  const action = read.oneOf('action', MATCH_ACTIONS, 'block');
  const detect: Detector = (text) => patterns.flatMap((p) => spansOf(p, text));
  return read.done(scanCheck(detect, action, 'Pattern'));
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
    try {
      if (typeof name === 'string') out.push({ name, re: RE2JS.compile(pattern) });
    } catch (err) {
      read.issue(`${at}.pattern`, `invalid RE2 regular expression: ${(err as Error).message}`);
    }
  });
  return out;
}

function spansOf(p: NamedPattern, text: string): Span[] {
  const spans: Span[] = [];
  const m = p.re.matcher(text);
  while (m.find()) {
    const match = m.group() ?? '';
    if (match !== '')
      spans.push({
        start: m.start(),
        end: m.end(),
        finding: { type: p.name, redacted: redactAfter(match, 2) },
        placeholder: `[${p.name}]`,
      });
  }
  return spans;
}
