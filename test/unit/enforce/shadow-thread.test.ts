/**
 * The shadow thread, a real worker thread: calls handed over are decided there, not on the event
 * loop that answered; production's verdicts cross with the call (a webhook production called is
 * not called again); calls go in batches; the thread's copy of a namespace is sent again only when
 * it changed; a thread that dies finishes its calls uncounted and is replaced after its delay.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ShadowDispatcher, ShadowThread } from '../../../src/enforce/index.ts';
import type { Resource } from '../../../src/engine/index.ts';
import type { Registry } from '../../../src/registry/index.ts';
import { resourcesFromText } from '../../../src/resources/index.ts';
import { ShadowRecorder } from '../../../src/usage/index.ts';
import {
  appWithShadow,
  SHADOW_CATALOG as CATALOG,
  guardrail,
  shadowCall as input,
  policy,
  decideRecording as production,
} from './fixtures.ts';

/** v1 masks; the draft adds `words`, in shadow on every call. */
const SHADOWED = { catalog: CATALOG, production: '[pii-mask]', draft: '[pii-mask, words]', rate: 1 };

/** The tree `appWithShadow` declares once its draft is in shadow, with `words` blocking `list`. */
const draftTree = (list: string) =>
  CATALOG.replace('[falcon]', list) +
  `apiVersion: railyard.dev/v1alpha1\nkind: Policy\nmetadata: {name: support}\nspec: {guardrails: {add: [pii-mask, words]}, versionStatus: draft, shadow: {sampleRate: 1}}\n---\n` +
  `apiVersion: railyard.dev/v1alpha1\nkind: PolicyAttachment\nmetadata: {name: support}\nspec: {policy: support, teams: [support]}\n---\n` +
  policy('other', '{guardrails: {add: [words]}}', 'teams: [other]');

function shadowsOver(app: Registry, thread: Partial<ConstructorParameters<typeof ShadowThread>[0]> = {}) {
  const recorder = new ShadowRecorder();
  const errors: string[] = [];
  const executor = new ShadowThread({
    defaultNamespace: 'default',
    deadlineMs: 5_000,
    baselineContext: false,
    recorder,
    onError: (err) => errors.push(err instanceof Error ? err.message : String(err)),
    ...thread,
  });
  const dispatcher = new ShadowDispatcher({
    snapshot: () => app.snapshot(),
    recorder,
    executor,
    maxConcurrent: 16,
  });
  return { recorder, errors, executor, dispatcher };
}

