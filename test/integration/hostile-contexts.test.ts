/**
 * Context values are caller input: bounded before anything is keyed by them. A reader token
 * sending 1 MB team aliases used to fill the answer cache until the heap limit (4.2 GB RSS);
 * LiteLLM calls with huge aliases, models, tags and call ids likewise.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { heapSnapshotOptions, retainedHeapBytes } from '../support/heap-snapshot.ts';
import { type RailyardProcess, READER_TOKEN, startRailyard } from '../support/railyard-process.ts';

const MB = 'x'.repeat(1024 * 1024);
const LITELLM = '/litellm/beta/litellm_basic_guardrail_api';

let r: RailyardProcess;
let snapshots: string;
beforeAll(async () => {
  const heap = await heapSnapshotOptions();
  snapshots = heap.dir;
  r = await startRailyard({
    args: ['--dir', 'examples', '--body-limit', String(8 * 1024 * 1024)],
    env: { NODE_OPTIONS: heap.nodeOptions },
  });
});
afterAll(async () => {
  await r?.stop();
});

const gauge = async (name: string): Promise<number> => {
  const text = await (await r.fetch('/metrics', { token: null })).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
};

const litellmCall = (over: Record<string, unknown>) =>
  r.fetch(LITELLM, {
    method: 'POST',
    token: null,
    headers: { 'content-type': 'application/json', 'x-api-key': READER_TOKEN },
    body: JSON.stringify({
      input_type: 'request',
      texts: ['Summarise the visit.'],
      request_data: {},
      ...over,
    }),
  });

describe('the memory attack', () => {
  test('1 MB context values are refused with the limit named, and the heap stays flat', async () => {
    const before = await retainedHeapBytes(r.child, snapshots);
    for (let i = 0; i < 120; i++) {
      const alias = `${i}${MB}`;
      const resolve = await r.fetch('/policies/resolve', {
        method: 'POST',
        token: READER_TOKEN,
        body: JSON.stringify({ team_alias: alias }),
      });
      expect(resolve.status).toBe(422);
      if (i === 0)
        expect(((await resolve.json()) as { detail: string }).detail).toMatch(/at most 256 characters/);
      else await resolve.arrayBuffer();
      const explain = await r.fetch('/v1/explain', {
        method: 'POST',
        token: READER_TOKEN,
        body: JSON.stringify({ tags: [alias] }),
      });
      expect(explain.status).toBe(422);
      await explain.arrayBuffer();
      const enforced = await litellmCall({
        litellm_call_id: alias,
        model: alias,
        request_data: { user_api_key_team_alias: alias, user_api_key_alias: alias },
      });
      expect(enforced.status).toBe(200);
      await enforced.arrayBuffer();
    }
    // About 600 MB of hostile values went in (120 calls of five 1 MB values); a heap that kept
    // them would hold that much. What stays is bounded by the caches' caps.
    expect(await gauge('railyard_answer_cache_bytes')).toBeLessThanOrEqual(32 * 1024 * 1024);
    const grown = (await retainedHeapBytes(r.child, snapshots)) - before;
    expect(grown).toBeLessThan(40 * 1024 * 1024);
  });

  test('the answer cache holds at most its cap of bytes, however many distinct contexts ask', async () => {
    for (let i = 0; i < 3000; i++) {
      const res = await r.fetch(`/v1/resolve?team_alias=${i}${'y'.repeat(250)}&tags=a,b,c`, {
        token: READER_TOKEN,
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const bytes = await gauge('railyard_answer_cache_bytes');
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(await gauge('railyard_answer_cache_entries')).toBeGreaterThan(0);
  });
});

describe('an enforced call with huge context values', () => {
  test('is decided on the values cut to 256 characters: a prefix-selected team still gets its guardrails', async () => {
    const res = await litellmCall({
      texts: ['Patient contact: jane.doe@example.com. Summarise the visit.'],
      request_data: { user_api_key_team_alias: `medical-${MB}` },
    });
    expect(res.status).toBe(200);
    // examples/ attach healthcare-compliance to teams "medical-*": its PII mask applies.
    expect(await res.json()).toMatchObject({ action: 'GUARDRAIL_INTERVENED' });
    const line = await r.waitForLog((l) => l.msg === 'decision' && JSON.stringify(l).includes('medical-x'));
    expect(JSON.stringify(line).length).toBeLessThan(8192);
  });

  test('more than 1024 distinct tags is not decided (the proxy applies its own failure setting)', async () => {
    const tags = Array.from({ length: 1100 }, (_, i) => `tag-${i}`);
    const res = await litellmCall({ additional_provider_specific_params: { tags } });
    const body = await res.json();
    expect(body, JSON.stringify(body).slice(0, 300)).toMatchObject({
      detail: expect.stringMatching(/1100 distinct tags, more than the 1024/),
    });
    expect(res.status).toBe(503);
  });
});
