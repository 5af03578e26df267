import { describe, expect, test } from 'vitest';
import { litellmAnswer, parseLitellmRequest } from '../../../src/enforce/index.ts';

const PRE_CALL = {
  input_type: 'request',
  litellm_call_id: 'c-81f',
  litellm_trace_id: 't-22a',
  model: 'gpt-4o',
  texts: ['You are terse.', 'My SSN is 123-45-6789', 'see', 'this'],
  images: null,
  tools: null,
  tool_calls: null,
  structured_messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'My SSN is 123-45-6789' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'see' },
        { type: 'image_url', image_url: { url: 'x' } },
        { type: 'text', text: 'this' },
      ],
    },
  ],
  request_data: {
    user_api_key_alias: 'billing-bot',
    user_api_key_team_alias: 'payments',
    user_api_key_team_id: 't_9',
    user_api_key_hash: '88ab',
  },
  request_headers: {
    'user-agent': 'OpenAI/Python 1.99',
    'x-litellm-tags': 'prod, pci',
    authorization: '[present]',
  },
  litellm_version: '1.8x.y',
  additional_provider_specific_params: { railyard_env: 'prod', tags: ['ignored-when-header'] },
  some_future_field: { anything: true },
};

describe('parseLitellmRequest', () => {
  const cases = [
    {
      note: 'current form: context from request_data and the tags header; roles from structured_messages parts',
      body: PRE_CALL,
      want: {
        form: 'v2',
        phase: 'pre_call',
        callId: 'c-81f',
        model: 'gpt-4o',
        context: { teamAlias: 'payments', keyAlias: 'billing-bot', tags: ['prod', 'pci'] },
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'My SSN is 123-45-6789' },
          { role: 'user', content: 'see' },
          { role: 'user', content: 'this' },
        ],
        textsSent: true,
        structured: PRE_CALL.structured_messages,
      },
    },
    {
      note: 'nulls are absent: no team alias, no team (LiteLLM matches aliases only), tags from the params, texts as user messages',
      body: {
        input_type: 'request',
        texts: ['a', 'b'],
        structured_messages: null,
        model: null,
        litellm_call_id: null,
        request_data: {
          user_api_key_team_alias: null,
          user_api_key_team_id: 't_9',
          user_api_key_alias: null,
        },
        request_headers: null,
        additional_provider_specific_params: { tags: 'eu-west,beta' },
      },
      want: {
        form: 'v2',
        phase: 'pre_call',
        context: { teamAlias: undefined, keyAlias: undefined, tags: ['eu-west', 'beta'] },
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ],
        textsSent: true,
      },
    },
    {
      note: 'a response: each text is an assistant answer',
      body: { input_type: 'response', texts: ['hi'], model: 'gpt-4o-2024-08-06', request_data: {} },
      want: {
        form: 'v2',
        phase: 'post_call',
        model: 'gpt-4o-2024-08-06',
        context: { teamAlias: undefined, keyAlias: undefined, tags: undefined },
        messages: [{ role: 'assistant', content: 'hi' }],
        textsSent: true,
      },
    },
    {
      note: 'structured messages that do not line up with texts give no roles',
      body: {
        input_type: 'request',
        texts: ['a', 'b'],
        structured_messages: [{ role: 'system', content: 'a' }],
      },
      want: expect.objectContaining({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ],
      }),
    },
    {
      note: 'the original single-text form',
      body: { text: 'hello', request_body: { model: 'gpt-4o' }, additional_provider_specific_params: {} },
      want: {
        form: 'v1',
        phase: 'pre_call',
        model: 'gpt-4o',
        context: { tags: undefined },
        messages: [{ role: 'user', content: 'hello' }],
        textsSent: true,
      },
    },
  ];
  for (const c of cases)
    test(c.note, () => expect(parseLitellmRequest(c.body)).toEqual({ ok: true, value: c.want }));

  test('--litellm-team-id-fallback matches the team id when the key has no team alias', () => {
    const body = { input_type: 'request', texts: ['a'], request_data: { user_api_key_team_id: 't_9' } };
    expect(parseLitellmRequest(body)).toMatchObject({
      ok: true,
      value: { context: { teamAlias: undefined } },
    });
    expect(parseLitellmRequest(body, { teamIdFallback: true })).toMatchObject({
      ok: true,
      value: { context: { teamAlias: 't_9' } },
    });
    const both = { ...body, request_data: { user_api_key_team_id: 't_9', user_api_key_team_alias: 'pay' } };
    expect(parseLitellmRequest(both, { teamIdFallback: true })).toMatchObject({
      value: { context: { teamAlias: 'pay' } },
    });
  });

  test('without texts (exclude_payload_fields), the texts are the segments of structured_messages', () => {
    const { texts: _, ...body } = PRE_CALL;
    const got = parseLitellmRequest(body);
    expect(got).toMatchObject({
      ok: true,
      value: {
        textsSent: false,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'My SSN is 123-45-6789' },
          { role: 'user', content: 'see' },
          { role: 'user', content: 'this' },
        ],
        structured: PRE_CALL.structured_messages,
      },
    });
  });

  const bad = [
    { note: 'not an object', body: [1], paths: ['body'] },
    { note: 'unknown input_type', body: { input_type: 'stream', texts: [] }, paths: ['input_type'] },
    { note: 'texts of the wrong type', body: { input_type: 'request', texts: 'x' }, paths: ['texts'] },
    {
      note: 'a team alias that is not a string',
      body: { input_type: 'request', texts: [], request_data: { user_api_key_team_alias: 5 } },
      paths: ['request_data.user_api_key_team_alias'],
    },
  ];
  for (const c of bad) {
    test(`rejects ${c.note}`, () => {
      const got = parseLitellmRequest(c.body);
      expect(got.ok).toBe(false);
      if (!got.ok) expect(got.issues.map((i) => i.path)).toEqual(c.paths);
    });
  }
});

