import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RailyardProcess, startRailyard } from '../support/railyard-process.ts';
import { KW_GUARDRAIL, PII_GUARDRAIL, writeTree } from '../support/trees.ts';

const TREE = `${KW_GUARDRAIL}---${PII_GUARDRAIL}---
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: tox}
spec: {type: keywords, mode: pre_call, config: {words: [idiot]}}
---
apiVersion: railyard.dev/v1alpha1
kind: Policy
metadata: {name: declared-base}
spec: {guardrails: {add: [kw, tox]}}
---
apiVersion: railyard.dev/v1alpha1
kind: PolicyAttachment
metadata: {name: declared-all}
spec: {policy: declared-base, scope: "*"}
`;

type Policy = {
  policy_id: string;
  policy_name: string;
  version_number: number;
  version_status: string;
  parent_version_id: string | null;
  is_latest: boolean;
  guardrails_add: string[];
  description: string | null;
  created_by: string | null;
  updated_by: string | null;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  production_at: string | null;
  policy_definition_location: string;
};

async function tree(): Promise<string> {
  const dir = await writeTree({ 'tree.yaml': TREE }, 'railyard-http-');
  return dir;
}

let dir: string;
let data: string;
let r: RailyardProcess;
beforeAll(async () => {
  dir = await tree();
  data = await mkdtemp(join(tmpdir(), 'railyard-data-'));
  r = await startRailyard({ args: ['--dir', dir], data });
});
afterAll(async () => {
  await r?.stop();
});

type Body = { detail?: string; [field: string]: unknown };

/** Sends a request and returns status and parsed body (null when empty). */
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

const resolveFor = async (team: string): Promise<string[]> =>
  (await ok<{ effective_guardrails: string[] }>('GET', `/v1/resolve?team_alias=${team}`))
    .effective_guardrails;

