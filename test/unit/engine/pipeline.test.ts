import { describe, expect, test } from 'vitest';
import type { GuardrailVerdict, PipelineData, RunGuardrail } from '../../../src/engine/pipeline.ts';
import { executePipeline } from '../../../src/engine/pipeline.ts';
import type { GuardrailSpec, Pipeline, PipelineStep } from '../../../src/engine/types.ts';
import { createGuardrailRunner } from '../../../src/guardrails/index.ts';

const data: PipelineData = { messages: [{ role: 'user', content: 'mail me at jane@example.com' }] };
const opts = { now: () => performance.now(), deadlineMs: 5000 };
const step = (guardrail: string, s: Partial<PipelineStep> = {}): PipelineStep => ({
  guardrail,
  onPass: 'allow',
  onFail: 'block',
  passData: false,
  ...s,
});

/** A runner answering from a table by name (a thrown Error rejects), recording each call. */
function scripted(verdicts: Record<string, GuardrailVerdict | Error>) {
  const calls: { name: string; data: PipelineData }[] = [];
  const run: RunGuardrail = async (name, _mode, d) => {
    calls.push({ name, data: d });
    const v = verdicts[name];
    if (v instanceof Error) throw v;
    return v ?? { outcome: 'error', detail: `Guardrail '${name}' not found` };
  };
  return { run, calls };
}

const pass = { outcome: 'pass' } as const;
const fail = (detail: string) => ({ outcome: 'fail', detail }) as const;

describe('executePipeline', () => {
  const cases: {
    note: string;
    steps: PipelineStep[];
    verdicts: Record<string, GuardrailVerdict | Error>;
    want: Record<string, unknown>;
    ran: string[];
    actions: string[];
  }[] = [
    {
      note: 'fail → next, then fail → block',
      steps: [step('a', { onFail: 'next' }), step('b')],
      verdicts: { a: fail('a says no'), b: fail('b says no') },
      want: { terminalAction: 'block', errorMessage: 'b says no' },
      ran: ['a', 'b'],
      actions: ['next', 'block'],
    },
    {
      note: 'pass → allow stops early: step 2 never runs',
      steps: [step('a'), step('b')],
      verdicts: { a: pass, b: fail('never') },
      want: { terminalAction: 'allow' },
      ran: ['a'],
      actions: ['allow'],
    },
    {
      note: 'fail → next, then pass → allow',
      steps: [step('a', { onFail: 'next' }), step('b')],
      verdicts: { a: fail('first try'), b: pass },
      want: { terminalAction: 'allow' },
      ran: ['a', 'b'],
      actions: ['next', 'allow'],
    },
    {
      note: 'error uses onFail when onError is unset',
      steps: [step('a', { onFail: 'block' })],
      verdicts: { a: { outcome: 'error', detail: 'upstream down' } },
      want: { terminalAction: 'block', errorMessage: 'upstream down' },
      ran: ['a'],
      actions: ['block'],
    },
    {
      note: 'onError overrides onFail',
      steps: [step('a', { onFail: 'block', onError: 'next' }), step('b')],
      verdicts: { a: { outcome: 'error', detail: 'upstream down' }, b: pass },
      want: { terminalAction: 'allow' },
      ran: ['a', 'b'],
      actions: ['next', 'allow'],
    },
    {
      note: 'modify_response uses the step message',
      steps: [step('a', { onFail: 'modify_response', modifyResponseMessage: 'Request refused' })],
      verdicts: { a: fail('pii found') },
      want: { terminalAction: 'modify_response', modifyResponseMessage: 'Request refused' },
      ran: ['a'],
      actions: ['modify_response'],
    },
    {
      note: 'modify_response falls back to the detail',
      steps: [step('a', { onFail: 'modify_response' })],
      verdicts: { a: fail('pii found') },
      want: { terminalAction: 'modify_response', modifyResponseMessage: 'pii found' },
      ran: ['a'],
      actions: ['modify_response'],
    },
    {
      note: 'running out of steps allows',
      steps: [step('a', { onFail: 'next' }), step('b', { onPass: 'next' })],
      verdicts: { a: fail('no'), b: pass },
      want: { terminalAction: 'allow' },
      ran: ['a', 'b'],
      actions: ['next', 'next'],
    },
    {
      note: 'onPass: block blocks with no message',
      steps: [step('a', { onPass: 'block' })],
      verdicts: { a: pass },
      want: { terminalAction: 'block' },
      ran: ['a'],
      actions: ['block'],
    },
    {
      note: 'a pass note (fail-open) is not a block message',
      steps: [step('a', { onPass: 'block' })],
      verdicts: { a: { outcome: 'pass', detail: 'failurePolicy open: timed out' } },
      want: { terminalAction: 'block' },
      ran: ['a'],
      actions: ['block'],
    },
    {
      note: 'onPass: modify_response without a message has none',
      steps: [step('a', { onPass: 'modify_response' })],
      verdicts: { a: pass },
      want: { terminalAction: 'modify_response' },
      ran: ['a'],
      actions: ['modify_response'],
    },
    {
      note: 'a guardrail that throws is an error outcome',
      steps: [step('a', { onError: 'block' })],
      verdicts: { a: new Error('kaboom') },
      want: { terminalAction: 'block', errorMessage: 'kaboom' },
      ran: ['a'],
      actions: ['block'],
    },
  ];
  for (const c of cases)
    test(c.note, async () => {
      const { run, calls } = scripted(c.verdicts);
      const r = await executePipeline({ mode: 'pre_call', steps: c.steps }, data, run, opts);
      const { stepResults, ...rest } = r;
      expect(rest).toEqual(c.want);
      expect(calls.map((x) => x.name)).toEqual(c.ran);
      expect(stepResults.map((s) => s.actionTaken)).toEqual(c.actions);
      expect(stepResults.map((s) => s.guardrailName)).toEqual(c.ran);
    });

  test('step results carry outcome, detail and findings', async () => {
    const findings = [{ type: 'EMAIL', redacted: 'j***@e***.com' }];
    const { run } = scripted({ a: { outcome: 'fail', detail: 'PII detected: EMAIL', findings } });
    const r = await executePipeline({ mode: 'pre_call', steps: [step('a')] }, data, run, opts);
    expect(r.stepResults[0]).toMatchObject({
      guardrailName: 'a',
      outcome: 'fail',
      actionTaken: 'block',
      errorDetail: 'PII detected: EMAIL',
      findings,
    });
  });

  test('durationSeconds is the step time rounded to 4 decimals', async () => {
    let t = 0;
    const clock = () => {
      t += 1234.56789; // every reading advances 1.23456789 s
      return t;
    };
    const { run } = scripted({ a: pass });
    const r = await executePipeline({ mode: 'pre_call', steps: [step('a')] }, data, run, {
      now: clock,
      deadlineMs: 1e9,
    });
    expect(r.stepResults[0]?.durationSeconds).toBe(1.2346);
  });
});

