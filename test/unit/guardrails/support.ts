import type { Check } from '../../../src/guardrails/check.ts';

/** The compiled check, or a thrown error listing the issues (a test setup bug). */
export function mustCompile(compiled: { ok: true; value: Check } | { ok: false; issues: unknown[] }): Check {
  if (!compiled.ok) throw new Error(`config rejected: ${JSON.stringify(compiled.issues)}`);
  return compiled.value;
}
