/**
 * `keywords`: a list of blocked words or phrases, matched case-insensitively on whole words with
 * Unicode letters, digits and marks (and `_`) as word characters ("class" does not match "classic";
 * "café" does not match "cafés"). Whitespace inside a phrase matches any run of whitespace.
 * Config `{ words: string[], action?: 'block' | 'mask' (default block), maxInputChars? }`; `mask`
 * writes `[KEYWORD]`.
 *
 * However long the list, a text is read once: every word goes into one Aho–Corasick automaton
 * (modern-ahocorasick), run over an encoding of the text in which the whole-word rule is part of
 * the symbols (see `KeywordEncoder`), so no match is ever checked after the fact.
 */
import AhoCorasick from 'modern-ahocorasick';
import type { Checked } from '../engine/index.ts';
import { codePointAt, foldCase, isSpace, isWordChar, TextBuilder } from './char-class.ts';
import type { Check, Span } from './check.ts';
import { MATCH_ACTIONS, scanCheck } from './check.ts';
import type { Config } from './config.ts';
import { ConfigReader } from './config.ts';
import { withInputLimit } from './input-limit.ts';

/**
 * Encodes a text as ASCII: each code point (case-folded; a run of whitespace counts as one space)
 * becomes a fixed-width code, and before each code, and after the last, a separator says whether
 * the code points on either side are word characters. A keyword encoded the same way, with
 * non-word characters assumed outside it, then occurs in an encoded text exactly where it occurs
 * in the text on whole-word boundaries. Code points that no keyword uses share two codes (word,
 * non-word). ASCII keeps the automaton on its fast path (no grapheme segmentation), and the
 * separators keep every match aligned to code points.
 */
class KeywordEncoder {
  /** Folded code point → its code; `OTHER_WORD` and `OTHER` for the rest. */
  readonly #codes = new Map<number, string>();
  readonly #width: number;
  readonly #otherWord: string;
  readonly #other: string;

  constructor(alphabet: ReadonlySet<number>) {
    // Printable ASCII (33..126): 94 digits per position, so one character for up to 92 code points.
    const symbols = alphabet.size + 2;
    this.#width = symbols <= 94 ? 1 : symbols <= 94 ** 2 ? 2 : 3;
    const code = (n: number): string => {
      let s = '';
      for (let i = 0; i < this.#width; i++, n = Math.floor(n / 94)) s += String.fromCharCode(33 + (n % 94));
      return s;
    };
    [...alphabet].sort((a, b) => a - b).forEach((cp, i) => void this.#codes.set(cp, code(i)));
    this.#otherWord = code(alphabet.size);
    this.#other = code(alphabet.size + 1);
  }

  /** The code points of a folded phrase, whitespace runs as one U+0020. */
  static units(text: string, onUnit: (cp: number, start: number) => void): void {
    let i = 0;
    while (i < text.length) {
      const cp = codePointAt(text, i);
      const start = i;
      i += cp > 0xffff ? 2 : 1;
      if (isSpace(cp)) {
        while (i < text.length && isSpace(codePointAt(text, i))) i += codePointAt(text, i) > 0xffff ? 2 : 1;
        onUnit(0x20, start);
      } else onUnit(foldCase(cp), start);
    }
  }

  /**
   * The encoding and, per code (by index), its start in `text`; `starts[n]` is `text.length`. A
   * match at encoded `[a, b)` covers codes `a / (width + 1)` to `(b - 1) / (width + 1)` exclusive.
   */
  encode(text: string): { encoded: string; starts: Int32Array } {
    const out = new TextBuilder();
    const starts: number[] = [];
    let wordBefore = false;
    KeywordEncoder.units(text, (cp, start) => {
      const word = cp !== 0x20 && isWordChar(cp);
      out.push(separator(wordBefore, word));
      const code = this.#codes.get(cp) ?? (word ? this.#otherWord : this.#other);
      for (let i = 0; i < code.length; i++) out.push(code.charCodeAt(i));
      starts.push(start);
      wordBefore = word;
    });
    out.push(separator(wordBefore, false));
    starts.push(text.length);
    return { encoded: out.toString(), starts: Int32Array.from(starts) };
  }

  get stride(): number {
    return this.#width + 1;
  }
}

/** One of four control characters: which sides of a position hold word characters. */
const separator = (before: boolean, after: boolean): number => 1 + (before ? 2 : 0) + (after ? 1 : 0);

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['words', 'action', 'maxInputChars']);
  const words = read.strings('words') ?? [];
  if (words.length === 0 && read.issues.length === 0) read.issue('words', 'must list at least one word');
  const action = read.oneOf('action', MATCH_ACTIONS, 'block');

  const alphabet = new Set<number>();
  const phrases = [...new Set(words.map((w) => w.trim()))];
  for (const p of phrases) KeywordEncoder.units(p, (cp) => void alphabet.add(cp));
  const encoder = new KeywordEncoder(alphabet);
  const automaton = new AhoCorasick(phrases.map((p) => encoder.encode(p).encoded));
  const stride = encoder.stride;

  const detect = (text: string): Span[] => {
    const { encoded, starts } = encoder.encode(text);
    const spans: Span[] = [];
    for (const m of automaton.iterate(encoded, { strategy: 'leftmost-longest' })) {
      const start = starts[m.start / stride] ?? 0;
      const end = starts[(m.end - 1) / stride] ?? text.length;
      spans.push({
        start,
        end,
        finding: { type: 'KEYWORD', redacted: text.slice(start, end).toLowerCase() },
        placeholder: '[KEYWORD]',
      });
    }
    return spans;
  };
  return read.done(withInputLimit(read, 'keywords', scanCheck(detect, action, 'Blocked keyword')));
}
