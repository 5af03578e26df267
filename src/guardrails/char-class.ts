/**
 * Character facts the detectors need one code point at a time, without a JavaScript `RegExp`:
 * Unicode letter/digit/mark classes (read from RE2's Unicode tables, one block of 4,096 code points
 * at a time, on first use), JavaScript's whitespace (`\s`), and simple case folding.
 */
import { RE2JS } from 're2js';

const LETTER_OR_DIGIT = 1;
const MARK = 2;
const KNOWN = 4;
const BLOCK_BITS = 12;

/** One byte per code point: `KNOWN` once its block was classified, plus its class bits. */
const classes = new Uint8Array(0x110000);
const letterOrDigitRuns = RE2JS.compile('[\\p{L}\\p{N}]+');
const markRuns = RE2JS.compile('\\p{M}+');

/** Classifies the 4,096 code points of `cp`'s block in two scans of a string holding all of them. */
function classifyBlock(cp: number): void {
  const first = (cp >> BLOCK_BITS) << BLOCK_BITS;
  const points: number[] = [];
  for (let c = first; c < first + (1 << BLOCK_BITS); c++) if (c < 0xd800 || c > 0xdfff) points.push(c);
  const text = String.fromCodePoint(...points);
  // UTF-16 offset → code point, for the runs found below.
  const at = new Map<number, number>();
  for (let i = 0, j = 0; j < points.length; j++) {
    at.set(i, points[j] as number);
    i += (points[j] as number) > 0xffff ? 2 : 1;
  }
  for (const [runs, bit] of [
    [letterOrDigitRuns, LETTER_OR_DIGIT],
    [markRuns, MARK],
  ] as const) {
    const m = runs.matcher(text);
    while (m.find()) {
      for (let i = m.start(); i < m.end(); i++) {
        const c = at.get(i);
        if (c !== undefined) classes[c] = (classes[c] ?? 0) | bit;
      }
    }
  }
  for (let c = first; c < first + (1 << BLOCK_BITS); c++) classes[c] = (classes[c] ?? 0) | KNOWN;
}

function classOf(cp: number): number {
  let c = classes[cp] ?? KNOWN;
  if ((c & KNOWN) === 0) {
    classifyBlock(cp);
    c = classes[cp] ?? KNOWN;
  }
  return c;
}

/** `\p{L}` or `\p{N}`. */
export const isLetterOrDigit = (cp: number): boolean => (classOf(cp) & LETTER_OR_DIGIT) !== 0;

/** `\p{M}`: a combining mark. */
export const isMark = (cp: number): boolean => (classOf(cp) & MARK) !== 0;

/** A word character for whole-word matching: `[\p{L}\p{N}\p{M}_]`. */
export const isWordChar = (cp: number): boolean =>
  cp === 0x5f || (classOf(cp) & (LETTER_OR_DIGIT | MARK)) !== 0;

/** JavaScript's `\s`: WhiteSpace and LineTerminator code points. */
export function isSpace(cp: number): boolean {
  if (cp <= 0x20) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d);
  if (cp < 0xa0) return false;
  return (
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000 ||
    cp === 0xfeff
  );
}

/** The code point at `i` of `text` (a lone surrogate is its own code point). */
export function codePointAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
  }
  return c;
}

const UTF16 = new TextDecoder('utf-16le');

const folded = new Int32Array(0x10000).fill(-1);

/**
 * Simple case folding as JavaScript's `/iu` compares: upper-cased then lower-cased when both are
 * one code point (so `ſ`→`s`, `ς`→`σ`, `K`→`k`), unchanged when a mapping would change the length
 * (`ß`, `İ`). Deterministic; one table lookup for the Basic Multilingual Plane.
 */
export function foldCase(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
  if (cp <= 0xffff) {
    const known = folded[cp] ?? -1;
    if (known !== -1) return known;
    const f = foldSlow(cp);
    folded[cp] = f;
    return f;
  }
  return foldSlow(cp);
}

function foldSlow(cp: number): number {
  // Dotless ı has only a Turkic folding: `/iu` keeps it apart from i, where upper-casing would not.
  if (cp === 0x131) return cp;
  const s = String.fromCodePoint(cp);
  const upper = s.toUpperCase();
  const lower = ([...upper].length === 1 ? upper : s).toLowerCase();
  return [...lower].length === 1 ? (lower.codePointAt(0) ?? cp) : cp;
}

/**
 * Collects UTF-16 code units and turns them into one string, without a string per character:
 * what the detectors' one-pass rewrites of a text (possibly megabytes) build their output with.
 */
export class TextBuilder {
  #units = new Uint16Array(1024);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** The last code unit pushed, or -1. */
  last(): number {
    return this.#length === 0 ? -1 : (this.#units[this.#length - 1] as number);
  }

  push(cp: number): void {
    if (this.#length + 2 > this.#units.length) {
      const grown = new Uint16Array(this.#units.length * 2);
      grown.set(this.#units);
      this.#units = grown;
    }
    if (cp > 0xffff) {
      this.#units[this.#length++] = 0xd800 + ((cp - 0x10000) >> 10);
      this.#units[this.#length++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else this.#units[this.#length++] = cp;
  }

  /** Drops the last `n` code units. */
  drop(n: number): void {
    this.#length = Math.max(0, this.#length - n);
  }

  /** The text; a lone surrogate pushed becomes U+FFFD. */
  toString(): string {
    return UTF16.decode(this.#units.subarray(0, this.#length));
  }
}
