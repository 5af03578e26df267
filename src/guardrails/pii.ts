/**
 * `pii`: finds e-mail addresses, phone numbers, US SSNs, card numbers, IBANs and IP addresses.
 * Config `{ entities?: PiiEntity[] (default all), action?: 'block' | 'mask' (default block),
 * maxInputChars? }` (see `input-limit.ts`).
 * `block` fails with one finding per match; `mask` passes with each match replaced by `[<ENTITY>]`,
 * so a pipeline step with `passData` hands the masked messages on.
 */
import type { Checked } from '../engine/index.ts';
import type { Check, Detector } from './check.ts';
import { MATCH_ACTIONS, scanCheck } from './check.ts';
import type { Config } from './config.ts';
import { ConfigReader } from './config.ts';
import { withInputLimit } from './input-limit.ts';
import { PatternSet } from './linear-pattern.ts';
import type { PiiEntity } from './pii-detectors.ts';
import { PII_DETECTORS, PII_ENTITIES } from './pii-detectors.ts';

export function compile(config: Config): Checked<Check> {
  const read = new ConfigReader(config, ['entities', 'action', 'maxInputChars']);
  const names = read.strings('entities') ?? [...PII_ENTITIES];
  const entities: PiiEntity[] = [];
  names.forEach((name, i) => {
    if (PII_ENTITIES.includes(name as PiiEntity)) entities.push(name as PiiEntity);
    else read.issue(`entities[${i}]`, `unknown entity '${name}'; known: ${PII_ENTITIES.join(', ')}`);
  });
  if (Array.isArray(config.entities) && config.entities.length === 0)
    read.issue('entities', 'must name at least one entity (or be left out for all of them)');
  const action = read.oneOf('action', MATCH_ACTIONS, 'block');
  const detectors = [...new Set(entities)].map((e) => PII_DETECTORS[e]);
  // One pass over the text says which detectors can find anything; only those then run.
  const owners = detectors.flatMap((d) => d.patterns.map(() => d));
  const prefilter = new PatternSet(detectors.flatMap((d) => d.patterns));
  const detect: Detector = (text) => {
    const found = new Set(prefilter.matching(text).map((i) => owners[i]));
    return detectors.flatMap((d) => (found.has(d) ? d.detect(text) : []));
  };
  return read.done(withInputLimit(read, 'pii', scanCheck(detect, action, 'PII')));
}
