import { describe, expect, test } from 'vitest';
import { validatePipeline } from '../../../src/http/index.ts';

describe('validatePipeline (the API body)', () => {
  const ok = [
    {
      note: 'defaults filled in',
      raw: { mode: 'pre_call', steps: [{ guardrail: 'a' }] },
      want: {
        mode: 'pre_call',
        steps: [{ guardrail: 'a', onPass: 'allow', onFail: 'block', passData: false }],
      },
    },
    {
      note: 'every field, snake_case in, camelCase out',
      raw: {
        mode: 'post_call',
        steps: [
          {
            guardrail: 'a',
            on_pass: 'next',
            on_fail: 'modify_response',
            on_error: 'block',
            pass_data: true,
            modify_response_message: 'no',
          },
        ],
      },
      want: {
        mode: 'post_call',
        steps: [
          {
            guardrail: 'a',
            onPass: 'next',
            onFail: 'modify_response',
            onError: 'block',
            passData: true,
            modifyResponseMessage: 'no',
          },
        ],
      },
    },
    {
      note: 'null means unset',
      raw: { mode: 'pre_call', steps: [{ guardrail: 'a', on_error: null, modify_response_message: null }] },
      want: {
        mode: 'pre_call',
        steps: [{ guardrail: 'a', onPass: 'allow', onFail: 'block', passData: false }],
      },
    },
  ];
  for (const c of ok)
    test(c.note, () => expect(validatePipeline(c.raw)).toEqual({ ok: true, value: c.want }));

  const bad = [
    {
      note: 'bad action, reference message',
      raw: { mode: 'pre_call', steps: [{ guardrail: 'a', on_fail: 'drop' }] },
      want: [
        [
          'pipeline.steps[0].on_fail',
          "Invalid action 'drop'. Must be one of: ['allow', 'block', 'modify_response', 'next']",
        ],
      ],
    },
    {
      note: 'bad mode, reference message',
      raw: { mode: 'during_call', steps: [{ guardrail: 'a' }] },
      want: [['pipeline.mode', "Invalid mode 'during_call'. Must be one of: ['post_call', 'pre_call']"]],
    },
    {
      note: 'mode is required on the API path',
      raw: { steps: [{ guardrail: 'a' }] },
      want: [['pipeline.mode', "is required: one of ['post_call', 'pre_call']"]],
    },
    {
      note: 'at least one step',
      raw: { mode: 'pre_call', steps: [] },
      want: [['pipeline.steps', 'must be a list with at least one step']],
    },
    {
      note: 'unknown fields are rejected at both levels',
      raw: { mode: 'pre_call', name: 'x', steps: [{ guardrail: 'a', num_retries: 2 }] },
      want: [
        ['pipeline.name', 'unknown field; allowed: mode, steps'],
        [
          'pipeline.steps[0].num_retries',
          'unknown field; allowed: guardrail, on_pass, on_fail, on_error, pass_data, modify_response_message',
        ],
      ],
    },
    {
      note: 'every problem is reported with its own path',
      raw: { mode: 'pre_call', steps: [{ guardrail: 'a' }, { on_error: 'retry', pass_data: 'yes' }] },
      want: [
        ['pipeline.steps[1].guardrail', 'is required: a guardrail name'],
        ['pipeline.steps[1].pass_data', 'must be true or false'],
        [
          'pipeline.steps[1].on_error',
          "Invalid action 'retry'. Must be one of: ['allow', 'block', 'modify_response', 'next']",
        ],
      ],
    },
    {
      note: 'not an object',
      raw: 'pre_call',
      want: [['pipeline', 'must be an object with `mode` and `steps`']],
    },
  ];
  for (const c of bad)
    test(c.note, () => {
      const r = validatePipeline(c.raw);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.issues.map((i) => [i.path, i.message])).toEqual(c.want);
        expect(new Set(r.issues.map((i) => i.code))).toEqual(new Set(['invalid_pipeline']));
      }
    });

  test('the path prefix is the caller’s', () => {
    const r = validatePipeline({ mode: 'x', steps: [{ guardrail: 'a' }] }, 'spec.pipeline');
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual(['spec.pipeline.mode']);
  });
});
