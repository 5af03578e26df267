/**
 * Shadow runs: how a shadow decision is compared with production's (allow, block, mask, error,
 * cannot decide; masks by digest), and the runner's sampling, concurrency cap and reach (only
 * calls the policy takes part in), on a real registry and the real decision code.
 */
import { describe, expect, test } from 'vitest';
import {
  compareDecisions,
  type Decision,
  GuardrailRunners,
  maskDigest,
  ShadowDispatcher,
  ShadowRunner,
  type Verdict,
} from '../../../src/enforce/index.ts';
import { ShadowRecorder } from '../../../src/usage/index.ts';
import {
  appFrom,
  appWithShadow,
  SHADOW_CATALOG as CATALOG,
  decideRecording,
  shadowCall as input,
  policy,
} from './fixtures.ts';

const decision = (verdict: Verdict, guardrails: Decision['guardrails'] = []): Decision => ({
  verdict,
  namespace: 'default',
  policies: [],
  guardrails,
  external: [],
  durationMs: 1,
});
const run = (name: string, outcome: 'pass' | 'fail' | 'error', masked = false) => ({
  guardrail: name,
  via: 'policy:p',
  outcome,
  masked,
  durationMs: 0,
});
const allow: Verdict = { kind: 'allow' };
const block = (guardrail: string): Verdict => ({ kind: 'block', policy: 'p', guardrail, message: 'Blocked' });
const mask = (content: string): Verdict => ({ kind: 'mask', messages: [{ role: 'user', content }] });
const undecided: Verdict = { kind: 'cannot_decide', reason: 'deadline' };

describe('compareDecisions', () => {
  const cases: { note: string; production: Decision; shadow: Decision; want: object }[] = [
    { note: 'both allow', production: decision(allow), shadow: decision(allow), want: { result: 'agree' } },
    {
      note: 'the shadow blocks where production allowed: by the shadow’s guardrail',
      production: decision(allow),
      shadow: decision(block('inject'), [run('inject', 'fail')]),
      want: { result: 'would_block', guardrail: 'inject' },
    },
    {
      note: 'an answer in place of the model counts as a block',
      production: decision(mask('[EMAIL]')),
      shadow: decision({ kind: 'modify_response', policy: 'p', guardrail: 'words', message: 'No' }),
      want: { result: 'would_block', guardrail: 'words' },
    },
    {
      note: 'the shadow allows what production blocked: by production’s guardrail',
      production: decision(block('words')),
      shadow: decision(allow),
      want: { result: 'would_allow', guardrail: 'words' },
    },
    {
      note: 'two blocks agree, whoever blocked',
      production: decision(block('words')),
      shadow: decision(block('inject')),
      want: { result: 'agree' },
    },
    {
      note: 'the same mask agrees',
      production: decision(mask('mail [EMAIL]'), [run('pii', 'pass', true)]),
      shadow: decision(mask('mail [EMAIL]'), [run('pii', 'pass', true)]),
      want: { result: 'agree' },
    },
    {
      note: 'a mask production did not apply differs, by the guardrail that masked',
      production: decision(allow, [run('pii', 'pass')]),
      shadow: decision(mask('mail [EMAIL]'), [run('pii', 'pass'), run('pii-strict', 'pass', true)]),
      want: { result: 'mask_differs', guardrail: 'pii-strict' },
    },
    {
      note: 'the same guardrails masking differently differ (their digests do)',
      production: decision(mask('mail [EMAIL]'), [run('pii', 'pass', true)]),
      shadow: decision(mask('mail [REDACTED]'), [run('pii', 'pass', true)]),
      want: { result: 'mask_differs', guardrail: 'pii' },
    },
    {
      note: 'a guardrail erring in the shadow only (failure policy open: still allows)',
      production: decision(allow, [run('hook', 'pass')]),
      shadow: decision(allow, [run('hook', 'pass'), run('hook2', 'error')]),
      want: { result: 'error', guardrail: 'hook2', shadowErrors: true },
    },
    {
      note: 'an error that blocks is a block first',
      production: decision(allow),
      shadow: decision(block('hook'), [run('hook', 'error')]),
      want: { result: 'would_block', guardrail: 'hook', shadowErrors: true },
    },
    {
      note: 'the shadow cannot decide',
      production: decision(allow),
      shadow: decision(undecided),
      want: { result: 'cannot_decide' },
    },
    {
      note: 'production could not decide, the shadow could',
      production: decision(undecided),
      shadow: decision(block('x')),
      want: { result: 'cannot_decide' },
    },
    {
      note: 'neither could decide: they agree',
      production: decision(undecided),
      shadow: decision(undecided),
      want: { result: 'agree' },
    },
  ];
  for (const c of cases)
    test(c.note, () => expect(compareDecisions(c.production, c.shadow)).toMatchObject(c.want));

  test('a mask digest holds no text and tells two masks apart', () => {
    const a = maskDigest(mask('jane@example.com is masked'));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(maskDigest(mask('jane@example.com is masked!')));
    expect(maskDigest(allow)).toBe('unmasked');
  });
});

// ───────────── the runner ─────────────

/** v1 (production) masks; the draft adds `words`, in shadow at `rate`. */
const shadowed = (rate: number) =>
  appWithShadow({ catalog: CATALOG, production: '[pii-mask]', draft: '[pii-mask, words]', rate });

