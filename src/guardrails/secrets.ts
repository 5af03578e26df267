/**
 * `secrets`: API keys and credentials of major providers, by their documented formats. A finding
 * shows only the provider's public prefix (`sk-proj-***`), never the secret part.
 * Config `{ action?: 'block' | 'mask' (default block), maxInputChars? }`; `mask` writes `[SECRET]`.
 */
import type { Checked } from '../engine/index.ts';
import type { Check, Detector, Span } from './check.ts';
import { MATCH_ACTIONS, scanCheck } from './check.ts';
import type { Config } from './config.ts';
import { ConfigReader } from './config.ts';
import { withInputLimit } from './input-limit.ts';
import { bounded, type LinearPattern, type PatternMatch, PatternSet } from './linear-pattern.ts';

/**
 * `prefix` is the length of the public part kept in a finding, or a function of the match.
 * `accept`, when present, drops a candidate (a context RE2 cannot say, such as "not sk-ant-").
 */
export type SecretPattern = {
  readonly type: string;
  readonly pattern: LinearPattern;
  readonly prefix: number | ((m: string) => string);
  readonly accept?: (m: PatternMatch) => boolean;
};

const OPENAI_KINDS = ['proj-', 'svcacct-', 'admin-'] as const;

/** Every built-in secret format; each pattern is linear (see `linear-pattern.ts`). */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  { type: 'ANTHROPIC_API_KEY', pattern: bounded('\\w-', 'sk-ant-[A-Za-z0-9_-]{20,}', ''), prefix: 7 },
  {
    type: 'OPENAI_API_KEY',
    pattern: bounded('\\w-', 'sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}', ''),
    prefix: (m) => `sk-${OPENAI_KINDS.find((k) => m.startsWith(k, 3)) ?? ''}`,
    accept: (m) => !m.text.startsWith('sk-ant-'),
  },
  {
    type: 'AWS_ACCESS_KEY_ID',
    pattern: bounded('A-Za-z0-9', '(?:AKIA|ASIA)[0-9A-Z]{16}', 'A-Za-z0-9'),
    prefix: 4,
  },
  {
    // The key's name, then within a few characters `:` or `=` and the 40-character value: the
    // context is matched with the value (RE2 has no lookbehind) and only the value is the finding.
    type: 'AWS_SECRET_ACCESS_KEY',
    pattern: bounded('', 'aws.{0,20}secret.{0,20}?[:=]\\s*["\']?', '', {
      caseInsensitive: true,
      afterRaw: '([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)',
    }),
    prefix: 0,
  },
  { type: 'GITHUB_TOKEN', pattern: bounded('\\w', 'gh[pousr]_[A-Za-z0-9]{36,}', '\\w'), prefix: 4 },
  { type: 'GITHUB_TOKEN', pattern: bounded('\\w', 'github_pat_[A-Za-z0-9_]{22,}', ''), prefix: 11 },
  { type: 'SLACK_TOKEN', pattern: bounded('\\w', 'xox[baprs]-[A-Za-z0-9-]{10,}', ''), prefix: 5 },
  { type: 'GOOGLE_API_KEY', pattern: bounded('\\w', 'AIza[0-9A-Za-z_-]{35}', '\\w-'), prefix: 4 },
  { type: 'STRIPE_SECRET_KEY', pattern: bounded('\\w', '[sr]k_live_[0-9A-Za-z]{16,}', ''), prefix: 8 },
  {
    type: 'PRIVATE_KEY',
    pattern: bounded('', '-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----', ''),
    prefix: (m) => m,
  },
  {
    type: 'JWT',
    pattern: bounded('\\w-', 'eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}', ''),
    prefix: 3,
  },
];

const ALL = new PatternSet(SECRET_PATTERNS.map((p) => p.pattern));
const AWS_SECRET = SECRET_PATTERNS.findIndex((p) => p.type === 'AWS_SECRET_ACCESS_KEY');
const PRIVATE_KEY = SECRET_PATTERNS.findIndex((p) => p.type === 'PRIVATE_KEY');

/**
 * Where a private key block ends: its matching END line (same label), else the end of the text.
 * One string search from the header, so a text of many headers is still read about once each.
 */
function privateKeyEnd(text: string, header: PatternMatch): number {
  const label = header.text.slice('-----BEGIN '.length, header.text.length - 'PRIVATE KEY-----'.length);
  const footer = `-----END ${label}PRIVATE KEY-----`;
  const at = text.indexOf(footer, header.end);
  return at === -1 ? text.length : at + footer.length;
}

const detect: Detector = (text) => {
  const spans: Span[] = [];
  for (const i of ALL.matching(text)) {
    const p = SECRET_PATTERNS[i] as SecretPattern;
    let skipUntil = 0;
    for (const m of p.pattern.matches(text)) {
      if (m.start < skipUntil || (p.accept && !p.accept(m))) continue;
      // The AWS pattern's body is the context; the value is its first group after it.
      const value = i === AWS_SECRET ? valueAfter(m) : { start: m.start, end: m.end, text: m.text };
      const end = i === PRIVATE_KEY ? privateKeyEnd(text, m) : value.end;
      if (i === PRIVATE_KEY) skipUntil = end;
      const shown = typeof p.prefix === 'number' ? value.text.slice(0, p.prefix) : p.prefix(value.text);
      spans.push({
        start: value.start,
        end,
        finding: { type: p.type, redacted: `${shown}***` },
        placeholder: '[SECRET]',
      });
    }
  }
  return spans;
};

/** The AWS secret value: the 40 characters right after the matched context. */
function valueAfter(context: PatternMatch): { start: number; end: number; text: string } {
  const value = context.group(1) ?? '';
  return { start: context.end, end: context.end + value.length, text: value };
}

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['action', 'maxInputChars']);
  const action = read.oneOf('action', MATCH_ACTIONS, 'block');
  return read.done(withInputLimit(read, 'secrets', scanCheck(detect, action, 'Secret')));
}
