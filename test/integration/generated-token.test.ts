import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { startRailyard } from '../support/railyard-process.ts';

test('with no token configured, serve generates an admin token (mode 0600), logs where, never what', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'railyard-token-dir-'));
  const data = await mkdtemp(join(tmpdir(), 'railyard-token-data-'));
  await writeFile(join(dir, 'empty.yaml'), '');
  const noTokens = { RAILYARD_ADMIN_TOKEN: '', RAILYARD_READ_TOKEN: '' };
  const first = await startRailyard({ args: ['--dir', dir], data, env: noTokens });
  const path = join(data, 'admin.token');
  const token = (await readFile(path, 'utf8')).trim();
  try {
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(token.length).toBeGreaterThanOrEqual(32);
    const logged = first.logs.find((l) => l.tokenFile === path);
    expect(logged).toBeDefined();
    expect(JSON.stringify(first.logs)).not.toContain(token);
    expect((await first.fetch('/v1/status', { token })).status).toBe(200);
    expect((await first.fetch('/v1/status', { token: 'not-it' })).status).toBe(401);
  } finally {
    await first.stop();
  }
  // A restart on the same data folder keeps the same token.
  const second = await startRailyard({ args: ['--dir', dir], data, env: noTokens });
  try {
    expect((await readFile(path, 'utf8')).trim()).toBe(token);
    expect((await second.fetch('/v1/status', { token })).status).toBe(200);
  } finally {
    await second.stop();
  }
});
