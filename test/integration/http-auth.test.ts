import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ADMIN_TOKEN,
  type RailyardProcess,
  READER_TOKEN,
  startRailyard,
} from '../support/railyard-process.ts';
import { KW_GUARDRAIL, writeTree } from '../support/trees.ts';

const TREE = `${KW_GUARDRAIL}---
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: base}
spec: {guardrails: {add: [kw]}}
`;

let r: RailyardProcess;
beforeAll(async () => {
  const dir = await writeTree({ 'tree.yaml': TREE }, 'railyard-auth-');
  r = await startRailyard({ args: ['--dir', dir] });
});
afterAll(async () => {
  await r?.stop();
});

type Req = { method: string; path: string; body?: unknown };

const send = (req: Req, token: string | null) =>
  r.fetch(req.path, {
    method: req.method,
    token,
    ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
  });

async function admin<T>(req: Req): Promise<T> {
  const res = await send(req, ADMIN_TOKEN);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
}

let seq = 0;
/** A fresh API policy with a draft, for the write routes that need one. */
async function policyWithDraft(): Promise<{ name: string; production: string; draft: string }> {
  const name = `auth-${++seq}`;
  const v1 = await admin<{ policy_id: string }>({
    method: 'POST',
    path: '/policies',
    body: { policy_name: name },
  });
  const v2 = await admin<{ policy_id: string }>({
    method: 'POST',
    path: `/policies/name/${name}/versions`,
    body: {},
  });
  return { name, production: v1.policy_id, draft: v2.policy_id };
}

const TEST_PIPELINE = { pipeline: { mode: 'pre_call', steps: [{ guardrail: 'kw' }] }, test_messages: [] };

/** Routes anyone may call. */
const OPEN: Req[] = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
];

/** Reads: a reader token is enough (fast path, Express GETs, and the reads that travel as POST). */
const READS: Req[] = [
  { method: 'GET', path: '/v1/resolve?team_alias=x' },
  { method: 'GET', path: '/v1/snapshot' },
  { method: 'GET', path: '/v1/status' },
  { method: 'GET', path: '/openapi.json' },
  { method: 'GET', path: '/policies/list' },
  { method: 'GET', path: '/policies/attachments/list' },
  { method: 'GET', path: '/policies/name/base/versions' },
  { method: 'GET', path: '/policies/base' },
  { method: 'GET', path: '/policies/base/resolved-guardrails' },
  { method: 'POST', path: '/policies/resolve', body: {} },
  { method: 'POST', path: '/policies/test-pipeline', body: TEST_PIPELINE },
  { method: 'POST', path: '/v1/explain', body: {} },
];

/** Writes: each builds what it needs, so the admin call can succeed. */
const WRITES: { note: string; make: () => Promise<Req> }[] = [
  {
    note: 'create policy',
    make: async () => ({ method: 'POST', path: '/policies', body: { policy_name: `new-${++seq}` } }),
  },
  {
    note: 'create version',
    make: async () => ({
      method: 'POST',
      path: `/policies/name/${(await policyWithDraft()).name}/versions`,
      body: {},
    }),
  },
  {
    note: 'edit draft',
    make: async () => ({
      method: 'PUT',
      path: `/policies/${(await policyWithDraft()).draft}`,
      body: { description: 'x' },
    }),
  },
  {
    note: 'publish',
    make: async () => ({
      method: 'PUT',
      path: `/policies/${(await policyWithDraft()).draft}/status`,
      body: { version_status: 'published' },
    }),
  },
  {
    note: 'delete version',
    make: async () => ({ method: 'DELETE', path: `/policies/${(await policyWithDraft()).draft}` }),
  },
  {
    note: 'delete all versions',
    make: async () => ({
      method: 'DELETE',
      path: `/policies/name/${(await policyWithDraft()).name}/all-versions`,
    }),
  },
  {
    note: 'create attachment',
    make: async () => ({
      method: 'POST',
      path: '/policies/attachments',
      body: { policy_name: 'base', teams: ['t'] },
    }),
  },
  {
    note: 'delete attachment',
    make: async () => {
      const a = await admin<{ attachment_id: string }>({
        method: 'POST',
        path: '/policies/attachments',
        body: { policy_name: 'base', keys: ['k'] },
      });
      return { method: 'DELETE', path: `/policies/attachments/${a.attachment_id}` };
    },
  },
];

describe('authentication and roles', () => {
  for (const req of OPEN) {
    test(`${req.method} ${req.path} needs no token`, async () => {
      expect((await send(req, null)).status).not.toBe(401);
    });
  }

  for (const req of READS) {
    test(`${req.method} ${req.path}: none 401, wrong 401, reader 200`, async () => {
      const none = await send(req, null);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await none.json()) as { detail: string }).detail).toMatch(/Missing credentials/);
      expect((await send(req, 'not-a-token')).status).toBe(401);
      const reader = await send(req, READER_TOKEN);
      expect(reader.status, await reader.clone().text()).toBe(200);
    });
  }

  for (const w of WRITES) {
    test(`${w.note}: none 401, wrong 401, reader 403, admin 200`, async () => {
      const req = await w.make();
      expect((await send(req, null)).status).toBe(401);
      expect((await send(req, 'not-a-token')).status).toBe(401);
      const reader = await send(req, READER_TOKEN);
      expect(reader.status).toBe(403);
      expect(((await reader.json()) as { detail: string }).detail).toMatch(/admin token/);
      const res = await send(req, ADMIN_TOKEN);
      expect(res.status, await res.clone().text()).toBe(200);
    });
  }

  test("LiteLLM's x-api-key header is accepted too", async () => {
    const res = await fetch(`${r.url}/policies/list`, { headers: { 'x-api-key': READER_TOKEN } });
    expect(res.status).toBe(200);
  });

  test('an unknown route needs a token before it is a 404', async () => {
    expect((await send({ method: 'GET', path: '/nowhere' }, null)).status).toBe(401);
    const res = await send({ method: 'GET', path: '/nowhere' }, READER_TOKEN);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toBe('No route for GET /nowhere');
  });
});
