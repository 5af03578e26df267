import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { NODE, RAILYARD, REPO } from '../support/railyard-process.ts';

const serve = (args: string[]) =>
  spawnSync(NODE, [RAILYARD, 'serve', '--data', '/tmp/railyard-usage-data', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...process.env, RAILYARD_ADMIN_TOKEN: 'x' },
  });

const cases = [
  {
    note: 'a --dir that does not exist is refused, not served as an empty policy set',
    args: ['--dir', '/no/such/folder'],
    code: 2,
    message: 'railyard: --dir /no/such/folder: no such folder; pass the folder that holds your Policy',
  },
  {
    note: 'a --port that is not a number names the option and the fix',
    args: ['--port', 'abc'],
    code: 1,
    message: "option '--port <n>' argument 'abc' is invalid. expected a whole number from 0 to 65535",
  },
  {
    note: 'an --agentgateway-response-block that is neither reject nor mask names the choices',
    args: ['--agentgateway-response-block', 'drop'],
    code: 1,
    message:
      "option '--agentgateway-response-block <how>' argument 'drop' is invalid. Allowed choices are reject, mask.",
  },
  {
    note: 'an unreadable --token-file says which file and why',
    args: ['--dir', 'examples', '--token-file', '/no/such/tokens'],
    code: 2,
    message:
      'railyard: --token-file /no/such/tokens: cannot be read (ENOENT); check the path and its permissions',
  },
];

for (const c of cases) {
  test(c.note, () => {
    const run = serve(c.args);
    expect(run.status).toBe(c.code);
    expect(run.stderr).toContain(c.message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
}
