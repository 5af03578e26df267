/**
 * An HTTPS proxy in front of a real API server that injects faults by rule. It terminates TLS with
 * a self-signed certificate (made by `openssl req -x509` in a temp dir), forwards every request
 * with `https.request` (the upstream certificate is not checked) and streams responses through,
 * so watches work. Point a kubeconfig (insecure-skip-tls-verify) at `url`.
 *
 * Rules are checked in the order added; the first live rule that matches a request decides it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

type RequestMatch = {
  /** Exact method, or a pattern such as /^(PATCH|PUT)$/. */
  readonly method?: string | RegExp;
  /** Tested against the path with its query string, e.g. /\/configmaps/ or /\/status$/ . */
  readonly path?: RegExp;
  /** true: only watch requests (`watch=true`); false: only non-watch requests. */
  readonly watch?: boolean;
};

type Fault =
  /** Destroy the client connection without an answer. */
  | { readonly kind: 'drop' }
  /** Answer with this status and a Kubernetes `Status` body (e.g. 410 Gone, 500, 409 Conflict). */
  | { readonly kind: 'status'; readonly status: number; readonly reason?: string }
  /** Forward the request, but only after `ms`. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Forward the request at once (it takes effect), but hold its answer back for `ms`. */
  | { readonly kind: 'delayAnswer'; readonly ms: number };

type FaultRule = {
  readonly match: RequestMatch;
  readonly fault: Fault;
  /** How many requests the rule applies to; default unlimited. */
  readonly times?: number;
};

interface RuleHandle {
  /** Requests this rule has decided so far. */
  hits(): number;
  remove(): void;
}

type SeenRequest = { readonly method: string; readonly path: string; readonly fault?: Fault['kind'] };

export interface FaultProxy {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  addRule(rule: FaultRule): RuleHandle;
  clearRules(): void;
  /** Destroys every watch connection open right now; returns how many. */
  dropWatches(): number;
  /** Watch connections open right now. */
  openWatches(): number;
  /** Every request seen, in order. */
  requests(): readonly SeenRequest[];
  /** TLS connections clients have opened to the proxy so far. */
  connections(): number;
  stop(): Promise<void>;
}

const REASONS: Readonly<Record<number, string>> = {
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** Starts the proxy on 127.0.0.1:0 in front of `upstream` (an `https://` API server URL). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'railyard-fault-proxy-'));
  const [key, cert] = await selfSignedCert(dir);
  const rules: { rule: FaultRule; hits: number; removed: boolean }[] = [];
  const watches = new Set<IncomingMessage>();
  const seen: SeenRequest[] = [];
  const target = new URL(upstream);

  const server = createServer({ key, cert }, (req, res) => {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const watch = /[?&]watch=(true|1)(&|$)/.test(path);
    const entry = rules.find(
      (r) => !r.removed && r.hits < (r.rule.times ?? Infinity) && matches(r.rule.match, method, path, watch),
    );
    if (entry) entry.hits++;
    const fault = entry?.rule.fault;
    seen.push(fault ? { method, path, fault: fault.kind } : { method, path });
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      answerStatus(res, fault.status, fault.reason ?? REASONS[fault.status] ?? 'Unknown');
      return;
    }
    const forward = () => {
      if (watch) {
        watches.add(req);
        req.socket.once('close', () => watches.delete(req));
      }
      const up = request(
        {
          host: target.hostname,
          port: target.port,
          method,
          path,
          headers: { ...req.headers, host: target.host },
          rejectUnauthorized: false,
        },
        (upRes) => {
          const answer = () => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            if (watch) res.flushHeaders();
            upRes.pipe(res);
          };
          if (fault?.kind === 'delayAnswer') setTimeout(answer, fault.ms);
          else answer();
        },
      );
      up.on('error', () => req.socket.destroy());
      res.on('close', () => up.destroy());
      req.pipe(up);
    };
    if (fault?.kind === 'delay') setTimeout(forward, fault.ms);
    else forward();
  });
  let connections = 0;
  server.on('secureConnection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('fault proxy: no TCP address');

  return {
    url: `https://127.0.0.1:${addr.port}`,
    addRule: (rule) => {
      const entry = { rule, hits: 0, removed: false };
      rules.push(entry);
      return {
        hits: () => entry.hits,
        remove: () => {
          entry.removed = true;
        },
      };
    },
    clearRules: () => {
      for (const r of rules.splice(0)) r.removed = true;
    },
    dropWatches: () => {
      const open = [...watches];
      for (const w of open) w.socket.destroy();
      watches.clear();
      return open.length;
    },
    openWatches: () => watches.size,
    requests: () => [...seen],
    connections: () => connections,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function matches(m: RequestMatch, method: string, path: string, watch: boolean): boolean {
  if (m.method !== undefined && !(typeof m.method === 'string' ? m.method === method : m.method.test(method)))
    return false;
  if (m.path !== undefined && !m.path.test(path)) return false;
  return m.watch === undefined || m.watch === watch;
}

function answerStatus(res: ServerResponse, code: number, reason: string): void {
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `injected by the fault proxy: ${reason}`,
    reason,
    code,
  });
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function selfSignedCert(dir: string): Promise<[Buffer, Buffer]> {
  const keyPath = join(dir, 'tls.key');
  const certPath = join(dir, 'tls.crt');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  return Promise.all([readFile(keyPath), readFile(certPath)]);
}
