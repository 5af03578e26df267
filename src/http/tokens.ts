/** Where the tokens come from: the environment, `--token-file`, or one generated on first start. */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commaList } from '../engine/index.ts';
import { Authenticator, ROLES, type Role, type TokenVerifier } from './auth.ts';

export type TokenSources = {
  /** Kubernetes mode: checks tokens that no configured one matches (see `TokenVerifier`). */
  readonly verifier?: TokenVerifier;
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
  if (tokens.length > 0) return { authenticator: new Authenticator(tokens, src.verifier) };

  const path = join(src.dataDir, 'admin.token');
  let token = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (!token) {
    token = randomBytes(32).toString('base64url');
    await mkdir(src.dataDir, { recursive: true });
    await writeFile(path, `${token}\n`, { mode: 0o600 });
  }
  await chmod(path, 0o600);
  return { authenticator: new Authenticator([{ token, role: 'admin' }], src.verifier), generatedAt: path };
}

function parseTokenFile(text: string, path: string): { token: string; role: Role }[] {
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
