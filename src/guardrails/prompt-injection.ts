/**
 * `prompt_injection`: matches known jailbreak and instruction-override phrasings
 * (`prompt-injection-phrases.ts`) after normalising away the usual obfuscations: Unicode NFKC,
 * zero-width characters, case, leetspeak (1→i 0→o 3→e 4→a 5→s 7→t @→a $→s), and punctuation or
 * spacing between letters ("i.g.n.o.r.e", "i g n o r e"). Whole words only: "please ignore the typo"
 * passes. Config `{ extraPhrases?: string[], threshold?: number, maxInputChars? }`: extra literal
 * phrases (normalised the same way), and how many distinct phrases must match to fail (default 1).
 * Never masks. Every phrase is an RE2 pattern; one pass of an RE2 set over the normalised text says
 * which of them occur at all.
 */
import type { Checked, Finding } from '../engine/index.ts';
import { codePointAt, isLetterOrDigit, isMark, TextBuilder } from './char-class.ts';
import type { Check } from './check.ts';
import type { Config } from './config.ts';
import { ConfigReader } from './config.ts';
import { overLimit, readInputLimit } from './input-limit.ts';
import { type LinearPattern, linear, PatternSet } from './linear-pattern.ts';
import type { InjectionCategory } from './prompt-injection-phrases.ts';
import { INJECTION_CATEGORIES, INJECTION_PHRASES } from './prompt-injection-phrases.ts';

const isZeroWidth = (cp: number): boolean =>
  cp === 0x034f ||
  cp === 0x00ad ||
  cp === 0x180e ||
  (cp >= 0x200b && cp <= 0x200f) ||
  (cp >= 0x2060 && cp <= 0x2064) ||
  cp === 0xfeff;

/**
 * The comparable form of a text: see the module comment. One pass over the NFKC, lower-cased text
 * (zero-width characters dropped, leetspeak mapped, every run of other than letters, digits and
 * marks one space, no space at either end), then one over its words to join spelled-out letters.
 * Linear in the text; deterministic.
 */
export function normalizeForInjection(text: string): string {
  return normalizeFolded(text.normalize('NFKC'));
}

/** `normalizeForInjection` after the NFKC step. */
function normalizeFolded(nfkc: string): string {
  const lower = nfkc.toLowerCase();
  const out = new TextBuilder();
  let space = false;
  for (let i = 0; i < lower.length; ) {
    let cp = codePointAt(lower, i);
    i += cp > 0xffff ? 2 : 1;
    if (isZeroWidth(cp)) continue;
    cp = leet(cp);
    if (isLetterOrDigit(cp) || isMark(cp)) {
      if (space && out.length > 0) out.push(0x20);
      space = false;
      out.push(cp);
    } else space = true;
  }
  return joinSpelledOut(out.toString());
}

function leet(cp: number): number {
  switch (cp) {
    case 0x31: // 1
      return 0x69; // i
    case 0x30: // 0
      return 0x6f; // o
    case 0x33: // 3
      return 0x65; // e
    case 0x34: // 4
    case 0x40: // @
      return 0x61; // a
    case 0x35: // 5
    case 0x24: // $
      return 0x73; // s
    case 0x37: // 7
      return 0x74; // t
    default:
      return cp;
  }
}

/** The first code point of `text` at or after `i`, and the last before `end`. */
const lastCodePoint = (text: string, end: number): number => {
  const c = text.charCodeAt(end - 1);
  return c >= 0xdc00 && c <= 0xdfff && end >= 2 ? codePointAt(text, end - 2) : c;
};
const width = (cp: number): number => (cp > 0xffff ? 2 : 1);

/** One letter or digit and nothing else. */
function isSingle(text: string, start: number, end: number): boolean {
  const cp = codePointAt(text, start);
  return start + width(cp) === end && isLetterOrDigit(cp);
}

/** `(?<![\p{L}\p{N}])X `: the word's last code point is a letter or digit after a mark or the word's start. */
function mayBeginRun(text: string, start: number, end: number): boolean {
  const last = lastCodePoint(text, end);
  const before = end - width(last);
  return isLetterOrDigit(last) && (before === start || !isLetterOrDigit(lastCodePoint(text, before)));
}

/** ` X(?![\p{L}\p{N}])`: the word's first code point is a letter or digit before a mark or the word's end. */
function mayEndRun(text: string, start: number, end: number): boolean {
  const first = codePointAt(text, start);
  const after = start + width(first);
  return isLetterOrDigit(first) && (after === end || !isLetterOrDigit(codePointAt(text, after)));
}

/**
 * Joins runs of three or more spelled-out letters ("i g n o r e" → "ignore"), exactly as the
 * pattern `(?<![\p{L}\p{N}])(?:[\p{L}\p{N}] ){2,}[\p{L}\p{N}](?![\p{L}\p{N}])` with every
 * space of a match removed: a run begins with a word whose last letter may begin it, goes on over
 * one-letter words, and ends with a word whose first letter may end it. `text` is words separated
 * by single spaces; returned as is when nothing is joined.
 */
