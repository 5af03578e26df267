/**
 * The bare `node:http` baseline: `node bench/baseline-server.ts <body-file>` answers every request
 * with the same JSON body after the same bearer-token check Railyard does (`Authenticator`,
 * tokens from RAILYARD_READ_TOKEN), with an ETag and `If-None-Match` → 304. A POST is answered
 * once its whole request body has arrived (and is dropped unread). It prints `{"port":N}` once
 * listening; SIGTERM ends it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authenticator } from '../src/http/index.ts';

const body = readFileSync(process.argv[2] ?? '');
const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
const auth = new Authenticator([{ token: process.env.RAILYARD_READ_TOKEN ?? '', role: 'reader' }]);

const server = createServer((req, res) => {
  if (req.method === 'POST') {
    req.on('data', () => {});
    req.once('end', () => answer(req, res));
  } else answer(req, res);
});

function answer(req: IncomingMessage, res: ServerResponse): void {
  try {
    auth.authenticate(req.headers, 'reader');
  } catch {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"error":"unauthorized"}');
    return;
  }
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, etag });
  res.end(body);
}
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