describe('data between steps', () => {
  const masked: PipelineData = { messages: [{ role: 'user', content: 'mail me at [EMAIL]' }] };
  const cases = [
    {
      note: 'passData hands the modified data to step 2 and returns it',
      mode: 'pre_call',
      passData: true,
      step2Sees: masked,
      modifiedData: masked,
    },
    {
      note: 'without passData step 2 sees the original',
      mode: 'pre_call',
      passData: false,
      step2Sees: data,
      modifiedData: undefined,
    },
    {
      note: 'post_call always carries it',
      mode: 'post_call',
      passData: false,
      step2Sees: masked,
      modifiedData: masked,
    },
  ] as const;
  for (const c of cases)
    test(c.note, async () => {
      const { run, calls } = scripted({ mask: { outcome: 'pass', modified: masked }, b: pass });
      const pipeline: Pipeline = {
        mode: c.mode,
        steps: [step('mask', { onPass: 'next', passData: c.passData }), step('b')],
      };
      const r = await executePipeline(pipeline, data, run, opts);
      expect(calls[1]?.data).toEqual(c.step2Sees);
      expect(r.modifiedData).toEqual(c.modifiedData);
      expect(r.stepResults[0]?.modifiedData).toEqual(masked);
    });

  test('a modification equal to the input is not reported', async () => {
    const { run } = scripted({ a: { outcome: 'pass', modified: { messages: [...data.messages] } } });
    const r = await executePipeline({ mode: 'post_call', steps: [step('a')] }, data, run, opts);
    expect(r).not.toHaveProperty('modifiedData');
  });
});

