import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv, type ValidateFunction } from 'ajv';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fastRoutes } from '../../src/http/fast-routes.ts';
import { registerPolicyRoutes } from '../../src/http/routes/index.ts';
import type { ServerDeps } from '../../src/http/server.ts';
import { OPERATIONS, openApiDocument } from '../../src/http/wire/index.ts';
import { type RailyardProcess, READER_TOKEN, startRailyard } from '../support/railyard-process.ts';
import { KW_GUARDRAIL, PII_GUARDRAIL, writeTree } from '../support/trees.ts';

/** Registration reads nothing from its deps; handlers would, but none runs here. */
const NO_DEPS = {} as ServerDeps;

type Layer = { route?: { path: string; methods: Record<string, boolean> } };

/** `METHOD /path` of every route Express and the fast path register, in OpenAPI path syntax. */
function registeredRoutes(): string[] {
  const api = express();
  registerPolicyRoutes(api, NO_DEPS);
  const stack = (api as unknown as { router: { stack: Layer[] } }).router.stack;
  const management = stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods)
          .filter((m) => m !== '_all')
          .map((m) => `${m.toUpperCase()} ${String(layer.route?.path).replace(/:(\w+)/g, '{$1}')}`)
      : [],
  );
  return [...management, ...fastRoutes(NO_DEPS).keys()].sort();
}

function documentedRoutes(doc: Record<string, unknown>): string[] {
  const paths = doc.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

const TREE = `${KW_GUARDRAIL}---${PII_GUARDRAIL}---
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
  pipeline: {mode: pre_call, steps: [{guardrail: pii, onFail: block}]}
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

let r: RailyardProcess;
beforeAll(async () => {
  r = await startRailyard({ args: ['--dir', await writeTree({ 'tree.yaml': TREE }, 'railyard-openapi-')] });
});
afterAll(async () => {
  await r?.stop();
});

describe('GET /openapi.json', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const served = await r.json('/openapi.json');
    expect(served).toEqual(openApiDocument());
    const result = await new Validator().validate(served);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test('describes every registered route, and nothing that is not', () => {
    expect(documentedRoutes(openApiDocument())).toEqual(registeredRoutes());
  });

  test('the validator does reject a broken document', async () => {
    const broken = { ...openApiDocument(), paths: { '/x': { get: { responses: 'nope' } } } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  test('uses bearer auth everywhere except health and metrics', () => {
    const doc = openApiDocument() as {
      security: unknown;
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    const open = Object.entries(doc.paths)
      .filter(([, ops]) => Object.values(ops).some((op) => op.security?.length === 0))
      .map(([path]) => path)
      .sort();
    expect(open).toEqual(['/healthz', '/livez', '/metrics', '/readyz']);
  });

  test('every schema reference resolves', () => {
    const doc = openApiDocument() as { components: { schemas: Record<string, unknown> } };
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(refs.length).toBeGreaterThan(OPERATIONS.length);
    for (const name of new Set(refs)) expect(doc.components.schemas[name], name).toBeDefined();
  });
});

// ───────────────────────────── bodies against the document ─────────────────────────────

/** Validators of the document's own schemas, found by JSON pointer into the served document. */
function documentValidators(doc: Record<string, unknown>) {
  const ajv = new Ajv({ strict: false, allowUnionTypes: true, allErrors: true });
  ajv.addSchema(doc, 'openapi.json', undefined, false);
  const compiled = new Map<string, ValidateFunction>();
  const at = (pointer: string): ValidateFunction => {
    let v = compiled.get(pointer);
    if (v === undefined) {
      v = ajv.compile({ $ref: `openapi.json#${pointer}` });
      compiled.set(pointer, v);
    }
    return v;
  };
  const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
  const op = (method: string, path: string) => `/paths/${pointer(path)}/${method.toLowerCase()}`;
  const operations = doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
  return {
    /** The documented body of `status`, or undefined when the operation does not document it. */
    response(method: string, path: string, status: number): ValidateFunction | undefined {
      const documented = operations[path]?.[method.toLowerCase()]?.responses[status];
      if (documented === undefined) return undefined;
      return at(`${op(method, path)}/responses/${status}/content/application~1json/schema`);
    },
    request(method: string, path: string): ValidateFunction {
      return at(`${op(method, path)}/requestBody/content/application~1json/schema`);
    },
  };
}

