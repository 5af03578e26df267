/**
 * Model conditions on a linear-time RE2 engine (re2js), so no condition can stall
 * the server. Compiled patterns and conditions are shared by pattern string while something holds
 * them (the index of a version being served): a rebuilt index re-uses them instead of recompiling.
 * They are not kept past that: a compiled pattern takes about 20 KB, and a process that kept every
 * pattern it ever compiled grew by hundreds of MB when a Policy with thousands of model patterns
 * was edited a few times, and kept it after the Policy was deleted.
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

/**
 * Values by key for as long as something else holds each value: a value the garbage collector
 * reclaims leaves the cache (its key too, once the collector reports it). Lookups give the same
 * answers as a plain map would, only sometimes after compiling again.
 */
class WeakValues<V extends object> {
  readonly #map = new Map<string, WeakRef<V>>();
  readonly #gone = new FinalizationRegistry<string>((key) => {
    if (this.#map.get(key)?.deref() === undefined) this.#map.delete(key);
  });

  get(key: string): V | undefined {
    return this.#map.get(key)?.deref();
  }

  set(key: string, value: V): void {
    this.#map.set(key, new WeakRef(value));
    this.#gone.register(value, key);
  }
}

const compiled = new WeakValues<CompiledPattern>();

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
 * Compiled conditions by their pattern list, while an index holds them, like `compiled`: the
 * policies of a registry share a handful of conditions, and sharing one object (and its memo)
 * keeps what a request reads in cache.
 */
const conditions = new WeakValues<CompiledCondition>();

function compilePatterns(patterns: readonly string[]): CompiledCondition {
  // The condition holds its compiled patterns, so they stay shared for as long as it is used.
  const held = patterns.map(compilePattern);
  const match = (model: string): boolean => {
    for (let i = 0; i < patterns.length; i++) {
      if (patterns[i] === model || held[i]?.regex?.testExact(model) === true) return true;
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
