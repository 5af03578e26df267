import { describe, expect, test } from 'vitest';
import { CallVerdicts } from '../../../src/enforce/index.ts';
import type { GuardrailSpec, RunGuardrail } from '../../../src/engine/index.ts';

const spec = (words: string[]): GuardrailSpec =>
  ({ type: 'keywords', mode: 'pre_call', config: { words } }) as unknown as GuardrailSpec;

/** A runner that counts what it is asked and passes. */
function counting(): { run: RunGuardrail; asked: string[] } {
  const asked: string[] = [];
  const run: RunGuardrail = async (name) => {
    asked.push(name);
    return { outcome: 'pass' };
  };
  return { asked, run };
}

const signal = new AbortController().signal;
const data = (content: string) => ({ messages: [{ role: 'user', content }] });

describe('CallVerdicts', () => {
  const words = spec(['falcon']);
  const catalog = new Map([['words', words]]);

  test('the same guardrail, spec, mode and messages (equal, not the same objects) is asked once', async () => {
    const verdicts = new CallVerdicts();
    const production = counting();
    const first = await verdicts.recording(production.run, catalog)('words', 'pre_call', data('hi'), signal);
    const shadow = counting();
    const again = await verdicts.reusing(shadow.run, catalog)('words', 'pre_call', data('hi'), signal);
    expect(production.asked).toEqual(['words']);
    expect(shadow.asked).toEqual([]);
    expect(again).toBe(first);
  });

  test('other messages, another mode, another spec or another guardrail are asked again', async () => {
    const verdicts = new CallVerdicts();
    await verdicts.recording(counting().run, catalog)('words', 'pre_call', data('hi'), signal);
    const shadow = counting();
    const reuse = verdicts.reusing(shadow.run, catalog);
    await reuse('words', 'pre_call', data('hi!'), signal);
    await reuse('words', 'post_call', data('hi'), signal);
    await reuse('other', 'pre_call', data('hi'), signal);
    await verdicts.reusing(shadow.run, new Map([['words', spec(['falcon'])]]))(
      'words',
      'pre_call',
      data('hi'),
      signal,
    );
    await reuse('words', 'pre_call', { messages: [{ role: 'system', content: 'hi' }] }, signal);
    expect(shadow.asked).toEqual(['words', 'words', 'other', 'words', 'words']);
  });
});
