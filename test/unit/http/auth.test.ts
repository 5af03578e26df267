import { describe, expect, test } from 'vitest';
import { VERIFIED_TTL_MS, VERIFYING_LIMIT } from '../../../src/http/auth.ts';
import { Authenticator, HttpError, type TokenVerifier } from '../../../src/http/index.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A verifier that knows two cluster tokens, counting its calls (the API server is not here). */
function clusterVerifier(): { verify: TokenVerifier; calls: string[]; down: { now: boolean } } {
  const calls: string[] = [];
  const down = { now: false };
  const verify: TokenVerifier = async (token) => {
    calls.push(token);
    if (down.now) throw new Error('503 ServiceUnavailable: etcd is down');
    if (token === 'proxy-sa') return { name: 'system:serviceaccount:p:litellm', roles: ['reader'] };
    if (token === 'nobody-sa') return { name: 'system:serviceaccount:p:other', roles: [] };
    return undefined;
  };
  return { verify, calls, down };
}

const failure = async (run: () => unknown): Promise<{ kind: string; message: string }> => {
  try {
    await run();
  } catch (e) {
    if (e instanceof HttpError) return { kind: e.kind, message: e.message };
    throw e;
  }
  throw new Error('expected a failure');
};

describe('Authenticator with a token verifier (Kubernetes mode)', () => {
  test('configured tokens stay synchronous and never reach the verifier', () => {
    const { verify, calls } = clusterVerifier();
    const auth = new Authenticator([{ token: 'static-admin', role: 'admin' }], verify);
    expect(auth.authenticate(bearer('static-admin'), 'admin')).toEqual({ role: 'admin', name: 'admin-1' });
    expect(calls).toEqual([]);
  });

  test('a cluster token is verified once, then answered from memory until its time is up', async () => {
    const { verify, calls } = clusterVerifier();
    let now = 1_000;
    const auth = new Authenticator([], verify, () => now);
    await expect(auth.authenticate(bearer('proxy-sa'), 'reader')).resolves.toEqual({
      role: 'reader',
      name: 'system:serviceaccount:p:litellm',
    });
    expect(auth.authenticate(bearer('proxy-sa'), 'reader')).toEqual({
      role: 'reader',
      name: 'system:serviceaccount:p:litellm',
    });
    expect(calls).toEqual(['proxy-sa']);
    now += VERIFIED_TTL_MS.valid + 1;
    await auth.authenticate(bearer('proxy-sa'), 'reader');
    expect(calls).toEqual(['proxy-sa', 'proxy-sa']);
  });

  test('401 for a token the cluster does not know, 403 for one RBAC grants nothing or only reading', async () => {
    const { verify } = clusterVerifier();
    const auth = new Authenticator([], verify);
    expect(await failure(() => auth.authenticate(bearer('forged'), 'reader'))).toEqual({
      kind: 'unauthorized',
      message: 'Invalid token',
    });
    expect(await failure(() => auth.authenticate(bearer('nobody-sa'), 'reader'))).toEqual({
      kind: 'forbidden',
      message:
        'system:serviceaccount:p:other may neither read nor change policies; grant it get (reader) or create (admin) on policies.railyard.dev',
    });
    expect(await failure(() => auth.authenticate(bearer('proxy-sa'), 'admin'))).toEqual({
      kind: 'forbidden',
      message:
        'system:serviceaccount:p:litellm may only read; to change policies grant it create on policies.railyard.dev',
    });
  });

  test('when the cluster cannot answer, the request fails with 503 and nothing is remembered', async () => {
    const { verify, calls, down } = clusterVerifier();
    const auth = new Authenticator([], verify);
    down.now = true;
    expect(await failure(() => auth.authenticate(bearer('proxy-sa'), 'reader'))).toEqual({
      kind: 'unavailable',
      message:
        'Cannot verify the token with the Kubernetes API (503 ServiceUnavailable: etcd is down); retry shortly',
    });
    down.now = false;
    await expect(auth.authenticate(bearer('proxy-sa'), 'reader')).resolves.toMatchObject({ role: 'reader' });
    expect(calls).toEqual(['proxy-sa', 'proxy-sa']);
  });

  test('unknown tokens cannot flood the API server: past the in-flight limit they are turned away', async () => {
    const pending: (() => void)[] = [];
    const slow: TokenVerifier = (token) =>
      new Promise((done) =>
        pending.push(() => done(token === 'proxy-sa' ? { name: 'sa', roles: ['reader'] } : undefined)),
      );
    const auth = new Authenticator([], slow);
    const inFlight = Array.from({ length: VERIFYING_LIMIT }, (_, i) =>
      Promise.resolve(auth.authenticate(bearer(`junk-${i}`), 'reader')).catch((e: HttpError) => e.kind),
    );
    expect(await failure(() => auth.authenticate(bearer('one-more'), 'reader'))).toEqual({
      kind: 'unavailable',
      message: 'Too many tokens are being verified at once; retry shortly',
    });
    for (const release of pending.splice(0)) release();
    expect(new Set(await Promise.all(inFlight))).toEqual(new Set(['unauthorized']));
    // A burst with one new token asks once, however many requests carry it.
    const burst = Array.from({ length: VERIFYING_LIMIT * 2 }, () =>
      auth.authenticate(bearer('proxy-sa'), 'reader'),
    );
    expect(pending).toHaveLength(1);
    for (const release of pending.splice(0)) release();
    for (const who of await Promise.all(burst)) expect(who).toMatchObject({ role: 'reader' });
  });

  test('without a verifier an unknown token is a synchronous 401', () => {
    const auth = new Authenticator([{ token: 'r', role: 'reader' }]);
    expect(() => auth.authenticate(bearer('x'), 'reader')).toThrow('Invalid token');
  });
});