function joinSpelledOut(text: string): string {
  const n = text.length;
  const wordEnd = (start: number): number => {
    const space = text.indexOf(' ', start);
    return space === -1 ? n : space;
  };
  // Word bounds are found as the scan goes, never stored: this runs on every prompt, and an array
  // of every word's offset was most of what a 2 KB prompt's check allocated.
  let dropped: number[] | undefined; // offsets of the spaces removed
  let start = 0;
  while (start < n) {
    const end = wordEnd(start);
    if (mayBeginRun(text, start, end)) {
      let singles = 0;
      let runEnd = end; // the end of the last one-letter word after this one (or of this one)
      while (runEnd < n) {
        const nextEnd = wordEnd(runEnd + 1);
        if (!isSingle(text, runEnd + 1, nextEnd)) break;
        singles++;
        runEnd = nextEnd;
      }
      let lastEnd = -1;
      if (singles >= 1 && runEnd < n) {
        const nextEnd = wordEnd(runEnd + 1);
        if (mayEndRun(text, runEnd + 1, nextEnd)) lastEnd = nextEnd;
      }
      if (lastEnd === -1 && singles >= 2) lastEnd = runEnd;
      if (lastEnd !== -1) {
        dropped ??= [];
        for (let at = end; at < lastEnd; at = wordEnd(at + 1)) dropped.push(at);
        start = lastEnd + 1;
        continue;
      }
    }
    start = end + 1;
  }
  if (dropped === undefined) return text;
  const parts: string[] = [];
  let from = 0;
  for (const at of dropped) {
    parts.push(text.slice(from, at));
    from = at + 1;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

type Phrase = { readonly category: InjectionCategory | 'extra'; readonly pattern: LinearPattern };

/**
 * Compiles one entry of the phrase syntax to a pattern over ` <normalised text> `: every token
 * starts with a space and the match ends with one, so only whole words match.
 */
function phrasePattern(entry: string): LinearPattern {
  const tokens: string[] = [];
  for (let i = 0; i < entry.length; ) {
    const c = entry[i] as string;
    if (c === ' ') {
      i++;
      continue;
    }
    const close = c === '[' ? ']' : c === '(' ? ')' : ' ';
    const end = entry.indexOf(close, i + 1);
    const stop = end === -1 ? entry.length : close === ' ' ? end : end + 1;
    tokens.push(entry.slice(i, stop));
    i = stop;
  }
  const body = tokens.map((t) => {
    if (t.startsWith('[')) return ` (?:${t.slice(1, -1)})`;
    if (t.startsWith('(')) return `(?: (?:${t.slice(1, -1)}))?`;
    return ` ${t}`;
  });
  return linear(`${body.join('')} `);
}

/** The built-in phrases, compiled: exported so a test can check every one is linear. */
export const INJECTION_PATTERNS: readonly Phrase[] = INJECTION_CATEGORIES.flatMap((category) =>
  INJECTION_PHRASES[category].map((p) => ({ category, pattern: phrasePattern(p) })),
);

/** Normalised text holds only letters, digits, marks and single spaces: no pattern syntax. */
const literalPattern = (normalised: string): LinearPattern => linear(` ${normalised} `);

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['extraPhrases', 'threshold', 'maxInputChars']);
  const extra: Phrase[] = [];
  (read.strings('extraPhrases') ?? []).forEach((phrase, i) => {
    const normalised = normalizeForInjection(phrase);
    if (normalised === '') read.issue(`extraPhrases[${i}]`, 'must contain letters or digits');
    else extra.push({ category: 'extra', pattern: literalPattern(normalised) });
  });
  const threshold = read.positiveInt('threshold', 100) ?? 1;
  const phrases = [...INJECTION_PATTERNS, ...extra];
  const prefilter = new PatternSet(phrases.map((p) => p.pattern));
  const limit = readInputLimit(read, 'prompt_injection');
  const check: Check = (texts) => {
    const findings: Finding[] = [];
    let chars = 0;
    for (const t of texts) chars += t.length;
    if (chars > limit) return overLimit(chars, limit, 'prompt_injection');
    // NFKC turns some characters into up to 18: the limit holds for the normalised text too.
    const nfkc = texts.map((t) => t.normalize('NFKC'));
    chars = nfkc.reduce((n, t) => n + t.length, 0);
    if (chars > limit)
      return overLimit(chars, limit, 'prompt_injection', ' after Unicode NFKC normalisation');
    for (const text of nfkc) {
      const padded = ` ${normalizeFolded(text)} `;
      for (const i of prefilter.matching(padded)) {
        const p = phrases[i] as Phrase;
        const first = p.pattern.matches(padded).next();
        if (!first.done) findings.push({ type: p.category.toUpperCase(), redacted: first.value.text.trim() });
      }
    }
    if (new Set(findings.map((f) => f.redacted)).size < threshold) return { outcome: 'pass' };
    const types = [...new Set(findings.map((f) => f.type))].sort();
    return { outcome: 'fail', detail: `Prompt injection detected: ${types.join(', ')}`, findings };
  };
  return read.done(check);
}
