// The JavaScript-RegExp implementation the linear-time one replaced, kept only as the oracle of
// test/unit/guardrails/linear-equivalence.test.ts. Never imported by src/.
/**
 * `prompt_injection`: matches known jailbreak and instruction-override phrasings
 * (`prompt-injection-phrases.ts`) after normalising away the usual obfuscations: Unicode NFKC,
 * zero-width characters, case, leetspeak (1→i 0→o 3→e 4→a 5→s 7→t @→a $→s), and punctuation or
 * spacing between letters ("i.g.n.o.r.e", "i g n o r e"). Whole words only: "please ignore the typo"
 * passes. Config `{ extraPhrases?: string[], threshold?: number }`: extra literal phrases (normalised
 * the same way), and how many distinct phrases must match to fail (default 1). Never masks.
 */
import type { Checked, Finding } from '../../../../src/engine/index.ts';
import type { Config } from '../../../../src/guardrails/config.ts';
import { ConfigReader } from '../../../../src/guardrails/config.ts';
import type { InjectionCategory } from '../../../../src/guardrails/prompt-injection-phrases.ts';
import {
  INJECTION_CATEGORIES,
  INJECTION_PHRASES,
} from '../../../../src/guardrails/prompt-injection-phrases.ts';
import type { Check } from './check.ts';

const ZERO_WIDTH = /\u034F|[\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/g;
const LEET: Readonly<Record<string, string>> = {
  '1': 'i',
  '0': 'o',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};
const SPELLED_OUT = /(?<![\p{L}\p{N}])(?:[\p{L}\p{N}] ){2,}[\p{L}\p{N}](?![\p{L}\p{N}])/gu;

/** The comparable form of a text: see the module comment. Deterministic. */
export function normalizeForInjection(text: string): string {
  return text
    .normalize('NFKC')
    .replace(ZERO_WIDTH, '')
    .toLowerCase()
    .replace(/[103457@$]/g, (c) => LEET[c] ?? c)
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, ' ')
    .trim()
    .replace(SPELLED_OUT, (run) => run.replaceAll(' ', ''));
}

type Phrase = { readonly category: InjectionCategory | 'extra'; readonly re: RegExp };

/**
 * Compiles one entry of the phrase syntax to a pattern over ` <normalised text> `: every token
 * starts with a space and the match must end before one, so only whole words match.
 */
function phrasePattern(entry: string): RegExp {
  const tokens = entry.match(/\[[^\]]*\]|\([^)]*\)|[^\s[(]+/g) ?? [];
  const body = tokens.map((t) => {
    if (t.startsWith('[')) return ` (?:${t.slice(1, -1)})`;
    if (t.startsWith('(')) return `(?: (?:${t.slice(1, -1)}))?`;
    return ` ${t}`;
  });
  return new RegExp(`${body.join('')}(?= )`, 'u');
}

const BUILT_IN: readonly Phrase[] = INJECTION_CATEGORIES.flatMap((category) =>
  INJECTION_PHRASES[category].map((p) => ({ category, re: phrasePattern(p) })),
);

/** Normalised text holds only letters, digits, marks and single spaces: no pattern syntax. */
const literalPattern = (normalised: string): RegExp => new RegExp(` ${normalised}(?= )`, 'u');

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['extraPhrases', 'threshold']);
  const extra: Phrase[] = [];
  (read.strings('extraPhrases') ?? []).forEach((phrase, i) => {
    const normalised = normalizeForInjection(phrase);
    if (normalised === '') read.issue(`extraPhrases[${i}]`, 'must contain letters or digits');
    else extra.push({ category: 'extra', re: literalPattern(normalised) });
  });
  const threshold = read.positiveInt('threshold', 100) ?? 1;
  const phrases = [...BUILT_IN, ...extra];
  return read.done((texts) => {
    const findings: Finding[] = [];
    for (const text of texts) {
      const padded = ` ${normalizeForInjection(text)} `;
      for (const p of phrases) {
        const m = p.re.exec(padded);
        if (m) findings.push({ type: p.category.toUpperCase(), redacted: m[0].trim() });
      }
    }
    if (new Set(findings.map((f) => f.redacted)).size < threshold) return { outcome: 'pass' };
    const types = [...new Set(findings.map((f) => f.type))].sort();
    return { outcome: 'fail', detail: `Prompt injection detected: ${types.join(', ')}`, findings };
  });
}