describe('policy lifecycle through the HTTP API', () => {
  test('create → new version → edit draft → publish → promote → demote → compare → delete one → delete all', async () => {
    const v1 = await ok<Policy>('POST', '/policies', {
      policy_name: 'life',
      description: 'first',
      guardrails_add: ['kw'],
    });
    expect(v1).toMatchObject({
      policy_name: 'life',
      version_number: 1,
      version_status: 'production',
      parent_version_id: null,
      is_latest: true,
      published_at: null,
      policy_definition_location: 'db',
      created_by: expect.stringMatching(/^admin-/),
      updated_by: expect.stringMatching(/^admin-/),
    });
    expect(v1.production_at).toBe(v1.created_at);

    const v2 = await ok<Policy>('POST', '/policies/name/life/versions', {});
    expect(v2).toMatchObject({
      version_number: 2,
      version_status: 'draft',
      parent_version_id: v1.policy_id,
      is_latest: true,
    });
    expect(v2.guardrails_add).toEqual(['kw']);

    const edited = await ok<Policy>('PUT', `/policies/${v2.policy_id}`, {
      description: 'second',
      guardrails_add: ['kw', 'pii'],
    });
    expect(edited).toMatchObject({ policy_id: v2.policy_id, version_number: 2, description: 'second' });
    expect(edited.guardrails_add).toEqual(['kw', 'pii']);

    const versions = await ok<{ versions: Policy[]; total_count: number }>(
      'GET',
      '/policies/name/life/versions',
    );
    expect(versions.versions.map((v) => [v.version_number, v.is_latest])).toEqual([
      [2, true],
      [1, false],
    ]);

    const published = await ok<Policy>('PUT', `/policies/${v2.policy_id}/status`, {
      version_status: 'published',
    });
    expect(published.version_status).toBe('published');
    expect(published.published_at).not.toBeNull();

    const promoted = await ok<Policy>('PUT', `/policies/${v2.policy_id}/status`, {
      version_status: 'production',
    });
    expect(promoted.version_status).toBe('production');
    expect((await ok<Policy>('GET', `/policies/${v1.policy_id}`)).version_status).toBe('published');
    expect(
      (await ok<{ policies: Policy[] }>('GET', '/policies/list?version_status=production')).policies
        .filter((p) => p.policy_name === 'life')
        .map((p) => p.version_number),
    ).toEqual([2]);

    // An attachment makes the policy visible to /v1/resolve; demotion makes it inactive.
    await ok('POST', '/policies/attachments', { policy_name: 'life', teams: ['life-team'] });
    expect(await resolveFor('life-team')).toEqual(['kw', 'pii', 'tox']);
    const demoted = await ok<Policy & { warning?: string }>('PUT', `/policies/${v2.policy_id}/status`, {
      version_status: 'published',
    });
    expect(demoted.version_status).toBe('published');
    expect(demoted.warning).toContain('inactive');
    expect(await resolveFor('life-team')).toEqual(['kw', 'tox']);
    await ok('PUT', `/policies/${v2.policy_id}/status`, { version_status: 'production' });

    const compared = await ok<{ version_a: Policy; version_b: Policy; field_diffs: Record<string, unknown> }>(
      'GET',
      `/policies/compare?version_a=${v1.policy_id}&version_b=${v2.policy_id}`,
    );
    expect(compared.version_a.policy_id).toBe(v1.policy_id);
    expect(compared.field_diffs).toEqual({
      description: { version_a: 'first', version_b: 'second' },
      guardrails_add: { version_a: ['kw'], version_b: ['kw', 'pii'] },
    });

    const resolved = await ok('GET', `/policies/${v2.policy_id}/resolved-guardrails`);
    expect(resolved).toEqual({
      policy_id: v2.policy_id,
      policy_name: 'life',
      resolved_guardrails: ['kw', 'pii'],
    });

    expect(await ok('DELETE', `/policies/${v1.policy_id}`)).toEqual({
      message: `Policy ${v1.policy_id} deleted successfully`,
    });
    const deletedProduction = await ok<{ message: string; warning: string }>(
      'DELETE',
      `/policies/${v2.policy_id}`,
    );
    expect(deletedProduction.warning).toBe(
      'Production version was deleted. No other version was promoted. Promote another version to production if this policy should remain active.',
    );

    await ok('POST', '/policies/name/life/versions', {}).catch(() => undefined);
    expect(await ok('DELETE', '/policies/name/life/all-versions')).toEqual({
      message: "All versions of policy 'life' deleted successfully",
    });
    expect((await ok<{ total_count: number }>('GET', '/policies/name/life/versions')).total_count).toBe(0);
  });

  test('inheritance resolves through the chain, including a declared parent', async () => {
    const child = await ok<Policy>('POST', '/policies', {
      policy_name: 'child',
      inherit: 'declared-base',
      guardrails_add: ['pii'],
      guardrails_remove: ['tox'],
    });
    const resolved = await ok<{ resolved_guardrails: string[] }>(
      'GET',
      `/policies/${child.policy_id}/resolved-guardrails`,
    );
    expect(resolved.resolved_guardrails).toEqual(['kw', 'pii']);
  });

  test('lists API versions newest first, then declared ones as "config"', async () => {
    const list = await ok<{ policies: Policy[]; total_count: number }>('GET', '/policies/list');
    expect(list.total_count).toBe(list.policies.length);
    const locations = list.policies.map((p) => p.policy_definition_location);
    expect(locations.at(-1)).toBe('config');
    expect(locations.indexOf('config')).toBe(locations.lastIndexOf('db') + 1);
    const declared = await ok<Policy>('GET', '/policies/declared-base');
    expect(declared).toMatchObject({ policy_name: 'declared-base', policy_definition_location: 'config' });
    expect(
      (await ok<{ policies: Policy[] }>('GET', '/policies/list?version_status=draft')).policies.every(
        (p) => p.version_status === 'draft',
      ),
    ).toBe(true);
  });
});

