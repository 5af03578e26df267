/**
 * A webhook guardrail never follows a redirect (its secret headers stay with its own origin),
 * never reads an endless answer, and never has more than `maxConcurrent` calls in flight.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GuardrailSpec } from '../../../src/engine/index.ts';
import { createGuardrailRunner } from '../../../src/guardrails/index.ts';

type Seen = { path: string; headers: IncomingMessage['headers'] };

/** A server on a free port answering with `handle`; records what it was sent. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  let inFlight = 0;
  let peak = 0;
  const server: Server = createServer(async (req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    for await (const _ of req);
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.on('close', () => inFlight--);
    handle(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  return { url, seen, peak: () => peak, close };
}

let other: Awaited<ReturnType<typeof serve>>;
let hook: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  other = await serve((_req, res) =>
    res.end(JSON.stringify({ outcome: 'fail', detail: 'from the other host' })),
  );
  hook = await serve((req, res) => {
    const [path, status] = (req.url ?? '').split('/').slice(1);
    if (path === 'redirect') {
      res.writeHead(Number(status), { location: `${other.url}/stolen` }).end();
    } else if (path === 'huge') {
      res.write('{"outcome":"pass","detail":"');
      const chunk = 'x'.repeat(64 << 10);
      let sent = 0;
      const more = () => {
        while (sent < 2 << 20 && res.write(chunk)) sent += chunk.length;
        if (sent < 2 << 20) res.once('drain', more);
        else res.end('"}');
      };
      more();
    } else if (path === 'slow') {
      setTimeout(() => res.end(JSON.stringify({ outcome: 'pass' })), Number(status));
    } else res.end(JSON.stringify({ outcome: 'pass' }));
  });
});
afterAll(() => {
  other.close();
  hook.close();
});

const runner = (path: string, config: Record<string, unknown> = {}) => {
  const spec: GuardrailSpec = {
    type: 'webhook',
    mode: 'pre_call',
    failurePolicy: 'closed',
    config: { url: `${hook.url}${path}`, headers: { 'x-api-key': 'the-secret' }, timeoutMs: 2000, ...config },
  };
  const run = createGuardrailRunner(new Map([['hook', spec]]));
  return () =>
    run('hook', 'pre_call', { messages: [{ role: 'user', content: 'hi' }] }, new AbortController().signal);
};

describe('redirects', () => {
  for (const status of [301, 302, 303, 307, 308])
    test(`HTTP ${status} is an error; the other origin never sees the call nor the secret`, async () => {
      expect(await runner(`/redirect/${status}`)()).toEqual({
        outcome: 'error',
        detail: `Webhook answered HTTP ${status}, a redirect, which is never followed`,
      });
      expect(other.seen).toEqual([]);
    });
});

test('an answer over 1 MiB is an error, not read to its end', async () => {
  expect(await runner('/huge')()).toEqual({
    outcome: 'error',
    detail: 'Webhook answered more than 1048576 bytes',
  });
});

describe('maxConcurrent', () => {
  test('calls beyond it wait their turn: never more in flight than the cap', async () => {
    const call = runner('/slow/150/a', { maxConcurrent: 2 });
    const verdicts = await Promise.all(Array.from({ length: 8 }, () => call()));
    expect(verdicts.every((v) => v.outcome === 'pass')).toBe(true);
    expect(hook.peak()).toBe(2);
  });
  test('a call that cannot start within its timeout is a busy error', async () => {
    // Both calls go to one guardrail's endpoint: the first holds its one slot for 600 ms.
    const holder = runner('/slow/600/b', { maxConcurrent: 1, timeoutMs: 2000 })();
    await new Promise((r) => setTimeout(r, 50));
    const waiter = await runner('/slow/600/b', { maxConcurrent: 1, timeoutMs: 200 })();
    expect((await holder).outcome).toBe('pass');
    expect(waiter).toEqual({
      outcome: 'error',
      detail: 'Webhook busy: 1 calls to it in flight (maxConcurrent), none done within 200 ms',
    });
  });
});

test('config: maxConcurrent and exposeErrors are checked', async () => {
  const { compileGuardrail } = await import('../../../src/guardrails/index.ts');
  const r = compileGuardrail('hook', {
    type: 'webhook',
    mode: 'pre_call',
    failurePolicy: 'closed',
    config: { url: 'http://x/', maxConcurrent: 0, exposeErrors: 'yes' },
  });
  expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual([
    'spec.config.maxConcurrent',
    'spec.config.exposeErrors',
  ]);
});