describe('ShadowThread', () => {
  test('a sampled call is decided on the thread and counted here; the event loop runs only production', async () => {
    const app = await appWithShadow(SHADOWED);
    const { recorder, errors, executor, dispatcher } = shadowsOver(app);
    const call = input('support', 'falcon from jane@example.com');
    const { decision, verdicts, runners } = await production(app, call);
    dispatcher.after(call, decision, verdicts);
    expect(executor.running).toBe(true);
    await dispatcher.idle();
    expect(runners.asked).toEqual(['pii-mask']);
    const [s] = recorder.stats();
    expect(s?.subject).toMatchObject({ policy: 'support', versionNumber: 2 });
    expect(s?.results).toMatchObject({ would_block: 1, agree: 0 });
    expect(s?.byGuardrail).toEqual([{ guardrail: 'words', result: 'would_block', count: 1 }]);
    // A call the policy takes no part in is handed over, and counts nothing there.
    const other = input('other', 'falcon');
    dispatcher.after(other, (await production(app, other)).decision);
    await dispatcher.idle();
    expect(recorder.stats()[0]?.runs).toBe(1);
    expect(errors).toEqual([]);
    await dispatcher.close();
    expect(executor.running).toBe(false);
  });

  test('the thread gets a namespace again only when it changed', async () => {
    const app = await appWithShadow(SHADOWED);
    // As a source declares them: an unchanged file keeps its parsed resources.
    const declare = (mine: readonly Resource[], extra = '') =>
      app.applyDeclared({
        resources: [...mine, ...resourcesFromText('b.yaml', extra, 'team-b').resources],
        rejected: [],
      });
    const mine = resourcesFromText('inline.yaml', draftTree('[falcon]'), 'default').resources;
    await declare(mine);
    const { recorder, executor, dispatcher } = shadowsOver(app);
    const call = input('support', 'falcon');
    const { decision } = await production(app, call);
    for (let i = 0; i < 16; i++) dispatcher.after(call, decision);
    await dispatcher.idle();
    expect(executor.viewsSent).toBe(1);
    // The namespace and the 16 calls went as one message.
    expect(executor.batchesSent).toBe(1);
    expect(recorder.stats()[0]?.results).toMatchObject({ would_block: 16 });
    // Another namespace changes: this one's copy stands.
    await declare(mine, guardrail('words', '{type: keywords, config: {words: [x]}}'));
    dispatcher.after(call, decision);
    await dispatcher.idle();
    expect(executor.viewsSent).toBe(1);
    // The catalog's `words` no longer blocks `falcon`: the namespace is sent again, and the run sees it.
    await declare(resourcesFromText('inline.yaml', draftTree('[eagle]'), 'default').resources);
    dispatcher.after(call, (await production(app, call)).decision);
    await dispatcher.idle();
    expect(executor.viewsSent).toBe(2);
    expect(recorder.stats()[0]?.results).toMatchObject({ would_block: 17, agree: 1 });
    await dispatcher.close();
  });

  test('a thread that dies: its calls are finished uncounted, the error names it, and it is replaced after the delay', async () => {
    const app = await appWithShadow(SHADOWED);
    // A heap bound no thread can start in: each thread dies at once, as one out of memory would.
    const { recorder, errors, executor, dispatcher } = shadowsOver(app, {
      maxOldGenerationSizeMb: 4,
      restartDelayMs: 60_000,
    });
    const call = input('support', 'falcon');
    const { decision } = await production(app, call);
    dispatcher.after(call, decision);
    await dispatcher.idle();
    expect(executor.running).toBe(false);
    expect(errors.some((e) => e.includes('the shadow thread stopped'))).toBe(true);
    expect(recorder.stats()).toEqual([]);
    // Within the delay no thread is started: the sampled calls are skipped and counted.
    dispatcher.after(call, decision);
    dispatcher.after(call, decision);
    expect(executor.running).toBe(false);
    expect(recorder.stats()[0]).toMatchObject({ runs: 0, skipped: 2 });
    // With no delay, the next call starts a new thread.
    const again = shadowsOver(app, { maxOldGenerationSizeMb: 4, restartDelayMs: 0 });
    again.dispatcher.after(call, decision);
    await again.dispatcher.idle();
    again.dispatcher.after(call, decision);
    expect(again.executor.running).toBe(true);
    await again.dispatcher.close();
  });
});

describe('ShadowThread with a webhook guardrail', () => {
  let hook: Server;
  let url = '';
  let calls = 0;
  beforeAll(async () => {
    hook = createServer((req, res) => {
      calls++;
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ outcome: 'pass' }));
      });
    });
    hook.listen(0, '127.0.0.1');
    await once(hook, 'listening');
    url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/check`;
  });
  afterAll(() => hook.close());

  test('production’s verdicts cross with the call: a webhook production called is not called again', async () => {
    const app = await appWithShadow({
      catalog: CATALOG + guardrail('vendor', `{type: webhook, mode: pre_call, config: {url: "${url}"}}`),
      production: '[vendor]',
      draft: '[vendor, words]',
      rate: 1,
    });
    const { recorder, errors, dispatcher } = shadowsOver(app);
    const call = input('support', 'falcon');
    const { decision, verdicts } = await production(app, call);
    expect(calls).toBe(1);
    dispatcher.after(call, decision, verdicts);
    await dispatcher.idle();
    expect(calls).toBe(1);
    expect(recorder.stats()[0]?.results).toMatchObject({ would_block: 1 });
    // Without production's verdicts the thread asks the webhook itself.
    dispatcher.after(call, decision);
    await dispatcher.idle();
    expect(calls).toBe(2);
    expect(recorder.stats()[0]?.results).toMatchObject({ would_block: 2 });
    expect(errors).toEqual([]);
    await dispatcher.close();
  });
});
