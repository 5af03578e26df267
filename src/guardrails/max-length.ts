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

export const approxTokens = (chars: number): number => Math.ceil(chars / 4);

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['maxChars', 'maxTokens']);
  const maxChars = read.positiveInt('maxChars');
  const maxTokens = read.positiveInt('maxTokens');
  if (config.maxChars === undefined && config.maxTokens === undefined)
    read.issue('maxChars', 'set maxChars, maxTokens or both');
  return read.done((texts) => {
    const chars = texts.reduce((n, t) => n + [...t].length, 0);
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
