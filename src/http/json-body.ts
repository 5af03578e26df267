/**
 * The JSON body reader of the enforcement routes: no framework on the request path of every LLM
 * call, one size limit for both proxies.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';

/**
 * Reads and parses the whole body. Throws HttpError `payload_too_large` (413) as soon as the
 * declared or received size passes `limitBytes` (closing the connection, since the rest is not
 * read), and `bad_request` (400) for a body that is not JSON: LiteLLM's `fail_on_error` and
 * agentgateway's `failureMode` then decide. An empty body is a 400 too.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const tooLarge = () =>
    new HttpError('payload_too_large', `request body is larger than the limit of ${limitBytes} bytes`, {
      headers: { connection: 'close' },
    });
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = text.trim() === '' ? 'the body is empty' : (err as Error).message;
    throw new HttpError('bad_request', `request body is not valid JSON: ${why}`);
  }
}
