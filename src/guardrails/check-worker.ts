/**
 * The worker side of `CheckPool`: runs one check on texts with the same `compileCheck` as the
 * event loop. A compiled check is kept per spec id (ids are never reused), at most `CACHE_SIZE`
 * of them, the least recently used going first. Throws only for a spec that does not compile,
 * which the runner never sends.
 */
import type { Check, CheckResult } from './check.ts';
import { type CheckType, compileCheck } from './compile-check.ts';

export type CheckTask = {
  readonly id: number;
  readonly type: CheckType;
  readonly config: Readonly<Record<string, unknown>>;
  readonly texts: readonly string[];
};

const CACHE_SIZE = 256;
const compiled = new Map<number, Check>();

export default function runCheck(task: CheckTask): CheckResult {
  let check = compiled.get(task.id);
  if (check) compiled.delete(task.id);
  else {
    const c = compileCheck(task.type, task.config);
    if (!c.ok) throw new Error(c.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    check = c.value;
  }
  compiled.set(task.id, check);
  if (compiled.size > CACHE_SIZE) compiled.delete(compiled.keys().next().value as number);
  return check(task.texts);
}