describe('with the real guardrail runner', () => {
  const catalog = new Map<string, GuardrailSpec>([
    ['pii-mask', { type: 'pii', mode: 'pre_call', failurePolicy: 'closed', config: { action: 'mask' } }],
    [
      'no-at-sign',
      {
        type: 'regex',
        mode: 'pre_call',
        failurePolicy: 'closed',
        config: { patterns: [{ name: 'AT', pattern: '@' }] },
      },
    ],
  ]);
  const run = createGuardrailRunner(catalog);
  const maskThenCheck = (passData: boolean): Pipeline => ({
    mode: 'pre_call',
    steps: [step('pii-mask', { onPass: 'next', passData }), step('no-at-sign')],
  });

  test('pass_data: masked data is what step 2 checks and what is returned', async () => {
    const r = await executePipeline(maskThenCheck(true), data, run, opts);
    expect(r.terminalAction).toBe('allow');
    expect(r.modifiedData).toEqual({ messages: [{ role: 'user', content: 'mail me at [EMAIL]' }] });
  });
  test('without pass_data step 2 sees the raw e-mail and blocks', async () => {
    const r = await executePipeline(maskThenCheck(false), data, run, opts);
    expect(r).toMatchObject({ terminalAction: 'block', errorMessage: 'Pattern detected: AT' });
    expect(r).not.toHaveProperty('modifiedData');
  });
  test('missing guardrail with on_fail block blocks', async () => {
    const r = await executePipeline({ mode: 'pre_call', steps: [step('ghost')] }, data, run, opts);
    expect(r).toMatchObject({ terminalAction: 'block', errorMessage: "Guardrail 'ghost' not found" });
    expect(r.stepResults[0]).toMatchObject({ outcome: 'error', errorDetail: "Guardrail 'ghost' not found" });
  });
  test('missing guardrail with on_fail next continues', async () => {
    const r = await executePipeline(
      { mode: 'pre_call', steps: [step('ghost', { onFail: 'next' }), step('pii-mask')] },
      data,
      run,
      opts,
    );
    expect(r.terminalAction).toBe('allow');
    expect(r.stepResults.map((s) => [s.guardrailName, s.outcome])).toEqual([
      ['ghost', 'error'],
      ['pii-mask', 'pass'],
    ]);
  });
});

describe('deadline and abort', () => {
  /** Waits for its signal, then rejects with the abort reason; records that it saw the abort. */
  const hanging =
    (log: string[]): RunGuardrail =>
    async (name, _m, _d, signal) =>
      new Promise((_, reject) =>
        signal.addEventListener('abort', () => {
          log.push(`${name} aborted`);
          reject(signal.reason);
        }),
      );

  test('the running step is aborted and counts as error; its onError applies', async () => {
    const log: string[] = [];
    const started = performance.now();
    const r = await executePipeline(
      { mode: 'pre_call', steps: [step('slow', { onError: 'modify_response' })] },
      data,
      hanging(log),
      { ...opts, deadlineMs: 50 },
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(log).toEqual(['slow aborted']);
    expect(r).toMatchObject({
      terminalAction: 'modify_response',
      modifyResponseMessage: 'Pipeline deadline of 50 ms exceeded',
    });
    expect(r.stepResults[0]).toMatchObject({
      outcome: 'error',
      errorDetail: 'Pipeline deadline of 50 ms exceeded',
    });
  });

  test('a guardrail that ignores its signal cannot hold the pipeline; later steps do not run', async () => {
    const calls: string[] = [];
    const run: RunGuardrail = (name) => {
      calls.push(name);
      return new Promise(() => {});
    };
    const r = await executePipeline(
      { mode: 'pre_call', steps: [step('stuck', { onError: 'next' }), step('after')] },
      data,
      run,
      { ...opts, deadlineMs: 30 },
    );
    expect(calls).toEqual(['stuck']);
    expect(r.terminalAction).toBe('block');
    expect(r.stepResults.map((s) => [s.guardrailName, s.outcome, s.errorDetail])).toEqual([
      ['stuck', 'error', 'Pipeline deadline of 30 ms exceeded'],
      ['after', 'error', 'Pipeline deadline of 30 ms exceeded'],
    ]);
  });

  test('the caller aborting ends the running step as an error', async () => {
    const controller = new AbortController();
    const log: string[] = [];
    setTimeout(() => controller.abort(), 20);
    const r = await executePipeline({ mode: 'pre_call', steps: [step('slow')] }, data, hanging(log), {
      ...opts,
      signal: controller.signal,
    });
    expect(log).toEqual(['slow aborted']);
    expect(r).toMatchObject({ terminalAction: 'block', errorMessage: 'Pipeline aborted by the caller' });
  });
});
