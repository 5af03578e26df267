/**
 * The in-process guardrail types, by type: what both the event loop and a pool worker compile a
 * `spec.config` with, so that a check gives the same answer wherever it runs.
 */
import type { Checked, GuardrailSpec } from '../engine/index.ts';
import type { Check } from './check.ts';
import * as keywords from './keywords.ts';
import * as maxLength from './max-length.ts';
import * as pii from './pii.ts';
import * as promptInjection from './prompt-injection.ts';
import * as regex from './regex.ts';
import * as secrets from './secrets.ts';

const CHECK_TYPES = ['pii', 'regex', 'keywords', 'prompt_injection', 'max_length', 'secrets'] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

export const isCheckType = (type: GuardrailSpec['type']): type is CheckType =>
  (CHECK_TYPES as readonly string[]).includes(type);

/** Validates a config for its type and compiles it; issues have paths under `spec.config`. */
export function compileCheck(type: CheckType, config: GuardrailSpec['config']): Checked<Check> {
  switch (type) {
    case 'pii':
      return pii.compile(config);
    case 'regex':
      return regex.compile(config);
    case 'keywords':
      return keywords.compile(config);
    case 'prompt_injection':
      return promptInjection.compile(config);
    case 'max_length':
      return maxLength.compile(config);
    case 'secrets':
      return secrets.compile(config);
  }
}