describe('litellmAnswer', () => {
  const masked = {
    kind: 'mask',
    messages: [
      { role: 'system', content: 'x' },
      { role: 'user', content: '[EMAIL]' },
    ],
  } as const;
  const cases = [
    {
      note: 'allow is NONE with nothing else',
      form: 'v2',
      verdict: { kind: 'allow' },
      want: { status: 200, body: { action: 'NONE' } },
    },
    {
      note: 'block carries the reason',
      form: 'v2',
      verdict: { kind: 'block', message: 'no', policy: 'p' },
      want: { status: 200, body: { action: 'BLOCKED', blocked_reason: 'no' } },
    },
    {
      note: 'mask answers every text in order',
      form: 'v2',
      verdict: masked,
      want: { status: 200, body: { action: 'GUARDRAIL_INTERVENED', texts: ['x', '[EMAIL]'] } },
    },
    {
      note: 'v1 mask answers one text',
      form: 'v1',
      verdict: { kind: 'mask', messages: [{ role: 'user', content: '[EMAIL]' }] },
      want: { status: 200, body: { action: 'GUARDRAIL_INTERVENED', text: '[EMAIL]' } },
    },
    {
      note: 'cannot decide is a 503 so unreachable_fallback applies',
      form: 'v2',
      verdict: { kind: 'cannot_decide', reason: 'overloaded' },
      want: { status: 503, body: { detail: 'Railyard cannot decide: overloaded' } },
    },
  ] as const;
  const call = (form: 'v1' | 'v2', phase: 'pre_call' | 'post_call' = 'pre_call', n = 2) => ({
    form,
    phase,
    textsSent: true,
    messages: Array.from({ length: n }, (_, i) => ({ role: 'user', content: `t${i}` })),
  });
  for (const c of cases) test(c.note, () => expect(litellmAnswer(call(c.form), c.verdict)).toEqual(c.want));

  const refusal = {
    kind: 'modify_response',
    message: 'Request refused',
    policy: 'p',
    guardrail: 'g',
  } as const;
  test('modify_response on a response: every text is the message, nothing held back (LiteLLM answers 200 with it)', () => {
    expect(litellmAnswer(call('v2', 'post_call', 2), refusal)).toEqual({
      status: 200,
      body: {
        action: 'GUARDRAIL_INTERVENED',
        texts: ['Request refused', 'Request refused'],
        stream_holdback_chars: [0, 0],
      },
    });
  });

  test('modify_response on a request: BLOCKED with the message (the model is not called)', () => {
    expect(litellmAnswer(call('v2', 'pre_call'), refusal)).toEqual({
      status: 200,
      body: { action: 'BLOCKED', blocked_reason: 'Request refused' },
    });
  });

  test("a mask on a response holds back each text's unfinished last word for streams", () => {
    const verdict = {
      kind: 'mask',
      messages: [
        { role: 'assistant', content: 'call [PHONE] or 555-12' },
        { role: 'assistant', content: 'done. ' },
      ],
    } as const;
    expect(litellmAnswer(call('v2', 'post_call', 2), verdict).body).toEqual({
      action: 'GUARDRAIL_INTERVENED',
      texts: ['call [PHONE] or 555-12', 'done. '],
      stream_holdback_chars: [6, 0],
    });
  });

  test('a mask of a call that sent no texts answers only structured_messages', () => {
    const { texts: _, ...body } = PRE_CALL;
    const parsed = parseLitellmRequest(body);
    if (!parsed.ok) throw new Error('fixture does not parse');
    const verdict = {
      kind: 'mask',
      messages: parsed.value.messages.map((m, i) => ({
        ...m,
        content: i === 1 ? 'My SSN is [SSN]' : m.content,
      })),
    } as const;
    const answered = litellmAnswer(parsed.value, verdict).body as Record<string, unknown>;
    expect(answered.texts).toBeUndefined();
    expect(answered.structured_messages).toEqual([
      PRE_CALL.structured_messages[0],
      { role: 'user', content: 'My SSN is [SSN]' },
      PRE_CALL.structured_messages[2],
    ]);
  });

  test('a mask of a call with structured_messages also answers them, same shape, texts replaced in order', () => {
    const call = parseLitellmRequest(PRE_CALL);
    if (!call.ok) throw new Error('fixture does not parse');
    const verdict = {
      kind: 'mask',
      messages: ['You are terse.', 'My SSN is [SSN]', 'see', 'this'].map((content) => ({
        role: 'user',
        content,
      })),
    } as const;
    expect(litellmAnswer(call.value, verdict).body).toEqual({
      action: 'GUARDRAIL_INTERVENED',
      texts: ['You are terse.', 'My SSN is [SSN]', 'see', 'this'],
      structured_messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'My SSN is [SSN]' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'see' },
            { type: 'image_url', image_url: { url: 'x' } },
            { type: 'text', text: 'this' },
          ],
        },
      ],
    });
  });

  test('structured_messages that do not line up with texts are not answered', () => {
    const call = parseLitellmRequest({ ...PRE_CALL, texts: ['only one'] });
    if (!call.ok) throw new Error('fixture does not parse');
    expect(call.value.structured).toBeUndefined();
    const verdict = { kind: 'mask', messages: [{ role: 'user', content: '[X]' }] } as const;
    expect(litellmAnswer(call.value, verdict).body).toEqual({
      action: 'GUARDRAIL_INTERVENED',
      texts: ['[X]'],
    });
  });
});
