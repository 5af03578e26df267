/** Who a request is: bearer tokens checked in constant time, cluster tokens through a verifier. */
import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './errors.ts';

export const ROLES = ['reader', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type Principal = { readonly role: Role; readonly name: string };

type StoredToken = { readonly digest: Buffer; readonly principal: Principal };

/**
 * One-shot: a `createHash` object per request is a native object behind a weak handle, which
 * every scavenge must then process (about half of a scavenge's pause on the request path).
 */
const digestOf = (token: string): Buffer => hash('sha256', token, 'buffer');

/**
 * Checks a bearer token that no configured token matches (Kubernetes mode: TokenReview, then
 * SubjectAccessReview): who it is and the roles it may act in; undefined for a token that is not
 * valid. Throws when it cannot tell (the API server is unreachable).
 */
/**
 * What RBAC must allow a cluster token (a proxy's ServiceAccount) on `policies.railyard.dev` for
 * each role: `get` makes a reader (bind the `railyard-reader` ClusterRole), `create` an admin.
 */
export const CLUSTER_ROLE_GRANTS: readonly { readonly role: Role; readonly verb: string }[] = [
  { role: 'reader', verb: 'get' },
  { role: 'admin', verb: 'create' },
];

export type TokenVerifier = (token: string) => Promise<{ name: string; roles: readonly Role[] } | undefined>;

/** How long a verified token's answer is kept: an API server call per request is too many. */
export const VERIFIED_TTL_MS = { valid: 60_000, invalid: 10_000 } as const;
const VERIFIED_LIMIT = 10_000;
/** Verifications in flight at once: unknown tokens must not turn into a flood on the API server. */
export const VERIFYING_LIMIT = 32;

/**
 * A verification, kept until `until`: no `name` for a token the cluster does not know; a `name`
 * without `principal` for one RBAC grants nothing; else the principal it acts as.
 */
type Verified = { readonly name?: string; readonly principal?: Principal; readonly until: number };

/**
 * Bearer-token authentication. Tokens are kept as SHA-256 digests and compared with
 * `timingSafeEqual` against every configured token, so the time taken says nothing about which
 * (or whether a) token is close. A token none matches goes to the `verifier` when there is one
 * (Kubernetes mode); its answers are remembered by digest for `VERIFIED_TTL_MS`, so only a
 * request with a token not seen lately waits for it.
 */
export class Authenticator {
  readonly #tokens: readonly StoredToken[];
  readonly #verifier: TokenVerifier | undefined;
  readonly #now: () => number;
  readonly #verified = new Map<string, Verified>();
  /** Verifications under way, by digest: a burst of requests with one new token asks once. */
  readonly #verifying = new Map<string, Promise<Verified>>();

  constructor(
    tokens: readonly { token: string; role: Role }[],
    verifier?: TokenVerifier,
    now: () => number = Date.now,
  ) {
    this.#tokens = tokens.map((t, i) => ({
      digest: digestOf(t.token),
      principal: { role: t.role, name: `${t.role}-${i + 1}` },
    }));
    this.#verifier = verifier;
    this.#now = now;
  }

  get size(): number {
    return this.#tokens.length;
  }

  /**
   * The caller, from `Authorization: Bearer <t>`, LiteLLM's `x-litellm-api-key` or `x-api-key`
   * (see `presentedToken`); throws 401/403.
   * Synchronous for configured tokens and remembered verifications; a promise only while a new
   * token is being verified.
   */
  authenticate(headers: IncomingHttpHeaders, need: Role): Principal | Promise<Principal> {
    const presented = presentedToken(headers);
    if (presented === undefined) {
      throw new HttpError('unauthorized', 'Missing credentials: send "Authorization: Bearer <token>"', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const digest = digestOf(presented);
    let found: StoredToken | undefined;
    for (const t of this.#tokens) if (timingSafeEqual(t.digest, digest)) found = t;
    if (found) return mayAct(found.principal, need);
    if (this.#verifier === undefined) throw invalidToken();
    const key = digest.toString('base64url');
    const known = this.#verified.get(key);
    if (known !== undefined && known.until > this.#now()) return permitted(known, need);
    let verifying = this.#verifying.get(key);
    if (verifying === undefined) {
      if (this.#verifying.size >= VERIFYING_LIMIT) {
        return Promise.reject(
          new HttpError('unavailable', 'Too many tokens are being verified at once; retry shortly'),
        );
      }
      verifying = this.#verify(presented, key).finally(() => this.#verifying.delete(key));
      this.#verifying.set(key, verifying);
    }
    return verifying.then((verified) => permitted(verified, need));
  }

  async #verify(token: string, key: string): Promise<Verified> {
    let who: Awaited<ReturnType<TokenVerifier>>;
    try {
      who = await (this.#verifier as TokenVerifier)(token);
    } catch (e) {
      throw new HttpError(
        'unavailable',
        `Cannot verify the token with the Kubernetes API (${e instanceof Error ? e.message : String(e)}); retry shortly`,
      );
    }
    if (this.#verified.size >= VERIFIED_LIMIT) this.#verified.clear();
    const until = this.#now() + (who ? VERIFIED_TTL_MS.valid : VERIFIED_TTL_MS.invalid);
    const role: Role | undefined = who?.roles.includes('admin') ? 'admin' : who?.roles[0];
    const verified: Verified = who
      ? { name: who.name, ...(role ? { principal: { role, name: who.name } } : {}), until }
      : { until };
    this.#verified.set(key, verified);
    return verified;
  }
}

const invalidToken = (): HttpError =>
  new HttpError('unauthorized', 'Invalid token', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });

/** A verified cluster token's principal for `need`, or the 401/403 that says why not. */
function permitted(verified: Verified, need: Role): Principal {
  const { name, principal } = verified;
  if (name === undefined) throw invalidToken();
  if (principal === undefined) {
    throw new HttpError(
      'forbidden',
      `${name} may neither read nor change policies; grant it get (reader) or create (admin) on policies.railyard.dev`,
    );
  }
  if (need === 'admin' && principal.role !== 'admin') {
    throw new HttpError(
      'forbidden',
      `${name} may only read; to change policies grant it create on policies.railyard.dev`,
    );
  }
  return principal;
}

function mayAct(principal: Principal, need: Role): Principal {
  if (need === 'admin' && principal.role !== 'admin') {
    throw new HttpError('forbidden', 'This token may only read; use an admin token to change policies');
  }
  return principal;
}

/** The scheme is case-insensitive (RFC 7235): `bearer` and `BEARER` are `Bearer`. */
const BEARER = /^bearer /i;

/**
 * The token of `Authorization: Bearer <t>`, else of LiteLLM's `x-litellm-api-key` (what its
 * dashboard sends when the proxy uses that header: `Bearer <t>`, or the bare token), else of
 * `x-api-key: <t>` (the Generic Guardrail API client).
 */
function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined && BEARER.test(auth)) return auth.slice(7).trim() || undefined;
  const litellm = headers['x-litellm-api-key'];
  if (typeof litellm === 'string' && litellm.trim() !== '') {
    const value = litellm.trim();
    return (BEARER.test(value) ? value.slice(7).trim() : value) || undefined;
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
}
