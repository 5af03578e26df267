import { describe, expect, test } from 'vitest';
import { benchmarkCall } from '../../../bench/benchmark-call.ts';
import {
  AGENTGATEWAY_HEADER_DEFAULTS,
  parseAgentgatewayRequest,
  parseLitellmRequest,
} from '../../../src/enforce/index.ts';

describe('benchmarkCall', () => {
  const call = benchmarkCall();

  test('the prompt is 2 KB', () => {
    expect(Buffer.byteLength(call.decision.messages[1]?.content ?? '')).toBe(2048);
  });

  test('both wire forms read back as the same decision input', () => {
    const litellm = parseLitellmRequest(call.litellm);
    expect(litellm.ok && { ...litellm.value.context, model: litellm.value.model }).toEqual({
      teamAlias: 'healthcare-team',
      keyAlias: 'bench-key',
      tags: undefined,
      model: 'gpt-4o',
    });
    expect(litellm.ok && litellm.value.messages).toEqual(call.decision.messages);
    const gateway = parseAgentgatewayRequest(
      'pre_call',
      call.agentgateway,
      call.headers,
      AGENTGATEWAY_HEADER_DEFAULTS,
    );
    expect(gateway.ok && gateway.value.messages).toEqual(call.decision.messages);
    expect(gateway.ok && gateway.value.context.teamAlias).toBe('healthcare-team');
  });
});
