import { describe, expect, test } from 'vitest';
import { type DurationUnit, parseDuration } from '../../../src/engine/index.ts';

describe('parseDuration', () => {
  const cases: { note: string; text: string; bare: DurationUnit; want: number | undefined }[] = [
    { note: 'milliseconds', text: '500ms', bare: 's', want: 500 },
    { note: 'seconds', text: '30s', bare: 'ms', want: 30_000 },
    { note: 'minutes, fractional', text: '1.5m', bare: 'ms', want: 90_000 },
    { note: 'a bare number counts in the caller unit (seconds)', text: '2', bare: 's', want: 2_000 },
    { note: 'a bare number counts in the caller unit (milliseconds)', text: '2', bare: 'ms', want: 2 },
    { note: 'surrounding blanks are ignored', text: ' 3s ', bare: 'ms', want: 3_000 },
    { note: 'a word is not a duration', text: 'soon', bare: 's', want: undefined },
    { note: 'a negative number is not a duration', text: '-1s', bare: 's', want: undefined },
    { note: 'an unknown unit is not a duration', text: '1h', bare: 's', want: undefined },
    { note: 'empty text is not a duration', text: '', bare: 's', want: undefined },
  ];
  for (const c of cases) test(c.note, () => expect(parseDuration(c.text, c.bare)).toBe(c.want));
});