describe('documented errors (as LiteLLM documents them)', () => {
  let prod: Policy;
  let draft: Policy;
  beforeAll(async () => {
    prod = await ok<Policy>('POST', '/policies', { policy_name: 'errs', guardrails_add: ['kw'] });
    draft = await ok<Policy>('POST', '/policies/name/errs/versions', {});
  });

  const cases: {
    note: string;
    req: () => [string, string, unknown?];
    status: number;
    detail: string | RegExp;
  }[] = [
    {
      note: 'duplicate name',
      req: () => ['POST', '/policies', { policy_name: 'errs' }],
      status: 400,
      detail: "Policy with name 'errs' already exists",
    },
    {
      note: 'a declared name cannot be created through the API',
      req: () => ['POST', '/policies', { policy_name: 'declared-base' }],
      status: 400,
      detail: /^Policy 'declared-base' is defined in tree\.yaml:\d+ and can only be changed there$/,
    },
    {
      note: 'unknown parent is rejected like in a file',
      req: () => ['POST', '/policies', { policy_name: 'orphan', inherit: 'nobody' }],
      status: 400,
      detail: /spec\.inherit: parent policy "nobody" not found/,
    },
    {
      note: 'unknown guardrail is rejected when a catalog exists',
      req: () => ['POST', '/policies', { policy_name: 'unknown-g', guardrails_add: ['nope'] }],
      status: 400,
      detail: /Guardrail 'nope' not found in guardrail registry/,
    },
    {
      note: 'invalid regex in a condition',
      req: () => ['POST', '/policies', { policy_name: 'bad-re', condition: { model: 'gpt-(' } }],
      status: 400,
      detail: /spec\.condition\.model: invalid regular expression/,
    },
    {
      note: 'a step guardrail must be in guardrails_add',
      req: () => [
        'POST',
        '/policies',
        {
          policy_name: 'bad-step',
          guardrails_add: ['kw'],
          pipeline: { mode: 'pre_call', steps: [{ guardrail: 'pii' }] },
        },
      ],
      status: 400,
      detail: /spec\.pipeline\.steps\[0\]\.guardrail/,
    },
    {
      note: 'a malformed pipeline names the field',
      req: () => [
        'POST',
        '/policies',
        { policy_name: 'bad-pipe', pipeline: { mode: 'sideways', steps: [] } },
      ],
      status: 400,
      detail:
        /^Invalid pipeline: pipeline\.mode: Invalid mode 'sideways'\. Must be one of: \['post_call', 'pre_call'\]; pipeline\.steps/,
    },
    {
      note: 'a cycle through an edit is rejected',
      req: () => ['PUT', `/policies/${draft.policy_id}`, { inherit: 'errs' }],
      status: 400,
      detail: /Circular inheritance detected/,
    },
    {
      note: 'new version of an unknown name',
      req: () => ['POST', '/policies/name/ghost/versions', {}],
      status: 404,
      detail: "No production version found for policy 'ghost'",
    },
    {
      note: 'new version from an unknown source',
      req: () => ['POST', '/policies/name/errs/versions', { source_policy_id: 'nope' }],
      status: 404,
      detail: 'Source policy nope not found',
    },
    {
      note: 'get unknown id',
      req: () => ['GET', '/policies/nope'],
      status: 404,
      detail: 'Policy with ID nope not found',
    },
    {
      note: 'edit a production version',
      req: () => ['PUT', `/policies/${prod.policy_id}`, { description: 'x' }],
      status: 400,
      detail:
        'Only draft versions can be updated. Publish or create a new version to change published/production.',
    },
    {
      note: 'edit unknown id',
      req: () => ['PUT', '/policies/nope', { description: 'x' }],
      status: 404,
      detail: 'Policy with ID nope not found',
    },
    {
      note: 'draft straight to production',
      req: () => ['PUT', `/policies/${draft.policy_id}/status`, { version_status: 'production' }],
      status: 400,
      detail: 'Cannot promote draft directly to production. Publish the version first.',
    },
    {
      note: 'invalid status',
      req: () => ['PUT', `/policies/${draft.policy_id}/status`, { version_status: 'draft' }],
      status: 400,
      detail: "Invalid status 'draft'. Use 'published' or 'production'.",
    },
    {
      note: 'production to production',
      req: () => ['PUT', `/policies/${prod.policy_id}/status`, { version_status: 'production' }],
      status: 400,
      detail: "Only draft or published versions can be promoted to production. Current: 'production'.",
    },
    {
      note: 'status of unknown id',
      req: () => ['PUT', '/policies/nope/status', { version_status: 'published' }],
      status: 404,
      detail: 'Policy with ID nope not found',
    },
    {
      note: 'compare with an unknown id',
      req: () => ['GET', `/policies/compare?version_a=${prod.policy_id}&version_b=nope`],
      status: 404,
      detail: 'Policy nope not found',
    },
    {
      note: 'compare without version_b',
      req: () => ['GET', `/policies/compare?version_a=${prod.policy_id}`],
      status: 422,
      detail: /version_b/,
    },
    {
      note: 'delete unknown id',
      req: () => ['DELETE', '/policies/nope'],
      status: 404,
      detail: 'Policy with ID nope not found',
    },
    {
      note: 'resolved guardrails of unknown id',
      req: () => ['GET', '/policies/nope/resolved-guardrails'],
      status: 404,
      detail: 'Policy with ID nope not found',
    },
    {
      note: 'a declared policy cannot be edited',
      req: () => ['PUT', '/policies/declared-base', { description: 'x' }],
      status: 400,
      detail: /^Policy 'declared-base' is defined in tree\.yaml:\d+ and can only be changed there$/,
    },
    {
      note: 'a declared policy cannot be deleted',
      req: () => ['DELETE', '/policies/declared-base'],
      status: 400,
      detail: /can only be changed there$/,
    },
    {
      note: 'a declared policy cannot get versions',
      req: () => ['POST', '/policies/name/declared-base/versions', {}],
      status: 400,
      detail: /can only be changed there$/,
    },
    {
      note: 'a declared policy cannot be deleted whole',
      req: () => ['DELETE', '/policies/name/declared-base/all-versions'],
      status: 400,
      detail: /can only be changed there$/,
    },
    {
      note: 'a known body field of the wrong type is named (422); unknown ones are ignored',
      req: () => ['POST', '/policies', { policy_name: 'x', statements: [], guardrails_add: 'kw' }],
      status: 422,
      detail: 'body.guardrails_add: must be array',
    },
    {
      note: 'a missing policy_name is named (422)',
      req: () => ['POST', '/policies', { description: 'x' }],
      status: 422,
      detail: /policy_name/,
    },
    {
      note: 'a draft cannot be renamed',
      req: () => ['PUT', `/policies/${draft.policy_id}`, { policy_name: 'other' }],
      status: 400,
      detail: /cannot be renamed/,
    },
    {
      note: 'an invalid list filter',
      req: () => ['GET', '/policies/list?version_status=live'],
      status: 422,
      detail: /version_status/,
    },
  ];
  for (const c of cases) {
    test(c.note, async () => {
      const [method, path, body] = c.req();
      const res = await call(method, path, body);
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      if (typeof c.detail === 'string') expect(res.body.detail).toBe(c.detail);
      else expect(res.body.detail).toMatch(c.detail);
    });
  }

  test('a failed write changes nothing', async () => {
    const before = await ok<{ total_count: number }>('GET', '/policies/name/errs/versions');
    await call('PUT', `/policies/${draft.policy_id}`, { inherit: 'errs' });
    const after = await ok<{ versions: Policy[]; total_count: number }>(
      'GET',
      '/policies/name/errs/versions',
    );
    expect(after.total_count).toBe(before.total_count);
    expect(after.versions[0]?.policy_id).toBe(draft.policy_id);
  });
});

