/**
 * Model conditions on a linear-time RE2 engine (re2js), so no condition can stall
 * the server. Compiled patterns are memoised by pattern string for the life of the process: a
 * rebuilt index re-uses them instead of recompiling.
 */
import { RE2JS } from 're2js';
import type { Condition } from './types.ts';

export type CompiledCondition = {
  /** True when the condition accepts every context (no condition, or no `model`). */
  readonly always: boolean;
  /**
   * Reference 2.4: true when `always`; false when the request has no model; otherwise true when
   * some pattern equals the model or full-matches it (`^(?:p)$`). An invalid pattern is a
   * non-match. Never throws.
   */
  test(model: string | null | undefined): boolean;
};

type CompiledPattern = { readonly regex: RE2JS | undefined; readonly error: string | undefined };

const compiled = new Map<string, CompiledPattern>();

function compilePattern(pattern: string): CompiledPattern {
  let c = compiled.get(pattern);
  if (c === undefined) {
    try {
      // Compile the bare pattern first, so `a)|(b` is rejected instead of escaping the anchors.
      RE2JS.compile(pattern);
      c = { regex: RE2JS.compile(`^(?:${pattern})$`), error: undefined };
    } catch (e) {
      c = { regex: undefined, error: e instanceof Error ? e.message : String(e) };
    }
    compiled.set(pattern, c);
  }
  return c;
}

/** The RE2 compile error of a condition pattern, or undefined when it compiles (for validation). */
export function checkRegex(pattern: string): string | undefined {
  return compilePattern(pattern).error;
}

const ALWAYS: CompiledCondition = { always: true, test: () => true };

/** The patterns of a condition: a string is a list of one; undefined when there is no model condition. */
export function conditionPatterns(c: Condition | undefined): readonly string[] | undefined {
  const model = c?.model;
  return model === undefined ? undefined : typeof model === 'string' ? [model] : model;
}

/** Models whose answer one compiled condition remembers; past that, answers are computed each time. */
const MEMO_LIMIT = 256;

/**
 * Compiles a condition once; the result is safe to share and to call concurrently. It remembers
 * its answer for the first `MEMO_LIMIT` distinct models it is asked about (requests name few
 * models, and running the regex costs far more than a lookup); the answers are the same either way.
 */
export function compileCondition(c: Condition | undefined): CompiledCondition {
  const patterns = conditionPatterns(c);
  if (patterns === undefined) return ALWAYS;
  const key = JSON.stringify(patterns);
  let condition = conditions.get(key);
  if (condition === undefined) {
    condition = compilePatterns(patterns);
    conditions.set(key, condition);
  }
  return condition;
}

/**
 * Compiled conditions by their pattern list, for the life of the process like `compiled`: the
 * policies of a registry share a handful of conditions, and sharing one object (and its memo)
 * keeps what a request reads in cache.
 */
const conditions = new Map<string, CompiledCondition>();

function compilePatterns(patterns: readonly string[]): CompiledCondition {
  const regexes = patterns.map((p) => compilePattern(p).regex);
  const match = (model: string): boolean => {
    for (let i = 0; i < patterns.length; i++) {
      if (patterns[i] === model || regexes[i]?.testExact(model) === true) return true;
    }
    return false;
  };
  const memo = new Map<string, boolean>();
  return {
    always: false,
    test(model) {
      if (model === null || model === undefined) return false;
      let answer = memo.get(model);
      if (answer === undefined) {
        answer = match(model);
        if (memo.size < MEMO_LIMIT) memo.set(model, answer);
      }
      return answer;
    },
  };
}
