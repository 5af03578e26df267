import { describe, expect, test } from 'vitest';
import {
  AGENTGATEWAY_HEADER_DEFAULTS,
  agentgatewayAnswer,
  type Decision,
  parseAgentgatewayRequest,
} from '../../../src/enforce/index.ts';

const H = AGENTGATEWAY_HEADER_DEFAULTS;

describe('parseAgentgatewayRequest', () => {
  const cases = [
    {
      note: '/request: every message, context from the configured headers',
      phase: 'pre_call',
      body: {
        body: {
          messages: [
            { role: 'system', content: 's' },
            { role: 'user', content: 'u' },
          ],
        },
      },
      headers: {
        'x-railyard-team': 'eng',
        'x-railyard-key-alias': 'k1',
        'x-railyard-model': 'gpt-4o',
        'x-railyard-tags': 'a, b',
      },
      want: {
        phase: 'pre_call',
        context: { teamAlias: 'eng', keyAlias: 'k1', model: 'gpt-4o', tags: ['a', 'b'] },
        messages: [
          { role: 'system', content: 's' },
          { role: 'user', content: 'u' },
        ],
      },
    },
    {
      note: '/response: one assistant message per choice; a null content reads as empty',
      phase: 'post_call',
      body: {
        body: {
          choices: [
            { message: { role: 'assistant', content: 'a' }, index: 0 },
            { message: { content: null } },
          ],
        },
      },
      headers: {},
      want: {
        phase: 'post_call',
        context: { teamAlias: undefined, keyAlias: undefined, model: undefined, tags: undefined },
        messages: [
          { role: 'assistant', content: 'a' },
          { role: 'assistant', content: '' },
        ],
      },
    },
  ] as const;
  for (const c of cases) {
    test(c.note, () =>
      expect(parseAgentgatewayRequest(c.phase, c.body, c.headers, H)).toEqual({ ok: true, value: c.want }),
    );
  }

  test('renamed headers are read, the defaults no longer', () => {
    const names = { ...H, team: 'x-team' };
    const got = parseAgentgatewayRequest(
      'pre_call',
      { body: { messages: [] } },
      { 'x-team': 'a', 'x-railyard-team': 'b' },
      names,
    );
    expect(got.ok && got.value.context.teamAlias).toBe('a');
  });

  const bad = [
    { note: 'no body', phase: 'pre_call', body: { messages: [] }, paths: ['body'] },
    {
      note: 'messages not a list',
      phase: 'pre_call',
      body: { body: { messages: {} } },
      paths: ['body.messages'],
    },
    {
      note: 'content not a string',
      phase: 'pre_call',
      body: { body: { messages: [{ role: 'user', content: [1] }] } },
      paths: ['body.messages[0].content'],
    },
    {
      note: 'a choice without message',
      phase: 'post_call',
      body: { body: { choices: [{}] } },
      paths: ['body.choices[0].message'],
    },
  ] as const;
  for (const c of bad) {
    test(`rejects ${c.note}`, () => {
      const got = parseAgentgatewayRequest(c.phase, c.body, {}, H);
      expect(got.ok ? [] : got.issues.map((i) => i.path)).toEqual(c.paths);
    });
  }
});

describe('agentgatewayAnswer', () => {
  const decision = (verdict: Decision['verdict'], masked = false): Decision => ({
    verdict,
    namespace: 'default',
    policies: [{ policyName: 'p1', policyId: 'id', versionNumber: 2, digest: 'd' }],
    guardrails: [{ guardrail: 'pii', via: 'policy:p1', outcome: 'pass', masked, durationMs: 0.1 }],
    external: [],
    durationMs: 1,
  });
  const mask = { kind: 'mask', messages: [{ role: 'assistant', content: '[EMAIL]' }] } as const;
  const cases = [
    {
      note: 'allow is a Pass naming the policies',
      phase: 'pre_call',
      d: decision({ kind: 'allow' }),
      want: { status: 200, body: { action: { reason: 'allowed by p1' } } },
    },
    {
      note: 'block is a Reject with 403',
      phase: 'pre_call',
      d: decision({ kind: 'block', message: 'no', policy: 'p1', guardrail: 'pii' }),
      want: { status: 200, body: { action: { body: 'no', status_code: 403, reason: 'blocked by p1/pii' } } },
    },
    {
      note: 'mask on /request replaces the messages',
      phase: 'pre_call',
      d: decision(mask, true),
      want: {
        status: 200,
        body: {
          action: {
            body: { messages: [{ role: 'assistant', content: '[EMAIL]' }] },
            reason: 'masked by pii',
          },
        },
      },
    },
    {
      note: 'mask on /response replaces the choices',
      phase: 'post_call',
      d: decision(mask, true),
      want: {
        status: 200,
        body: {
          action: {
            body: { choices: [{ message: { role: 'assistant', content: '[EMAIL]' } }] },
            reason: 'masked by pii',
          },
        },
      },
    },
    {
      note: 'cannot decide has no action, so failureMode applies',
      phase: 'pre_call',
      d: decision({ kind: 'cannot_decide', reason: 'r' }),
      want: { status: 503, body: { error: 'Railyard cannot decide: r' } },
    },
  ] as const;
  for (const c of cases) test(c.note, () => expect(agentgatewayAnswer(c.phase, c.d)).toEqual(c.want));

  const block = decision({ kind: 'block', message: 'no', policy: 'p1', guardrail: 'pii' });
  test('with responseBlock mask, a block on /response empties every choice', () => {
    expect(agentgatewayAnswer('post_call', block, { as: 'mask', choices: 2 })).toEqual({
      status: 200,
      body: {
        action: {
          body: {
            choices: [
              { message: { role: 'assistant', content: '' } },
              { message: { role: 'assistant', content: '' } },
            ],
          },
          reason: 'blocked by p1/pii: no',
        },
      },
    });
  });
  test('with responseBlock mask, a block on /request is still a Reject', () => {
    expect(agentgatewayAnswer('pre_call', block, { as: 'mask', choices: 1 })).toEqual(
      agentgatewayAnswer('pre_call', block),
    );
  });

  const refusal = decision({ kind: 'modify_response', message: 'Not here.', policy: 'p1', guardrail: 'pii' });
  test('modify_response on /response: every choice carries the message (a Mask)', () => {
    expect(agentgatewayAnswer('post_call', refusal, { as: 'reject', choices: 2 })).toEqual({
      status: 200,
      body: {
        action: {
          body: {
            choices: [
              { message: { role: 'assistant', content: 'Not here.' } },
              { message: { role: 'assistant', content: 'Not here.' } },
            ],
          },
          reason: 'modified by p1/pii',
        },
      },
    });
  });
  test('modify_response on /request: a Reject with the message, the model is not called', () => {
    expect(agentgatewayAnswer('pre_call', refusal)).toEqual({
      status: 200,
      body: { action: { body: 'Not here.', status_code: 403, reason: 'modified by p1/pii' } },
    });
  });
});
