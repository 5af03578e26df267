/**
 * One realistic enforcement call with a 2 KB prompt, in the decision's form and
 * in both proxies' wire forms, so a benchmark can time the decision alone or the whole route.
 */
import type { DecisionInput } from '../src/enforce/index.ts';

export type BenchmarkCall = {
  readonly decision: DecisionInput;
  /** Body for `POST /litellm/beta/litellm_basic_guardrail_api` (current form, nulls for absent fields). */
  readonly litellm: Readonly<Record<string, unknown>>;
  /** Body for `POST /agentgateway/request`; send `headers` with it (plus the token). */
  readonly agentgateway: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
};

const SENTENCE = 'The patient reported mild symptoms after the visit and asked for a summary of the plan. ';

/**
 * A pre-call of team `team` (default `healthcare-team`, whose examples/ pipeline masks then checks
 * for injection) with a system prompt and a user prompt of `promptBytes` bytes (default 2048) that
 * holds one e-mail address, so a masking policy has work to do. Deterministic.
 */
export function benchmarkCall(opts: { team?: string; promptBytes?: number } = {}): BenchmarkCall {
  const team = opts.team ?? 'healthcare-team';
  const size = opts.promptBytes ?? 2048;
  const head = 'Contact: jane.doe@example.com. ';
  const prompt = (head + SENTENCE.repeat(Math.ceil(size / SENTENCE.length))).slice(0, size);
  const system = 'You are a careful clinical assistant.';
  const messages = [
    { role: 'system', content: system },
    { role: 'user', content: prompt },
  ];
  return {
    decision: { context: { teamAlias: team, model: 'gpt-4o' }, phase: 'pre_call', messages },
    litellm: {
      input_type: 'request',
      litellm_call_id: 'bench-call',
      litellm_trace_id: null,
      model: 'gpt-4o',
      texts: [system, prompt],
      images: null,
      tools: null,
      tool_calls: null,
      structured_messages: messages,
      request_data: { user_api_key_team_alias: team, user_api_key_alias: 'bench-key' },
      request_headers: null,
      litellm_version: null,
      additional_provider_specific_params: {},
    },
    agentgateway: { body: { messages } },
    headers: { 'x-railyard-team': team, 'x-railyard-model': 'gpt-4o' },
  };
}
