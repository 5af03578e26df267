import { describe, expect, test } from 'vitest';
import { compile } from '../../../src/guardrails/secrets.ts';
import { mustCompile } from './support.ts';

const x = (n: number, c = 'a') => c.repeat(n);
const block = mustCompile(compile({}));

describe('secrets guardrail', () => {
  const cases = [
    { note: 'OpenAI legacy key', text: `key sk-${x(48, 'A')}`, want: ['OPENAI_API_KEY', 'sk-***'] },
    {
      note: 'OpenAI project key',
      text: `sk-proj-${x(40, 'b')}_${x(10)}`,
      want: ['OPENAI_API_KEY', 'sk-proj-***'],
    },
    { note: 'Anthropic key', text: `sk-ant-api03-${x(80, 'Z')}`, want: ['ANTHROPIC_API_KEY', 'sk-ant-***'] },
    { note: 'AWS access key id', text: 'id=AKIAIOSFODNN7EXAMPLE;', want: ['AWS_ACCESS_KEY_ID', 'AKIA***'] },
    {
      note: 'AWS secret after its name',
      text: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      want: ['AWS_SECRET_ACCESS_KEY', '***'],
    },
    { note: 'GitHub classic token', text: `ghp_${x(36, 'R')}`, want: ['GITHUB_TOKEN', 'ghp_***'] },
    {
      note: 'GitHub fine-grained token',
      text: `github_pat_${x(22, '1')}_${x(59, 'q')}`,
      want: ['GITHUB_TOKEN', 'github_pat_***'],
    },
    { note: 'Slack bot token', text: 'xoxb-123456789012-abcdefABCDEF', want: ['SLACK_TOKEN', 'xoxb-***'] },
    { note: 'Google API key', text: `AIza${x(35, 'S')}`, want: ['GOOGLE_API_KEY', 'AIza***'] },
    { note: 'Stripe live key', text: `sk_live_${x(24, '9')}`, want: ['STRIPE_SECRET_KEY', 'sk_live_***'] },
    {
      note: 'PEM private key',
      text: '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
      want: ['PRIVATE_KEY', '-----BEGIN RSA PRIVATE KEY-----***'],
    },
    {
      note: 'JWT',
      text: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      want: ['JWT', 'eyJ***'],
    },
  ];
  for (const c of cases)
    test(c.note, () => {
      const r = block([c.text]);
      expect(r.outcome === 'fail' ? r.findings.map((f) => [f.type, f.redacted]) : []).toEqual([c.want]);
    });

  const negatives = [
    { note: 'the word sk- in prose', text: 'the sk-ier went down' },
    { note: 'short sk- string', text: 'sk-12345' },
    { note: 'Stripe test key is not live', text: `sk_test_${x(24, '9')}` },
    { note: 'AKIA too short', text: 'AKIA1234' },
    { note: '40 characters with no AWS context', text: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    { note: 'public key header', text: '-----BEGIN PUBLIC KEY-----' },
  ];
  for (const c of negatives)
    test(`not a secret: ${c.note}`, () => expect(block([c.text])).toEqual({ outcome: 'pass' }));

  test('mask writes [SECRET] and leaves the rest', () => {
    const mask = mustCompile(compile({ action: 'mask' }));
    const text = `use ghp_${x(36, 'R')} and -----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY----- ok`;
    expect(mask([text])).toEqual({ outcome: 'pass', texts: ['use [SECRET] and [SECRET] ok'] });
  });
  test('findings never contain the secret part', () => {
    const secret = x(48, 'Q');
    const r = block([`sk-proj-${secret}`]);
    expect(JSON.stringify(r)).not.toContain(secret.slice(0, 8));
  });
  test('config rejects unknown fields', () => {
    const r = compile({ action: 'mask', providers: ['aws'] });
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual(['spec.config.providers']);
  });
});
