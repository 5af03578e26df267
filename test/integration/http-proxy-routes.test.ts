import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPolicy, type GuardrailSpec } from '../../src/engine/index.ts';
import { buildSnapshot, runTestPipeline } from '../../src/registry/index.ts';
import { eventually, type RailyardProcess, startRailyard } from '../support/railyard-process.ts';
import { KW_GUARDRAIL, PII_GUARDRAIL } from '../support/trees.ts';

const GUARDRAILS = `${KW_GUARDRAIL}---${PII_GUARDRAIL}---
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: outbound}
spec: {type: keywords, mode: post_call, config: {words: [confidential]}}
`;

const POLICIES = `
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: base}
spec: {guardrails: {add: [kw]}}
---
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: gpt}
spec:
  inherit: base
  guardrails: {add: [pii]}
  condition: {model: "gpt-4.*"}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: all}
spec: {policy: base, scope: "*"}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: eng-gpt}
spec: {policy: gpt, teams: [eng], priority: 5}
`;

type Body = { detail?: string; [field: string]: unknown };

let dir: string;
let r: RailyardProcess;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'railyard-proxy-'));
  await writeFile(join(dir, 'guardrails.yaml'), GUARDRAILS);
  await writeFile(join(dir, 'policies.yaml'), POLICIES);
  r = await startRailyard({ args: ['--dir', dir, '--body-limit', '4096'] });
});
afterAll(async () => {
  await r?.stop();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: Body }> {
  const res = await r.fetch(path, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Body };
}

describe('/v1/resolve and /v1/snapshot', () => {
  test('ETag and If-None-Match give 304 until the answer changes', async () => {
    const first = await r.fetch('/v1/resolve?team_alias=eng&model=gpt-4o');
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(((await first.json()) as { effective_guardrails: string[] }).effective_guardrails).toEqual([
      'kw',
      'pii',
    ]);
    const again = await r.fetch('/v1/resolve?team_alias=eng&model=gpt-4o', {
      headers: { 'if-none-match': String(etag) },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const other = await r.fetch('/v1/resolve?team_alias=ops', { headers: { 'if-none-match': String(etag) } });
    expect(other.status).toBe(200);
  });

  test('a long-poll returns soon after a file changes, and 304 at its deadline', async () => {
    const { revision } = await r.json<{ revision: number }>('/v1/snapshot');
    const idle = Date.now();
    const timedOut = await r.fetch(`/v1/snapshot?revision=${revision}&wait=1s`);
    expect(timedOut.status).toBe(304);
    expect(Date.now() - idle).toBeGreaterThanOrEqual(900);

    const started = Date.now();
    const waiting = r.fetch(`/v1/snapshot?revision=${revision}&wait=5s`);
    await new Promise((ok) => setTimeout(ok, 100));
    const changedAt = Date.now();
    await writeFile(join(dir, 'policies.yaml'), POLICIES.replace('add: [kw]}', 'add: [kw, pii]}'));
    const res = await waiting;
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      revision: number;
      policies: { policy_name: string; guardrails_add: string[] }[];
    };
    // The revision is a digest of what is served: a change gives another one (compare for equality).
    expect(body.revision).not.toBe(revision);
    expect(Date.now() - changedAt).toBeLessThan(1000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(body.policies.find((p) => p.policy_name === 'base')?.guardrails_add).toEqual(['kw', 'pii']);
    await writeFile(join(dir, 'policies.yaml'), POLICIES);
    await eventually(async () => {
      const now = await r.json<{ effective_guardrails: string[] }>('/v1/resolve?team_alias=ops');
      return now.effective_guardrails.length === 1 ? true : undefined;
    });
  });

  test('a wait that is not a duration is a 400', async () => {
    const { revision } = await r.json<{ revision: number }>('/v1/snapshot');
    const res = await r.fetch(`/v1/snapshot?revision=${revision}&wait=soon`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Body).detail).toMatch(/not a duration/);
  });
});

describe('POST /v1/explain', () => {
  test('says which attachments matched and why, with each chain level', async () => {
    const { body } = await post('/v1/explain', { team_alias: 'eng', model: 'claude-3' });
    expect(body.effective_guardrails).toEqual(['kw']);
    const attachments = body.attachments as {
      attachment_id: string;
      verdict: string;
      reason: string | null;
    }[];
    expect(attachments.map((a) => [a.attachment_id, a.verdict])).toEqual([
      ['eng-gpt', 'condition_failed'],
      ['all', 'matched'],
    ]);
    expect(attachments[0]?.reason).toBe('condition: model "claude-3" does not match ["gpt-4.*"]');
    const policies = body.policies as {
      policy_name: string;
      condition_passed: boolean;
      inheritance_chain: {
        policy_name: string;
        version_number: number;
        digest: string;
        guardrails_add: string[];
        condition: unknown;
        condition_passed: boolean;
      }[];
    }[];
    const gpt = policies.find((p) => p.policy_name === 'gpt');
    expect(gpt?.condition_passed).toBe(false);
    expect(
      gpt?.inheritance_chain.map((l) => [l.policy_name, l.guardrails_add, l.condition, l.condition_passed]),
    ).toEqual([
      ['base', ['kw'], null, true],
      ['gpt', ['pii'], { model: 'gpt-4.*' }, false],
    ]);
    expect(gpt?.inheritance_chain[0]?.version_number).toBe(1);
    expect(gpt?.inheritance_chain[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('a scope mismatch is explained', async () => {
    const { body } = await post('/v1/explain', { team_alias: 'ops', model: 'gpt-4' });
    expect(body.effective_guardrails).toEqual(['kw']);
    expect(body.matched_policies).toEqual([
      { policy_name: 'base', matched_via: 'scope:*', guardrails_added: ['kw'] },
    ]);
  });

  test('an unknown namespace is a 404', async () => {
    const res = await post('/v1/explain', { namespace: 'elsewhere' });
    expect(res.status).toBe(404);
    expect(res.body.detail).toMatch(/namespace "elsewhere" is not served/);
  });
});

describe('context values over the limits', () => {
  const long = 'x'.repeat(257);
  const atLimit = 'x'.repeat(256);
  const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
  const cases: { note: string; get?: string; post?: [path: string, body: unknown]; detail: string }[] = [
    {
      note: 'a team alias in the query',
      get: `/v1/resolve?team_alias=${long}`,
      detail: 'query.team_alias: must be at most 256 characters',
    },
    {
      note: 'a model in the query',
      get: `/v1/resolve?model=${long}`,
      detail: 'query.model: must be at most 256 characters',
    },
    {
      note: 'a tag in the query',
      get: `/v1/resolve?tags=a,${long}`,
      detail: 'query.tags: each tag must be at most 256 characters',
    },
    {
      note: 'too many tags in the query',
      get: `/v1/resolve?tags=${tags(65).join(',')}`,
      detail: 'query.tags: must have at most 64 items',
    },
    {
      note: 'a key alias in a resolve body',
      post: ['/policies/resolve', { key_alias: long }],
      detail: 'body.key_alias: must be at most 256 characters',
    },
    {
      note: 'a tag in a resolve body',
      post: ['/policies/resolve', { tags: ['a', long] }],
      detail: 'body.tags.1: must be at most 256 characters',
    },
    {
      note: 'a team alias in an explain body',
      post: ['/v1/explain', { team_alias: long }],
      detail: 'body.team_alias: must be at most 256 characters',
    },
    {
      note: 'too many tags in an explain body',
      post: ['/v1/explain', { tags: tags(65) }],
      detail: 'body.tags: must have at most 64 items',
    },
  ];
  for (const c of cases) {
    test(`${c.note} is a 422 naming the field and the limit`, async () => {
      const res = c.get
        ? await r.fetch(c.get)
        : await r.fetch(c.post?.[0] ?? '', {
            method: 'POST',
            body: JSON.stringify(c.post?.[1]),
          });
      expect(res.status).toBe(422);
      expect(((await res.json()) as Body).detail).toBe(c.detail);
    });
  }

  test('values at the limits are answered', async () => {
    expect((await r.fetch(`/v1/resolve?team_alias=${atLimit}&tags=${tags(64).join(',')}`)).status).toBe(200);
    for (const path of ['/policies/resolve', '/v1/explain'])
      expect((await post(path, { team_alias: atLimit, tags: tags(64) })).status).toBe(200);
  });
});

describe('POST /policies/test-pipeline', () => {
  const run = (pipeline: unknown, content: string) =>
    post('/policies/test-pipeline', { pipeline, test_messages: [{ role: 'user', content }] });

  test('a failing step blocks, with the reference result shape', async () => {
    const { status, body } = await run(
      { mode: 'pre_call', steps: [{ guardrail: 'kw' }] },
      'tell me the secret',
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      terminal_action: 'block',
      modified_data: null,
      modify_response_message: null,
      step_results: [{ guardrail_name: 'kw', outcome: 'fail', action_taken: 'block' }],
    });
    expect(body.error_message).toMatch(/keyword/i);
    const [step] = body.step_results as { duration_seconds: number }[];
    expect(typeof step?.duration_seconds).toBe('number');
  });

  test('pass_data carries a masked message to the next step and to the result', async () => {
    const { body } = await run(
      {
        mode: 'pre_call',
        steps: [
          { guardrail: 'pii', on_pass: 'next', on_fail: 'next', pass_data: true },
          { guardrail: 'kw', on_pass: 'allow' },
        ],
      },
      'mail me at jane@example.com',
    );
    expect(body.terminal_action).toBe('allow');
    const modified = body.modified_data as { messages: { content: string }[] };
    expect(modified.messages[0]?.content).not.toContain('jane@example.com');
  });

  test('modify_response answers with the step message', async () => {
    const { body } = await run(
      {
        mode: 'pre_call',
        steps: [{ guardrail: 'kw', on_fail: 'modify_response', modify_response_message: 'No.' }],
      },
      'secret',
    );
    expect(body).toMatchObject({ terminal_action: 'modify_response', modify_response_message: 'No.' });
  });

  test('a post_call pipeline checks the messages as the response', async () => {
    const { body } = await run(
      { mode: 'post_call', steps: [{ guardrail: 'outbound' }] },
      'this is confidential',
    );
    expect(body.terminal_action).toBe('block');
  });

  test('an unknown guardrail is an error step', async () => {
    const { body } = await run({ mode: 'pre_call', steps: [{ guardrail: 'ghost', on_error: 'allow' }] }, 'x');
    expect(body).toMatchObject({
      terminal_action: 'allow',
      step_results: [
        { outcome: 'error', action_taken: 'allow', error_detail: "Guardrail 'ghost' not found" },
      ],
    });
  });

  test('an invalid pipeline is a 400 naming the field', async () => {
    const res = await run({ mode: 'pre_call', steps: [{ guardrail: 'kw', on_fail: 'explode' }] }, 'x');
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe(
      "Invalid pipeline: pipeline.steps[0].on_fail: Invalid action 'explode'. Must be one of: ['allow', 'block', 'modify_response', 'next']",
    );
  });
});

describe('runTestPipeline (the code path the CLI shares)', () => {
  let slow: Server;
  let url: string;
  beforeAll(async () => {
    slow = createServer(() => undefined); // never answers
    await new Promise<void>((ok) => slow.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/check`;
  });
  afterAll(async () => {
    slow.closeAllConnections();
    await new Promise((ok) => slow.close(ok));
  });

  const view = () => {
    const spec: GuardrailSpec = {
      type: 'webhook',
      mode: 'pre_call',
      failurePolicy: 'closed',
      config: { url, timeoutMs: 10_000 },
    };
    const env = { now: '2026-01-01T00:00:00.000Z', newId: () => 'id-1', actor: null };
    const withPipeline = createPolicy(
      undefined,
      'default',
      'p',
      {
        guardrails: { add: ['slow'], remove: [] },
        pipeline: {
          mode: 'pre_call',
          steps: [{ guardrail: 'slow', onPass: 'allow', onFail: 'block', passData: false }],
        },
      },
      env,
    );
    const without = createPolicy(undefined, 'default', 'plain', { guardrails: { add: [], remove: [] } }, env);
    if (!withPipeline.ok || !without.ok) throw new Error('fixture');
    const snapshot = buildSnapshot(1, {
      histories: [withPipeline.history, without.history],
      attachments: [],
      guardrails: [{ namespace: 'default', name: 'slow', spec }],
      statuses: [],
    });
    return snapshot.namespaces.get('default');
  };

  test("a policy's pipeline runs under the pipeline-wide deadline", async () => {
    const started = Date.now();
    const result = await runTestPipeline(view(), { policy: 'p' }, [{ role: 'user', content: 'hi' }], {
      deadlineMs: 200,
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({
      ok: true,
      value: {
        terminalAction: 'block',
        stepResults: [
          { guardrailName: 'slow', outcome: 'error', errorDetail: 'Pipeline deadline of 200 ms exceeded' },
        ],
      },
    });
  });

  const errors = [
    { note: 'unknown policy', policy: 'ghost', code: 'not_found', message: "Policy 'ghost' not found" },
    { note: 'policy without a pipeline', policy: 'plain', code: 'bad_request', message: /has no pipeline/ },
  ];
  for (const c of errors) {
    test(c.note, async () => {
      const result = await runTestPipeline(view(), { policy: c.policy }, []);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe(c.code);
      expect(result.error.message).toMatch(c.message);
    });
  }
});

describe('client mistakes are never a 500', () => {
  test('a body over the limit is a 413', async () => {
    const res = await r.fetch('/policies', {
      method: 'POST',
      body: JSON.stringify({ policy_name: 'x'.repeat(10_000) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as Body).detail).toBe('Request body is larger than the limit of 4096 bytes');
  });

  test('malformed JSON is a 400 with the parse error', async () => {
    const res = await r.fetch('/policies', { method: 'POST', body: '{"policy_name": ' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Body).detail).toMatch(/^Malformed JSON body: .+/);
  });

  const odd: { note: string; method: string; path: string; body: string }[] = [
    { note: 'an array body', method: 'POST', path: '/policies', body: '[]' },
    { note: 'a string body', method: 'POST', path: '/policies', body: '"x"' },
    { note: 'null body', method: 'POST', path: '/policies/attachments', body: 'null' },
    {
      note: 'wrong types',
      method: 'POST',
      path: '/policies',
      body: '{"policy_name": 3, "guardrails_add": "kw"}',
    },
    {
      note: 'a pipeline that is a list',
      method: 'POST',
      path: '/policies',
      body: '{"policy_name": "p", "pipeline": []}',
    },
    {
      note: 'steps that are strings',
      method: 'POST',
      path: '/policies/test-pipeline',
      body: '{"pipeline": {"mode": "pre_call", "steps": ["kw"]}, "test_messages": []}',
    },
    {
      note: 'messages without content',
      method: 'POST',
      path: '/policies/test-pipeline',
      body: '{"pipeline": {"mode": "pre_call", "steps": [{"guardrail": "kw"}]}, "test_messages": [{"role": "user"}]}',
    },
    {
      note: 'a status that is not a string',
      method: 'PUT',
      path: '/policies/x/status',
      body: '{"version_status": 1}',
    },
    { note: 'a repeated namespace', method: 'GET', path: '/policies/list?namespace=a&namespace=b', body: '' },
    { note: 'an explain with a tag string', method: 'POST', path: '/v1/explain', body: '{"tags": "a"}' },
  ];
  for (const c of odd) {
    test(c.note, async () => {
      const res = await r.fetch(c.path, { method: c.method, ...(c.body ? { body: c.body } : {}) });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(((await res.json()) as Body).detail).toBeTruthy();
    });
  }
});