describe('the headers a token may come in', () => {
  const auth = new Authenticator([
    { token: 'admin-token', role: 'admin' },
    { token: 'reader-token', role: 'reader' },
  ]);
  const cases = [
    { note: 'Authorization: Bearer', headers: bearer('admin-token'), want: 'admin-1' },
    {
      note: "x-litellm-api-key: Bearer (LiteLLM's dashboard with a custom key header)",
      headers: { 'x-litellm-api-key': 'Bearer admin-token' },
      want: 'admin-1',
    },
    { note: 'x-litellm-api-key, bare', headers: { 'x-litellm-api-key': 'reader-token' }, want: 'reader-2' },
    {
      note: 'x-api-key (the Generic Guardrail API)',
      headers: { 'x-api-key': 'reader-token' },
      want: 'reader-2',
    },
  ];
  for (const c of cases)
    test(c.note, () => expect(auth.authenticate(c.headers, 'reader')).toMatchObject({ name: c.want }));

  test('a wrong x-litellm-api-key is a 401', async () => {
    expect(await failure(() => auth.authenticate({ 'x-litellm-api-key': 'Bearer nope' }, 'reader'))).toEqual({
      kind: 'unauthorized',
      message: 'Invalid token',
    });
  });
});

describe('the Authorization scheme', () => {
  const auth = new Authenticator([{ token: 'static-admin', role: 'admin' }]);
  const cases = [
    { note: 'Bearer', header: 'Bearer static-admin' },
    { note: 'lower case (RFC 7235: the scheme is case-insensitive)', header: 'bearer static-admin' },
    { note: 'upper case', header: 'BEARER static-admin' },
  ];
  for (const c of cases)
    test(c.note, () =>
      expect(auth.authenticate({ authorization: c.header }, 'admin')).toEqual({
        role: 'admin',
        name: 'admin-1',
      }),
    );
  test("LiteLLM's x-litellm-api-key takes any case of Bearer too", () =>
    expect(auth.authenticate({ 'x-litellm-api-key': 'bEaReR static-admin' }, 'admin')).toEqual({
      role: 'admin',
      name: 'admin-1',
    }));
  test('another scheme is not a bearer token', async () =>
    expect(
      await failure(() => auth.authenticate({ authorization: 'Basic static-admin' }, 'admin')),
    ).toMatchObject({
      kind: 'unauthorized',
    }));
});
