// The JavaScript-RegExp implementation the linear-time one replaced, kept only as the oracle of
// test/unit/guardrails/linear-equivalence.test.ts. Never imported by src/.
/**
 * `keywords`: a list of blocked words or phrases, matched case-insensitively on whole words with
 * Unicode letters and digits as word characters ("class" does not match "classic"; "café" does not
 * match "cafés"). Whitespace inside a phrase matches any run of whitespace.
 * Config `{ words: string[], action?: 'block' | 'mask' (default block) }`; `mask` writes `[KEYWORD]`.
 */
import type { Checked } from '../../../../src/engine/index.ts';
import type { Config } from '../../../../src/guardrails/config.ts';
import { ConfigReader } from '../../../../src/guardrails/config.ts';
import type { Check } from './check.ts';
import { MATCH_ACTIONS, regexSpans, scanCheck } from './check.ts';

/** The characters that are syntax in a `u`-mode JavaScript pattern. */
const SYNTAX = /[\\^$.*+?()[\]{}|/]/g;

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['words', 'action']);
  const words = read.strings('words') ?? [];
  if (words.length === 0 && read.issues.length === 0) read.issue('words', 'must list at least one word');
  const action = read.oneOf('action', MATCH_ACTIONS, 'block');
  const alternatives = [...new Set(words.map((w) => w.trim()))]
    .sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
    .map((w) => w.replace(SYNTAX, '\\$&').replace(/\s+/g, '\\s+'));
  const re = new RegExp(
    `(?<![\\p{L}\\p{N}\\p{M}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}\\p{M}_])`,
    'giu',
  );
  const check = scanCheck(
    (text) =>
      regexSpans(re, text, (m) => ({
        finding: { type: 'KEYWORD', redacted: m[0].toLowerCase() },
        placeholder: '[KEYWORD]',
      })),
    action,
    'Blocked keyword',
  );
  return read.done(check);
}