describe('route order', () => {
  // Each named route would be taken by /policies/{policy_id} (a 404 naming the segment as an id)
  // were it registered after it.
  const cases: { note: string; method: string; path: string; body?: unknown }[] = [
    { note: 'list', method: 'GET', path: '/policies/list' },
    { note: 'compare', method: 'GET', path: '/policies/compare?version_a=a&version_b=b' },
    { note: 'attachments list', method: 'GET', path: '/policies/attachments/list' },
    { note: 'one attachment', method: 'GET', path: '/policies/attachments/declared-all' },
    { note: 'versions by name', method: 'GET', path: '/policies/name/declared-base/versions' },
    {
      note: 'test-pipeline',
      method: 'POST',
      path: '/policies/test-pipeline',
      body: { pipeline: { mode: 'pre_call', steps: [{ guardrail: 'kw' }] }, test_messages: [] },
    },
    { note: 'resolve', method: 'POST', path: '/policies/resolve', body: {} },
  ];
  for (const c of cases) {
    test(`${c.method} ${c.note} is reached`, async () => {
      const res = await call(c.method, c.path, c.body);
      expect(String(res.body?.detail ?? '')).not.toMatch(/^Policy with ID /);
      expect(res.status === 200 || c.note === 'compare').toBe(true);
      if (c.note === 'compare') expect(res.body.detail).toBe('Policy a not found');
    });
  }
});

describe('persistence', () => {
  test('API-created policies survive a restart on the same data folder', async () => {
    const created = await ok<Policy>('POST', '/policies', { policy_name: 'durable', guardrails_add: ['kw'] });
    const draft = await ok<Policy>('POST', '/policies/name/durable/versions', {});
    await r.stop();
    r = await startRailyard({ args: ['--dir', dir], data });
    const versions = await ok<{ versions: Policy[] }>('GET', '/policies/name/durable/versions');
    expect(versions.versions.map((v) => [v.policy_id, v.version_number, v.version_status])).toEqual([
      [draft.policy_id, 2, 'draft'],
      [created.policy_id, 1, 'production'],
    ]);
  });
});
