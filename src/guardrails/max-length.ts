/**
 * `max_length`: limits the size of the phase's messages, all `content` strings together.
 * Config `{ maxChars?, maxTokens? }`, at least one. Characters are Unicode code points; tokens are
 * approximated as ceil(characters / 4), the usual rule of thumb for English with BPE tokenizers
 * (no tokenizer runs here, so treat `maxTokens` as an estimate, not a model's exact count).
 */
import type { Checked } from '../engine/index.ts';
import type { Check } from './check.ts';
import type { Config } from './config.ts';
import { ConfigReader } from './config.ts';

/** Code points of a text, counted without copying it. */
function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const approxTokens = (chars: number): number => Math.ceil(chars / 4);

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['maxChars', 'maxTokens']);
  const maxChars = read.positiveInt('maxChars');
  const maxTokens = read.positiveInt('maxTokens');
  if (config.maxChars === undefined && config.maxTokens === undefined)
    read.issue('maxChars', 'set maxChars, maxTokens or both');
  return read.done((texts) => {
    const chars = texts.reduce((n, t) => n + codePoints(t), 0);
    if (maxChars !== undefined && chars > maxChars)
      return {
        outcome: 'fail',
        detail: `Content is ${chars} characters, over the limit of ${maxChars}`,
        findings: [],
      };
    const tokens = approxTokens(chars);
    if (maxTokens !== undefined && tokens > maxTokens)
      return {
        outcome: 'fail',
        detail: `Content is about ${tokens} tokens, over the limit of ${maxTokens}`,
        findings: [],
      };
    return { outcome: 'pass' };
  });
}
