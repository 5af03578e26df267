import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { commaList } from '../engine/index.ts';
import { HttpError } from './errors.ts';

export const ROLES = ['reader', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type Principal = { readonly role: Role; readonly name: string };

type StoredToken = { readonly digest: Buffer; readonly role: Role; readonly name: string };

const digestOf = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * Bearer-token authentication. Tokens are kept as SHA-256 digests and compared with
 * `timingSafeEqual` against every configured token, so the time taken says nothing about which
 * (or whether a) token is close.
 */
export class Authenticator {
  readonly #tokens: readonly StoredToken[];

  constructor(tokens: readonly { token: string; role: Role }[]) {
    this.#tokens = tokens.map((t, i) => ({
      digest: digestOf(t.token),
      role: t.role,
      name: `${t.role}-${i + 1}`,
    }));
  }

  get size(): number {
    return this.#tokens.length;
  }

  /** The caller, from `Authorization: Bearer <t>` or LiteLLM's `x-api-key: <t>`; throws 401/403. */
  authenticate(headers: IncomingHttpHeaders, need: Role): Principal {
    const presented = presentedToken(headers);
    if (presented === undefined) {
      throw new HttpError('unauthorized', 'Missing credentials: send "Authorization: Bearer <token>"', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const digest = digestOf(presented);
    let found: StoredToken | undefined;
    for (const t of this.#tokens) if (timingSafeEqual(t.digest, digest)) found = t;
    if (!found) {
      throw new HttpError('unauthorized', 'Invalid token', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
    if (need === 'admin' && found.role !== 'admin') {
      throw new HttpError('forbidden', 'This token may only read; use an admin token to change policies');
    }
    return { role: found.role, name: found.name };
  }
}

function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim() || undefined;
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
}

export type TokenSources = {
  readonly readTokens?: string;
  readonly adminTokens?: string;
  readonly tokenFile?: string;
  readonly dataDir: string;
};

/**
 * Tokens from `RAILYARD_READ_TOKEN` / `RAILYARD_ADMIN_TOKEN` (comma-separated) and `--token-file`
 * (lines `admin <token>` or `reader <token>`, `#` comments). With none configured, an admin token
 * is generated once and written (mode 0600) to `<data>/admin.token`; its path, never the token,
 * is returned for the log.
 */
export async function loadTokens(
  src: TokenSources,
): Promise<{ authenticator: Authenticator; generatedAt?: string }> {
  const tokens: { token: string; role: Role }[] = [
    ...commaList(src.readTokens).map((token) => ({ token, role: 'reader' as const })),
    ...commaList(src.adminTokens).map((token) => ({ token, role: 'admin' as const })),
  ];
  if (src.tokenFile) {
    const path = src.tokenFile;
    const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new Error(
        `--token-file ${path}: cannot be read (${e.code ?? e.message}); check the path and its permissions`,
      );
    });
    tokens.push(...parseTokenFile(text, path));
  }
  if (tokens.length > 0) return { authenticator: new Authenticator(tokens) };

  const path = join(src.dataDir, 'admin.token');
  let token = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (!token) {
    token = randomBytes(32).toString('base64url');
    await mkdir(src.dataDir, { recursive: true });
    await writeFile(path, `${token}\n`, { mode: 0o600 });
  }
  await chmod(path, 0o600);
  return { authenticator: new Authenticator([{ token, role: 'admin' }]), generatedAt: path };
}

export function parseTokenFile(text: string, path: string): { token: string; role: Role }[] {
  const out: { token: string; role: Role }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [role, token, ...rest] = line.split(/\s+/);
    if (!(ROLES as readonly string[]).includes(role ?? '') || !token || rest.length > 0) {
      throw new Error(`${path}:${i + 1}: expected "admin <token>" or "reader <token>"`);
    }
    out.push({ token, role: role as Role });
  });
  return out;
}
