import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GuardrailSpec, PipelineMode } from '../../../src/engine/index.ts';
import type { PipelineData } from '../../../src/engine/pipeline.ts';
import { compileGuardrail, createGuardrailRunner } from '../../../src/guardrails/index.ts';

type Seen = { path: string; headers: IncomingMessage['headers']; body: unknown };
const seen: Seen[] = [];
const pending = new Set<ServerResponse>();

const routes: Record<string, (res: ServerResponse) => void> = {
  '/pass': (res) => res.end(JSON.stringify({ outcome: 'pass' })),
  '/fail': (res) => res.end(JSON.stringify({ outcome: 'fail', detail: 'toxic content' })),
  '/mask': (res) =>
    res.end(JSON.stringify({ outcome: 'pass', messages: [{ role: 'user', content: 'hi [NAME]' }] })),
  '/slow': (res) => {
    pending.add(res);
    setTimeout(() => res.end(JSON.stringify({ outcome: 'pass' })), 2000).unref();
  },
  '/500': (res) => {
    res.statusCode = 500;
    res.end('boom');
  },
  '/not-json': (res) => res.end('<html>'),
  '/bad-outcome': (res) => res.end(JSON.stringify({ outcome: 'maybe' })),
};

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) });
    (routes[req.url ?? ''] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of pending) res.destroy();
  server.closeAllConnections();
  server.close();
});

const spec = (
  path: string,
  failurePolicy: 'open' | 'closed',
  extra: Record<string, unknown> = {},
): GuardrailSpec => ({
  type: 'webhook',
  mode: 'pre_call',
  failurePolicy,
  config: { url: `${base}${path}`, timeoutMs: 200, ...extra },
});
const data: PipelineData = { messages: [{ role: 'user', content: 'hi Bob' }] };
const run = (path: string, failurePolicy: 'open' | 'closed', mode: PipelineMode = 'pre_call') =>
  createGuardrailRunner(new Map([['hook', spec(path, failurePolicy)]]))(
    'hook',
    mode,
    data,
    new AbortController().signal,
  );

describe('webhook guardrail against a real HTTP server', () => {
  const cases = [
    { note: 'pass', path: '/pass', policy: 'closed', want: { outcome: 'pass' } },
    {
      note: 'fail with detail',
      path: '/fail',
      policy: 'closed',
      want: { outcome: 'fail', detail: 'toxic content' },
    },
    {
      note: 'fail is not changed by open',
      path: '/fail',
      policy: 'open',
      want: { outcome: 'fail', detail: 'toxic content' },
    },
    {
      note: 'pass with rewritten messages',
      path: '/mask',
      policy: 'closed',
      want: { outcome: 'pass', modified: { messages: [{ role: 'user', content: 'hi [NAME]' }] } },
    },
    {
      note: 'slow, closed: error',
      path: '/slow',
      policy: 'closed',
      want: { outcome: 'error', detail: 'Webhook timed out after 200 ms' },
    },
    {
      note: 'slow, open: pass with a note',
      path: '/slow',
      policy: 'open',
      want: { outcome: 'pass', detail: 'failurePolicy open: Webhook timed out after 200 ms' },
    },
    {
      note: '500, closed: error',
      path: '/500',
      policy: 'closed',
      want: { outcome: 'error', detail: 'Webhook answered HTTP 500' },
    },
    {
      note: '500, open: pass with a note',
      path: '/500',
      policy: 'open',
      want: { outcome: 'pass', detail: 'failurePolicy open: Webhook answered HTTP 500' },
    },
    {
      note: 'body not JSON',
      path: '/not-json',
      policy: 'closed',
      want: { outcome: 'error', detail: 'Webhook answered a body that is not JSON' },
    },
    {
      note: 'unknown outcome',
      path: '/bad-outcome',
      policy: 'closed',
      want: { outcome: 'error', detail: 'Webhook answer has an outcome that is not "pass" or "fail"' },
    },
  ] as const;
  for (const c of cases) test(c.note, async () => expect(await run(c.path, c.policy)).toEqual(c.want));

  test('sends the documented request', async () => {
    const runner = createGuardrailRunner(
      new Map([['hook', spec('/pass', 'closed', { headers: { 'x-api-key': 's3' } })]]),
    );
    await runner('hook', 'post_call', data, new AbortController().signal);
    const last = seen[seen.length - 1];
    expect(last?.body).toEqual({
      guardrail: 'hook',
      mode: 'post_call',
      messages: [{ role: 'user', content: 'hi Bob' }],
    });
    expect(last?.headers['x-api-key']).toBe('s3');
    expect(last?.headers['content-type']).toBe('application/json');
  });

  test('timeout is honoured promptly', async () => {
    const started = performance.now();
    await run('/slow', 'closed');
    expect(performance.now() - started).toBeLessThan(1500);
  });

  test('network error is an error outcome', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const runner = createGuardrailRunner(
      new Map([['hook', { ...spec('/pass', 'closed'), config: { url: `http://127.0.0.1:${port}/` } }]]),
    );
    const v = await runner('hook', 'pre_call', data, new AbortController().signal);
    // The cause (addresses of the network behind) is said only with exposeErrors.
    expect(v).toEqual({ outcome: 'error', detail: 'Webhook request failed' });
    const exposing = createGuardrailRunner(
      new Map([
        [
          'hook',
          { ...spec('/pass', 'closed'), config: { url: `http://127.0.0.1:${port}/`, exposeErrors: true } },
        ],
      ]),
    );
    const e = await exposing('hook', 'pre_call', data, new AbortController().signal);
    expect(e.outcome === 'error' && e.detail).toMatch(/^Webhook request failed: .*ECONNREFUSED/);
  });

  test('the caller aborting stops the call', async () => {
    const controller = new AbortController();
    const runner = createGuardrailRunner(new Map([['hook', spec('/slow', 'closed', { timeoutMs: 5000 })]]));
    const verdict = runner('hook', 'pre_call', data, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await verdict).toEqual({ outcome: 'error', detail: 'Webhook call aborted' });
  });
});

describe('webhook config', () => {
  const cases = [
    { note: 'url required', config: {}, path: 'spec.config.url' },
    { note: 'url must be http(s)', config: { url: 'ftp://x/' }, path: 'spec.config.url' },
    {
      note: 'timeout bounded',
      config: { url: 'http://x/', timeoutMs: 600_000 },
      path: 'spec.config.timeoutMs',
    },
    {
      note: 'header values are strings',
      config: { url: 'http://x/', headers: { a: 1 } },
      path: 'spec.config.headers.a',
    },
  ];
  for (const c of cases)
    test(c.note, () => {
      const r = compileGuardrail('hook', {
        type: 'webhook',
        mode: 'pre_call',
        failurePolicy: 'closed',
        config: c.config,
      });
      expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual([c.path]);
    });
});
