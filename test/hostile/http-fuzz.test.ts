/**
 * Property-based requests on every documented route (the wire module's operation table): random
 * path parameters, query strings, bodies, content types and encodings, with an admin token. A
 * client's mistake is never a 5xx, and every error is JSON with a `detail` a person can read.
 * Bounded: a fixed number of runs against one real server.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OPERATIONS } from '../../src/http/wire/index.ts';
import { type RailyardProcess, startRailyard } from '../support/railyard-process.ts';

let r: RailyardProcess;
beforeAll(async () => {
  r = await startRailyard({ args: ['--dir', 'examples'] });
});
afterAll(async () => {
  await r?.stop();
});

/** Enforcement answers 503 by design when it cannot decide (the proxy's failure setting applies). */
const MAY_BE_UNAVAILABLE = /^\/(litellm|agentgateway)\//;

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('%ff', '%', '%E0%A4%A', '..', '../etc/passwd', '\u0000', 'a'.repeat(300), '*', 'null'),
);

/** A path parameter, query or body value that may or may not be well formed. */
const request = fc.record({
  operation: fc.constantFrom(...OPERATIONS.filter((o) => o.path !== '/v1/snapshot')),
  params: fc.array(text, { minLength: 3, maxLength: 3 }),
  query: fc.array(
    fc.tuple(
      fc.constantFrom('namespace', 'team_alias', 'tags', 'model', 'version_status', 'policy_id', 'x'),
      text,
    ),
    {
      maxLength: 3,
    },
  ),
  body: fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('{', '[]', '{"policy_name": 5}', '{"texts": [1,2]}', '{"guardrails_add": "x"}'),
  ),
  contentType: fc.constantFrom(
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    undefined,
  ),
  encoding: fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'bogus'),
});

test('no route answers a random request with a 5xx, and every error is JSON with a detail', async () => {
  await fc.assert(
    fc.asyncProperty(request, async (q) => {
      let i = 0;
      const path = q.operation.path.replace(/\{\w+\}/g, () =>
        encodeURIComponent(q.params[i++] ?? '').replace(/%25/g, '%'),
      );
      const query = new URLSearchParams(q.query).toString();
      const headers: Record<string, string> = {};
      if (q.contentType) headers['content-type'] = q.contentType;
      if (q.encoding) headers['content-encoding'] = q.encoding;
      const method = q.operation.method.toUpperCase();
      const res = await r.fetch(`${path}${query ? `?${query}` : ''}`, {
        method,
        headers,
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: q.body }),
      });
      const body = await res.text();
      const where = `${method} ${path}?${query} → ${res.status}: ${body.slice(0, 200)}`;
      const unavailable = res.status === 503 && MAY_BE_UNAVAILABLE.test(path);
      expect(res.status < 500 || unavailable, where).toBe(true);
      if (res.status >= 400) {
        const parsed = JSON.parse(body) as { detail?: unknown };
        expect(typeof parsed.detail, where).toBe('string');
        expect((parsed.detail as string).length, where).toBeGreaterThan(0);
      }
    }),
    { numRuns: 400, seed: 20261206 },
  );
});
