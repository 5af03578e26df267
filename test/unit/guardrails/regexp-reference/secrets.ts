// The JavaScript-RegExp implementation the linear-time one replaced, kept only as the oracle of
// test/unit/guardrails/linear-equivalence.test.ts. Never imported by src/.
/**
 * `secrets`: API keys and credentials of major providers, by their documented formats. A finding
 * shows only the provider's public prefix (`sk-proj-***`), never the secret part.
 * Config `{ action?: 'block' | 'mask' (default block) }`; `mask` writes `[SECRET]`.
 */
import type { Checked } from '../../../../src/engine/index.ts';
import type { Config } from '../../../../src/guardrails/config.ts';
import { ConfigReader } from '../../../../src/guardrails/config.ts';
import type { Check, Detector } from './check.ts';
import { MATCH_ACTIONS, regexSpans, scanCheck } from './check.ts';

/** `prefix` is the length of the public part kept in a finding, or a function of the match. */
type SecretPattern = {
  readonly type: string;
  readonly re: RegExp;
  readonly prefix: number | ((m: string) => string);
};

const SECRET_PATTERNS: readonly SecretPattern[] = [
  { type: 'ANTHROPIC_API_KEY', re: /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}/g, prefix: 7 },
  {
    type: 'OPENAI_API_KEY',
    re: /(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g,
    prefix: (m) => /^sk-(?:proj|svcacct|admin)-/.exec(m)?.[0] ?? 'sk-',
  },
  { type: 'AWS_ACCESS_KEY_ID', re: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g, prefix: 4 },
  {
    type: 'AWS_SECRET_ACCESS_KEY',
    re: /(?<=aws.{0,20}secret.{0,20}?[:=]\s*["']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/gi,
    prefix: 0,
  },
  { type: 'GITHUB_TOKEN', re: /(?<![\w])gh[pousr]_[A-Za-z0-9]{36,}(?!\w)/g, prefix: 4 },
  { type: 'GITHUB_TOKEN', re: /(?<![\w])github_pat_[A-Za-z0-9_]{22,}/g, prefix: 11 },
  { type: 'SLACK_TOKEN', re: /(?<![\w])xox[baprs]-[A-Za-z0-9-]{10,}/g, prefix: 5 },
  { type: 'GOOGLE_API_KEY', re: /(?<![\w])AIza[0-9A-Za-z_-]{35}(?![\w-])/g, prefix: 4 },
  { type: 'STRIPE_SECRET_KEY', re: /(?<![\w])[sr]k_live_[0-9A-Za-z]{16,}/g, prefix: 8 },
  {
    type: 'PRIVATE_KEY',
    re: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    prefix: (m) => /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.exec(m)?.[0] ?? '-----BEGIN',
  },
  { type: 'JWT', re: /(?<![\w-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, prefix: 3 },
];

const detect: Detector = (text) =>
  SECRET_PATTERNS.flatMap((p) =>
    regexSpans(p.re, text, (m) => ({
      finding: {
        type: p.type,
        redacted: `${typeof p.prefix === 'number' ? m[0].slice(0, p.prefix) : p.prefix(m[0])}***`,
      },
      placeholder: '[SECRET]',
    })),
  );

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['action']);
  const action = read.oneOf('action', MATCH_ACTIONS, 'block');
  return read.done(scanCheck(detect, action, 'Secret'));
}
