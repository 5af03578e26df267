import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RailyardProcess, startRailyard } from '../support/railyard-process.ts';
import { KW_GUARDRAIL, PII_GUARDRAIL, writeTree } from '../support/trees.ts';

const TREE = `${KW_GUARDRAIL}---${PII_GUARDRAIL}---
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: declared-base}
spec: {guardrails: {add: [kw]}}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: declared-all}
spec: {policy: declared-base, scope: "*"}
`;

type Body = { detail?: string; [field: string]: unknown };
type Attachment = {
  attachment_id: string;
  policy_name: string;
  scope: string | null;
  teams: string[];
  keys: string[];
  models: string[];
  tags: string[];
  priority: number;
  created_by: string | null;
  policy_definition_location: string;
};
type Resolved = {
  effective_guardrails: string[];
  matched_policies: { policy_name: string; matched_via: string }[];
};

let r: RailyardProcess;
beforeAll(async () => {
  const dir = await writeTree({ 'tree.yaml': TREE }, 'railyard-att-');
  r = await startRailyard({ args: ['--dir', dir] });
  await ok('POST', '/policies', { policy_name: 'masking', guardrails_add: ['pii'] });
});
afterAll(async () => {
  await r?.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const res = await r.fetch(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Body) : {} };
}

async function ok<T = Body>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await call(method, path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as T;
}

const resolve = (query: string) => ok<Resolved>('GET', `/v1/resolve?${query}`);

describe('attachments through the HTTP API', () => {
  test('create, get, list, delete; a created attachment changes /v1/resolve at once', async () => {
    expect((await resolve('team_alias=support')).effective_guardrails).toEqual(['kw']);

    const created = await ok<Attachment>('POST', '/policies/attachments', {
      policy_name: 'masking',
      teams: ['support', 'ops-*'],
      priority: 10,
    });
    expect(created).toMatchObject({
      policy_name: 'masking',
      scope: null,
      teams: ['support', 'ops-*'],
      keys: [],
      models: [],
      tags: [],
      priority: 10,
      policy_definition_location: 'db',
    });
    expect(created.created_by).toMatch(/^admin-/);

    const matched = await resolve('team_alias=ops-east');
    expect(matched.effective_guardrails).toEqual(['kw', 'pii']);
    expect(matched.matched_policies.map((m) => [m.policy_name, m.matched_via])).toEqual([
      ['masking', 'team:ops-east'],
      ['declared-base', 'scope:*'],
    ]);
    expect((await resolve('team_alias=other')).effective_guardrails).toEqual(['kw']);

    expect(await ok('GET', `/policies/attachments/${created.attachment_id}`)).toEqual(created);
    const list = await ok<{ attachments: Attachment[]; total_count: number }>(
      'GET',
      '/policies/attachments/list',
    );
    expect(list.attachments.map((a) => [a.attachment_id, a.policy_definition_location])).toEqual([
      [created.attachment_id, 'db'],
      ['declared-all', 'config'],
    ]);
    expect(list.total_count).toBe(2);

    expect(await ok('DELETE', `/policies/attachments/${created.attachment_id}`)).toEqual({
      message: `Attachment ${created.attachment_id} deleted successfully`,
    });
    expect((await resolve('team_alias=ops-east')).effective_guardrails).toEqual(['kw']);
    expect((await call('GET', `/policies/attachments/${created.attachment_id}`)).status).toBe(404);
  });

  test('a declared policy can be attached through the API', async () => {
    const created = await ok<Attachment>('POST', '/policies/attachments', {
      policy_name: 'declared-base',
      tags: ['beta'],
    });
    expect(created.tags).toEqual(['beta']);
    await ok('DELETE', `/policies/attachments/${created.attachment_id}`);
  });

  test('a policy that lost its production version cannot be attached', async () => {
    const v1 = await ok<{ policy_id: string }>('POST', '/policies', {
      policy_name: 'fleeting',
      guardrails_add: ['kw'],
    });
    await ok('POST', '/policies/name/fleeting/versions', {});
    await ok('DELETE', `/policies/${v1.policy_id}`);
    const res = await call('POST', '/policies/attachments', { policy_name: 'fleeting', scope: '*' });
    expect(res.status).toBe(404);
    expect(res.body.detail).toBe("Policy 'fleeting' not found. Create the policy first.");
  });

  const errors: {
    note: string;
    method: string;
    path: string;
    body?: unknown;
    status: number;
    detail: string | RegExp;
  }[] = [
    {
      note: 'no selector',
      method: 'POST',
      path: '/policies/attachments',
      body: { policy_name: 'masking' },
      status: 422,
      detail: /at least one non-empty selector/,
    },
    {
      note: 'only empty selectors',
      method: 'POST',
      path: '/policies/attachments',
      body: { policy_name: 'masking', teams: [], keys: [''] },
      status: 422,
      detail: /at least one non-empty selector/,
    },
    {
      note: 'a scope other than "*"',
      method: 'POST',
      path: '/policies/attachments',
      body: { policy_name: 'masking', scope: 'team', teams: ['a'] },
      status: 422,
      detail: /scope, if set, must be "\*"/,
    },
    {
      note: 'the selector check comes before the policy check',
      method: 'POST',
      path: '/policies/attachments',
      body: { policy_name: 'ghost' },
      status: 422,
      detail: /at least one non-empty selector/,
    },
    {
      note: 'unknown policy',
      method: 'POST',
      path: '/policies/attachments',
      body: { policy_name: 'ghost', scope: '*' },
      status: 404,
      detail: "Policy 'ghost' not found. Create the policy first.",
    },
    {
      note: 'a known field of the wrong type (unknown ones are ignored, as LiteLLM does)',
      method: 'POST',
      path: '/policies/attachments',
      body: { policy_name: 'masking', scope: '*', teams: 'x', users: ['x'] },
      status: 422,
      detail: 'body.teams: must be array',
    },
    {
      note: 'get unknown',
      method: 'GET',
      path: '/policies/attachments/nope',
      status: 404,
      detail: 'Attachment with ID nope not found',
    },
    {
      note: 'delete unknown',
      method: 'DELETE',
      path: '/policies/attachments/nope',
      status: 404,
      detail: 'Attachment with ID nope not found',
    },
    {
      note: 'delete a declared attachment',
      method: 'DELETE',
      path: '/policies/attachments/declared-all',
      status: 400,
      detail: /^Attachment 'declared-all' is defined in tree\.yaml:\d+ and can only be removed there$/,
    },
  ];
  for (const c of errors) {
    test(c.note, async () => {
      const res = await call(c.method, c.path, c.body);
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      if (typeof c.detail === 'string') expect(res.body.detail).toBe(c.detail);
      else expect(res.body.detail).toMatch(c.detail);
    });
  }

  test('the declared attachment is still there after the refused delete', async () => {
    const got = await ok<Attachment>('GET', '/policies/attachments/declared-all');
    expect(got).toMatchObject({
      policy_name: 'declared-base',
      scope: '*',
      policy_definition_location: 'config',
    });
  });
});
