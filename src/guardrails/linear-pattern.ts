/**
 * The one way guardrails match patterns on request content: RE2 semantics (re2js), whose matching
 * time is linear in the text for a given pattern, so no input can make a check backtrack. Built-in
 * detectors and users' `regex` patterns are all made here; nothing in `src/guardrails` hands content
 * to a JavaScript `RegExp` (a test checks both).
 *
 * RE2 has no lookaround and no backreferences. A built-in pattern that needs a one-character
 * context writes it with `bounded(before, body, after)`: the context is matched (and consumed)
 * around a capture of the body, and `matches` resumes right after the body, so the next match can
 * use that same character as its own context. With leftmost-first semantics this finds exactly
 * what JavaScript's `(?<!before)body(?!after)` finds.
 */
import { RE2JS, RE2Set } from 're2js';

/** One match: `[start, end)` of the body in UTF-16 units, and its capture groups (1-based, in the body). */
export type PatternMatch = {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  group(n: number): string | undefined;
};

/** A compiled linear-time pattern. Immutable; safe to share between checks. */
export class LinearPattern {
  readonly source: string;
  readonly #re: RE2JS;
  /** The capture group holding the body: 1 for a `bounded` pattern, else 0 (the whole match). */
  readonly #body: number;

  /** Throws `RE2JSSyntaxException` for an invalid pattern: use `compileUserPattern` for input. */
  constructor(
    source: string,
    opts: { readonly caseInsensitive?: boolean; readonly bodyGroup?: number } = {},
  ) {
    this.source = source;
    this.#re = RE2JS.compile(source, opts.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
    this.#body = opts.bodyGroup ?? 0;
  }

  /** Whether the pattern matches anywhere in `text` (one pass of the lazy DFA, no captures). */
  test(text: string): boolean {
    return this.#re.test(text);
  }

  /** RE2's measure of the compiled program's size: its cost per character of input. */
  programSize(): number {
    return this.#re.programSize();
  }

  /**
   * Every non-empty match in text order, each search starting where the previous body ended.
   * Lazy: a caller that needs only the first match stops the scan there.
   */
  *matches(text: string): Generator<PatternMatch> {
    const m = this.#re.matcher(text);
    const body = this.#body;
    let from = 0;
    while (from <= text.length && m.find(from)) {
      const start = m.start(body);
      const end = m.end(body);
      if (end > start) {
        yield {
          start,
          end,
          text: text.slice(start, end),
          group: (n) => m.group(body + n) ?? undefined,
        };
        from = end;
      } else from = Math.max(end, m.end()) + 1;
    }
  }
}

/** `[^…]` of a class body such as `\w.%+-`, or nothing when `chars` is empty. */
const notIn = (chars: string): string => `[^${chars}]`;

/**
 * A pattern for JavaScript's `(?<![before])body(?![after])`, each context one character class given
 * by its body (e.g. `\w-`; empty for none). `after` may also be a full alternation via `afterRaw`.
 */
export function bounded(
  before: string,
  body: string,
  after: string,
  opts: { readonly caseInsensitive?: boolean; readonly afterRaw?: string } = {},
): LinearPattern {
  const lead = before === '' ? '' : `(?:^|${notIn(before)})`;
  const tail = opts.afterRaw ?? (after === '' ? '' : `(?:${notIn(after)}|$)`);
  return new LinearPattern(`${lead}(${body})${tail}`, { ...opts, bodyGroup: 1 });
}

/** A plain pattern (no context), the whole match being the body. */
export function linear(source: string, opts: { readonly caseInsensitive?: boolean } = {}): LinearPattern {
  return new LinearPattern(source, opts);
}

/**
 * Which of several patterns match a text at all, in one pass (an RE2 set): a detector then runs
 * `matches` only for those, so clean text costs one scan whatever the number of patterns.
 */
export class PatternSet {
  readonly patterns: readonly LinearPattern[];
  readonly #set: RE2Set;

  constructor(patterns: readonly LinearPattern[], opts: { readonly caseInsensitive?: boolean } = {}) {
    this.patterns = patterns;
    this.#set = new RE2Set(RE2Set.UNANCHORED, opts.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
    for (const p of patterns) this.#set.add(p.source);
    this.#set.compile();
  }

  /** Indexes (into `patterns`) of those that match somewhere in `text`, ascending. */
  matching(text: string): number[] {
    return this.#set.match(text).sort((a, b) => a - b);
  }
}

/** The largest RE2 program a user pattern may compile to (`programSize`), and the longest source. */
const USER_PATTERN_LIMITS = { maxProgramSize: 2_000, maxSourceLength: 1_000 } as const;

/**
 * A user's pattern (RE2 syntax), or why it cannot be used: a syntax error, or a program larger than
 * `USER_PATTERN_LIMITS.maxProgramSize` (a regex's cost per character grows with its program, so a
 * huge one would make every check slow).
 */
export function compileUserPattern(
  source: string,
): { ok: true; value: LinearPattern } | { ok: false; message: string } {
  if (source.length > USER_PATTERN_LIMITS.maxSourceLength)
    return {
      ok: false,
      message: `is ${source.length} characters long, over the limit of ${USER_PATTERN_LIMITS.maxSourceLength}`,
    };
  let pattern: LinearPattern;
  try {
    pattern = new LinearPattern(source);
  } catch (err) {
    return { ok: false, message: `invalid RE2 regular expression: ${(err as Error).message}` };
  }
  const size = pattern.programSize();
  if (size > USER_PATTERN_LIMITS.maxProgramSize)
    return {
      ok: false,
      message: `compiles to an RE2 program of ${size} instructions, over the limit of ${USER_PATTERN_LIMITS.maxProgramSize}; simplify it (fewer alternatives, smaller counted repetitions such as {1,1000})`,
    };
  return { ok: true, value: pattern };
}
