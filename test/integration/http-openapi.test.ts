import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fastRoutes } from '../../src/http/fast-routes.ts';
import { OPERATIONS, openApiDocument } from '../../src/http/openapi.ts';
import { registerPolicyRoutes } from '../../src/http/routes/index.ts';
import type { ServerDeps } from '../../src/http/server.ts';
import { type RailyardProcess, startRailyard } from '../support/railyard-process.ts';

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

let r: RailyardProcess;
beforeAll(async () => {
  r = await startRailyard({ args: ['--dir', await mkdtemp(join(tmpdir(), 'railyard-openapi-'))] });
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
    expect(open).toEqual(['/healthz', '/metrics', '/readyz']);
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