/**
 * The dispatcher over the runner on the event loop: a call handed over is run only when the test
 * flushes (in `serve`, the shadow thread runs it; see shadow-thread.test.ts).
 */
function runnerOver(
  app: Awaited<ReturnType<typeof shadowed>>,
  o: { random?: () => number; maxConcurrent?: number; runners?: GuardrailRunners } = {},
) {
  const recorder = new ShadowRecorder();
  const deferred: (() => Promise<void>)[] = [];
  const shadows = new ShadowRunner({
    snapshot: () => app.snapshot(),
    defaultNamespace: 'default',
    runners: o.runners ?? new GuardrailRunners(),
    recorder,
    deadlineMs: 2000,
    baselineContext: false,
  });
  const runner = new ShadowDispatcher({
    snapshot: () => app.snapshot(),
    recorder,
    executor: {
      submit: (call, finished) => {
        deferred.push(() => shadows.run(call).then(finished));
        return true;
      },
    },
    maxConcurrent: o.maxConcurrent ?? 16,
    random: o.random ?? (() => 0),
  });
  const flush = async () => {
    await Promise.all(deferred.splice(0).map((work) => work()));
    await runner.idle();
  };
  return { recorder, runner, deferred, flush };
}

const productionAllow = decision(allow);

describe('ShadowDispatcher and ShadowRunner', () => {
  test('runs the version in shadow after the answer, on the same call, and counts the difference', async () => {
    const { recorder, runner, deferred, flush } = runnerOver(await shadowed(1));
    runner.after(input('support', 'falcon'), productionAllow);
    expect(deferred).toHaveLength(1); // scheduled, not run: the answer went first
    expect(recorder.stats()).toEqual([]);
    await flush();
    const [s] = recorder.stats();
    expect(s?.subject).toMatchObject({ policy: 'support', versionNumber: 2 });
    expect(s?.results).toMatchObject({ would_block: 1, agree: 0 });
    expect(s?.byGuardrail).toEqual([{ guardrail: 'words', result: 'would_block', count: 1 }]);
  });

  test('only where the policy takes part in the call', async () => {
    const { recorder, runner, flush } = runnerOver(await shadowed(1));
    runner.after(input('other', 'falcon'), decision(block('words')));
    runner.after({ ...input('support', 'x'), context: {} }, productionAllow);
    await flush();
    expect(recorder.stats()).toEqual([]);
  });

  test('sampled by the rate: a call whose draw is at or above it is not run', async () => {
    const draws = [0.05, 0.5, 0.09, 0.1, 0.99];
    const { recorder, runner, flush } = runnerOver(await shadowed(0.1), { random: () => draws.shift() ?? 1 });
    for (let i = 0; i < 5; i++) runner.after(input('support', 'hello'), productionAllow);
    await flush();
    expect(recorder.stats()[0]?.runs).toBe(2);
  });

  test('past the concurrency cap a due run is skipped and counted, never queued', async () => {
    const { recorder, runner, deferred, flush } = runnerOver(await shadowed(1), { maxConcurrent: 2 });
    for (let i = 0; i < 5; i++) runner.after(input('support', 'hello'), productionAllow);
    expect(deferred).toHaveLength(2);
    expect(runner.inFlight).toBe(2);
    await flush();
    expect(recorder.stats()[0]).toMatchObject({ runs: 2, skipped: 3 });
    runner.after(input('support', 'hello'), productionAllow); // the slots came back
    await flush();
    expect(recorder.stats()[0]).toMatchObject({ runs: 3, skipped: 3 });
  });

  test('rate 0 never runs; a namespace without shadows costs one lookup', async () => {
    const { recorder, runner, deferred } = runnerOver(await shadowed(0));
    runner.after(input('support', 'falcon'), productionAllow);
    runner.after(input('support', 'falcon'), { ...productionAllow, namespace: null });
    expect(deferred).toHaveLength(0);
    expect(recorder.stats()).toEqual([]);
  });

  test('a guardrail production already ran on the same messages is not run again: only the new one is', async () => {
    const app = await shadowed(1);
    const call = input('support', 'falcon from jane@example.com');
    const { decision: production, verdicts, runners } = await decideRecording(app, call);
    const { recorder, runner, flush } = runnerOver(app, { runners });
    expect(runner.expects()).toBe(true);
    expect(production.verdict.kind).toBe('mask');
    expect(runners.asked).toEqual(['pii-mask']);
    runner.after(call, production, verdicts);
    await flush();
    // v2 adds `words` after pii-mask: pii-mask's verdict is production's; words runs on its output.
    expect(runners.asked).toEqual(['pii-mask', 'words']);
    expect(recorder.stats()[0]?.results).toMatchObject({ would_block: 1 });
    // Without production's verdicts the shadow asks both.
    runner.after(call, production);
    await flush();
    expect(runners.asked).toEqual(['pii-mask', 'words', 'pii-mask', 'words']);
    expect(recorder.stats()[0]?.results).toMatchObject({ would_block: 2 });
  });

  test('with no version in shadow anywhere, calls record no verdicts', async () => {
    const app = await appFrom(CATALOG + policy('other', '{guardrails: {add: [words]}}', 'teams: [other]'));
    expect(runnerOver(app).runner.expects()).toBe(false);
  });
});
