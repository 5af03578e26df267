/**
 * A client's malformed request is a 400 with a JSON detail, never a 500: bad percent-encoding in a
 * path, and bodies that do not decompress under their Content-Encoding.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RailyardProcess, READER_TOKEN, startRailyard } from '../support/railyard-process.ts';
import { KW_GUARDRAIL, writeTree } from '../support/trees.ts';

let r: RailyardProcess;
beforeAll(async () => {
  r = await startRailyard({ args: ['--dir', await writeTree({ 'g.yaml': KW_GUARDRAIL })] });
});
afterAll(async () => {
  await r?.stop();
});

const detailOf = async (res: Response): Promise<string> => ((await res.json()) as { detail: string }).detail;

describe('a malformed path', () => {
  for (const path of ['/policies/%ff', '/policies/%E0%A4%A', '/policies/%', '/policies/attachments/%c0']) {
    test(`${path} is a 400 naming the encoding`, async () => {
      const res = await r.fetch(path, { token: READER_TOKEN });
      expect(res.status).toBe(400);
      expect(await detailOf(res)).toMatch(/percent-encoding/);
    });
  }
});

describe('a body that does not decode', () => {
  const body = JSON.stringify({ policy_name: 'from-gzip', guardrails_add: ['kw'] });
  const post = (encoding: string, payload: Buffer | string) =>
    r.fetch('/policies', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      body: payload,
    });

  for (const encoding of ['gzip', 'deflate', 'br']) {
    test(`garbage under Content-Encoding: ${encoding} is a 400`, async () => {
      const res = await post(encoding, 'this is not compressed');
      expect(res.status).toBe(400);
      expect(await detailOf(res)).toMatch(/could not be decoded/);
    });
  }

  test('a gzip body cut short is a 400', async () => {
    const res = await post('gzip', gzipSync(body).subarray(0, 12));
    expect(res.status).toBe(400);
  });

  test('well-formed gzip, deflate and br bodies are read', async () => {
    const sent = [
      ['gzip', gzipSync(body.replace('from-gzip', 'from-gzip-ok'))],
      ['deflate', deflateSync(body.replace('from-gzip', 'from-deflate-ok'))],
      ['br', brotliCompressSync(body.replace('from-gzip', 'from-br-ok'))],
    ] as const;
    for (const [encoding, payload] of sent) {
      const res = await post(encoding, payload);
      expect(res.status, encoding).toBe(200);
    }
  });
});