type Call = {
  readonly method: string;
  /** The documented path the call exercises. */
  readonly route: string;
  readonly path: string;
  readonly body?: unknown;
  readonly token?: string | null;
  readonly status: number;
};

const LONG = 'x'.repeat(257);

describe('bodies match the document', () => {
  const doc = openApiDocument();
  const validators = documentValidators(doc);
  const exercised = new Set<string>();

  async function check(c: Call): Promise<Record<string, unknown>> {
    const init = {
      method: c.method,
      ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
      ...(c.token === undefined ? {} : { token: c.token }),
    };
    const res = await r.fetch(c.path, init);
    const text = await res.text();
    expect(res.status, `${c.method} ${c.path}: ${text}`).toBe(c.status);
    exercised.add(`${c.method} ${c.route}`);
    if (c.route === '/metrics') return {};
    const validate = validators.response(c.method, c.route, c.status);
    expect(validate, `${c.method} ${c.route} documents no ${c.status}`).toBeDefined();
    const body = JSON.parse(text) as Record<string, unknown>;
    if (validate && !validate(body))
      expect.fail(`${c.method} ${c.path} → ${c.status}: ${JSON.stringify(validate.errors)} in ${text}`);
    if (c.body !== undefined && c.status === 200) {
      const request = validators.request(c.method, c.route);
      if (!request(c.body)) expect.fail(`the documented request rejects ${JSON.stringify(c.body)}`);
    }
    return body;
  }

  test('every operation answers with a body its document describes, errors included', async () => {
    const get = (route: string, path = route, status = 200) => check({ method: 'GET', route, path, status });
    await get('/healthz');
    await get('/livez');
    await get('/readyz');
    await get('/metrics');
    await get('/v1/resolve', '/v1/resolve?team_alias=eng&model=gpt-4o&tags=a,b');
    await get('/v1/resolve', '/v1/resolve?namespace=nope', 404);
    await get('/v1/resolve', `/v1/resolve?team_alias=${LONG}`, 422);
    const snapshot = await get('/v1/snapshot');
    await get('/v1/snapshot', `/v1/snapshot?revision=${snapshot.revision}&wait=soon`, 400);
    await get('/v1/status');
    await get('/openapi.json');
    await check({ method: 'GET', route: '/v1/status', path: '/v1/status', token: null, status: 401 });

    const post = (route: string, body: unknown, status = 200, path = route) =>
      check({ method: 'POST', route, path, body, status });
    await post('/v1/explain', { team_alias: 'eng', model: 'gpt-4o', tags: ['a'] });
    await post('/v1/explain', { team_alias: 'eng', namespace: 'nope' }, 404);
    await post('/v1/explain', { team_alias: LONG }, 422);
    await post('/policies/resolve', { team_alias: 'eng', model: 'gpt-4o' });
    await post('/policies/resolve', { tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, 422);

    await get('/policies/list');
    await get('/policies/list', '/policies/list?version_status=live', 422);
    const created = await post('/policies', { policy_name: 'api-p', guardrails_add: ['kw'] });
    await post('/policies', { policy_name: 'api-p' }, 400);
    await post('/policies', { policy_name: 'x', guardrails_add: 'kw' }, 422);
    await check({
      method: 'POST',
      route: '/policies',
      path: '/policies',
      body: { policy_name: 'y' },
      token: READER_TOKEN,
      status: 403,
    });
    const id = String(created.policy_id);
    await get('/policies/name/{policy_name}/versions', '/policies/name/api-p/versions');
    const draft = await post(
      '/policies/name/{policy_name}/versions',
      {},
      200,
      '/policies/name/api-p/versions',
    );
    const draftId = String(draft.policy_id);
    const put = (route: string, path: string, body: unknown, status = 200) =>
      check({ method: 'PUT', route, path, body, status });
    await put('/policies/{policy_id}', `/policies/${draftId}`, {
      description: 'edited',
      condition: { model: ['gpt-4o'] },
      pipeline: { mode: 'pre_call', steps: [{ guardrail: 'kw', on_fail: 'block', pass_data: null }] },
    });
    await put('/policies/{policy_id}', '/policies/nope', { description: 'x' }, 404);
    await get('/policies/compare', `/policies/compare?version_a=${id}&version_b=${draftId}`);
    await get('/policies/compare', `/policies/compare?version_a=${id}`, 422);
    await put('/policies/{policy_id}/status', `/policies/${draftId}/status`, { version_status: 'published' });
    await put(
      '/policies/{policy_id}/status',
      `/policies/${draftId}/status`,
      { version_status: 'draft' },
      400,
    );
    await post('/policies/{policy_id}/shadow', { sample_rate: 0.5 }, 200, `/policies/${draftId}/shadow`);
    await post('/policies/{policy_id}/shadow', { sample_rate: 1 }, 400, `/policies/${id}/shadow`);
    await post('/policies/{policy_id}/shadow', { sample_rate: 2 }, 422, `/policies/${draftId}/shadow`);
    await post('/policies/{policy_id}/shadow', { sample_rate: 1 }, 404, '/policies/nope/shadow');
    await get('/v1/shadow', '/v1/shadow?policy=api-p&limit=5');
    await get('/v1/shadow', '/v1/shadow?limit=9999', 422);
    await check({
      method: 'DELETE',
      route: '/policies/{policy_id}/shadow',
      path: `/policies/${draftId}/shadow`,
      status: 200,
    });
    await check({
      method: 'DELETE',
      route: '/policies/{policy_id}/shadow',
      path: `/policies/${draftId}/shadow`,
      status: 404,
    });
    await get('/policies/{policy_id}/resolved-guardrails', `/policies/${id}/resolved-guardrails`);
    await get('/policies/{policy_id}', `/policies/${id}`);
    await get('/policies/{policy_id}', '/policies/nope', 404);
    await post('/policies/test-pipeline', {
      pipeline: { mode: 'pre_call', steps: [{ guardrail: 'pii', on_fail: 'next' }, { guardrail: 'kw' }] },
      test_messages: [{ role: 'user', content: 'mail me at jo@example.com, a secret' }],
    });
    await post('/policies/test-pipeline', { pipeline: { mode: 'x', steps: [] }, test_messages: [] }, 400);

    await post('/policy/validate', {
      policies: { 'x.y': { inherit: 'base', guardrails: { add: ['kw', 'nope'] } }, bad: { guardrails: 5 } },
    });
    await post('/policy/validate', { policies: {}, extra: 1 }, 422);
    await get('/policy/info/{policy_name}', '/policy/info/gpt');
    await get('/policy/info/{policy_name}', '/policy/info/nope', 404);
    await get('/policy/templates');
    await get('/policies/usage/overview');
    await get('/policies/usage/overview', '/policies/usage/overview?start_date=yesterday', 400);
    await get(
      '/guardrails/usage/overview',
      '/guardrails/usage/overview?start_date=2026-01-01&end_date=2026-01-02',
    );
    await get('/guardrails/usage/logs', '/guardrails/usage/logs?policy_id=gpt&page_size=5');
    await get('/guardrails/usage/logs', '/guardrails/usage/logs?page_size=500', 422);
    await get('/v2/guardrails/list');
    await get('/guardrails/list');
    await post('/utils/test_policies_and_guardrails', {
      policy_names: ['gpt'],
      guardrail_names: ['kw'],
      inputs_list: [{ texts: ['mail jo@example.com'] }, { texts: ['hello'] }],
      request_data: {},
      input_type: 'request',
    });
    await post('/utils/test_policies_and_guardrails', { inputs_list: [], agent_id: 'gpt-4o' }, 400);
    await get('/policies/attachments/list');
    await post('/policies/attachments/estimate-impact', { policy_name: 'gpt', teams: ['eng', 'ops'] });
    await post('/policies/attachments/estimate-impact', { policy_name: 'gpt', teams: 'eng' }, 422);
    const attached = await post('/policies/attachments', { policy_name: 'api-p', teams: ['t'], priority: 2 });
    await post('/policies/attachments', { policy_name: 'ghost', scope: '*' }, 404);
    const attachment = `/policies/attachments/${attached.attachment_id}`;
    await get('/policies/attachments/{attachment_id}', attachment);
    const del = (route: string, path: string, status = 200) =>
      check({ method: 'DELETE', route, path, status });
    await del('/policies/attachments/{attachment_id}', attachment);
    await del('/policies/attachments/{attachment_id}', '/policies/attachments/all', 400);
    await del('/policies/{policy_id}', `/policies/${draftId}`);
    await del('/policies/name/{policy_name}/all-versions', '/policies/name/api-p/all-versions');
    await del('/policies/name/{policy_name}/all-versions', '/policies/name/base/all-versions', 400);

    expect([...exercised].sort()).toEqual(documentedRoutes(doc));
  });

  /** Bodies the server refuses (4xx); the documented request schema must refuse each too. */
  const refused: { note: string; method: string; route: string; path?: string; body: unknown }[] = [
    {
      note: 'a known field of the wrong type (unknown fields are ignored, as LiteLLM does)',
      method: 'POST',
      route: '/policies',
      body: { policy_name: 'x', guardrails_add: 'kw' },
    },
    { note: 'no policy_name', method: 'POST', route: '/policies', body: { description: 'x' } },
    { note: 'a slash in a name', method: 'POST', route: '/policies', body: { policy_name: 'a/b' } },
    {
      note: 'an unknown pipeline mode',
      method: 'POST',
      route: '/policies',
      body: {
        policy_name: 'x',
        guardrails_add: ['kw'],
        pipeline: { mode: 'x', steps: [{ guardrail: 'kw' }] },
      },
    },
    {
      note: 'a pipeline without steps',
      method: 'POST',
      route: '/policies',
      body: { policy_name: 'x', pipeline: { mode: 'pre_call', steps: [] } },
    },
    {
      note: 'an unknown step action',
      method: 'POST',
      route: '/policies',
      body: {
        policy_name: 'x',
        pipeline: { mode: 'pre_call', steps: [{ guardrail: 'kw', on_pass: 'maybe' }] },
      },
    },
    {
      note: 'a status that is no transition',
      method: 'PUT',
      route: '/policies/{policy_id}/status',
      path: '/policies/base/status',
      body: { version_status: 'draft' },
    },
    {
      note: 'an unknown version field',
      method: 'POST',
      route: '/policies/name/{policy_name}/versions',
      path: '/policies/name/base/versions',
      body: { source: 'a' },
    },
    { note: 'an over-long team', method: 'POST', route: '/policies/resolve', body: { team_alias: LONG } },
    { note: 'an over-long tag', method: 'POST', route: '/policies/resolve', body: { tags: ['a', LONG] } },
    {
      note: 'too many tags',
      method: 'POST',
      route: '/v1/explain',
      body: { tags: Array.from({ length: 65 }, (_, i) => `t${i}`) },
    },
    { note: 'tags as a string', method: 'POST', route: '/policies/resolve', body: { tags: 'a,b' } },
    { note: 'an unknown context field', method: 'POST', route: '/v1/explain', body: { user: 'x' } },
    {
      note: 'a scope other than "*"',
      method: 'POST',
      route: '/policies/attachments',
      body: { policy_name: 'base', scope: 'team', teams: ['a'] },
    },
    {
      note: 'a fractional priority',
      method: 'POST',
      route: '/policies/attachments',
      body: { policy_name: 'base', teams: ['a'], priority: 1.5 },
    },
    {
      note: 'an unknown step field',
      method: 'POST',
      route: '/policies/test-pipeline',
      body: { pipeline: { mode: 'pre_call', steps: [{ guardrail: 'kw', extra: 1 }] }, test_messages: [] },
    },
    {
      note: 'a message without content',
      method: 'POST',
      route: '/policies/test-pipeline',
      body: {
        pipeline: { mode: 'pre_call', steps: [{ guardrail: 'kw' }] },
        test_messages: [{ role: 'user' }],
      },
    },
  ];
  for (const c of refused) {
    test(`${c.method} ${c.route}, ${c.note}: the server and the document both refuse it`, async () => {
      const res = await r.fetch(c.path ?? c.route, { method: c.method, body: JSON.stringify(c.body) });
      const text = await res.text();
      expect([400, 422], text).toContain(res.status);
      expect(validators.request(c.method, c.route)(c.body), JSON.stringify(c.body)).toBe(false);
    });
  }

  test('the /v1/resolve query parameters document the context limits the server enforces', async () => {
    const params = (
      doc.paths as Record<string, { get: { parameters: { name: string; schema: { maxLength?: number } }[] } }>
    )['/v1/resolve']?.get.parameters;
    const limit = params?.find((p) => p.name === 'team_alias')?.schema.maxLength;
    expect(limit).toBe(256);
    expect((await r.fetch(`/v1/resolve?team_alias=${'x'.repeat(256)}`)).status).toBe(200);
    expect((await r.fetch(`/v1/resolve?team_alias=${'x'.repeat(257)}`)).status).toBe(422);
  });
});
