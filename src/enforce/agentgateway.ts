/**
 * The wire adapter for agentgateway's (and kgateway's) guardrail webhook: `/request` and
 * `/response` bodies and context headers in, a Pass, Mask or Reject action out.
 * Pure.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Checked, Message, RequestContext } from '../engine/index.ts';
import type { Decision, Phase } from './decision.ts';
import type { WireAnswer } from './litellm.ts';
import { isObject, tagList, WireReader } from './wire-read.ts';

/** Names of the headers the gateway sets (from its CEL `headers`: `apiKey.*`, `jwt.*`, `llmRequest.model`). */
export type AgentgatewayHeaderNames = {
  readonly team: string;
  readonly keyAlias: string;
  readonly model: string;
  readonly tags: string;
  /** The gateway's shared secret; `Authorization: Bearer` works too. */
  readonly token: string;
};

export const AGENTGATEWAY_HEADER_DEFAULTS: AgentgatewayHeaderNames = {
  team: 'x-railyard-team',
  keyAlias: 'x-railyard-key-alias',
  model: 'x-railyard-model',
  tags: 'x-railyard-tags',
  token: 'x-railyard-token',
};

export type AgentgatewayCall = {
  readonly phase: Phase;
  readonly context: RequestContext;
  /** `/request`: every message; `/response`: one assistant message per choice. */
  readonly messages: readonly Message[];
};

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
};

/**
 * Reads one webhook call: `{"body":{"messages":[{role,content}]}}` on `/request`,
 * `{"body":{"choices":[{"message":{role,content}}]}}` on `/response`; the context from the
 * configured headers (tags: a comma list). A `null` content reads as empty; unknown fields are
 * ignored; a wrong type is an issue naming its path. Never throws.
 */
export function parseAgentgatewayRequest(
  phase: Phase,
  body: unknown,
  headers: IncomingHttpHeaders,
  names: AgentgatewayHeaderNames,
): Checked<AgentgatewayCall> {
  const r = new WireReader();
  const inner = isObject(body) ? r.object(body.body, 'body') : undefined;
  if (!inner) r.issue('body', 'must be {"body": {...}}');
  const items =
    phase === 'pre_call'
      ? (r.list(inner?.messages, 'body.messages') ?? []).map((m, i) => ({ m, path: `body.messages[${i}]` }))
      : (r.list(inner?.choices, 'body.choices') ?? []).map((c, i) => ({
          m: isObject(c) ? c.message : c,
          path: `body.choices[${i}].message`,
        }));
  const messages: Message[] = [];
  for (const { m, path } of items) {
    if (!isObject(m)) {
      r.issue(path, 'must be {"role", "content"}');
      continue;
    }
    const role = r.string(m.role, `${path}.role`) ?? (phase === 'pre_call' ? 'user' : 'assistant');
    const content = m.content === null || m.content === undefined ? '' : m.content;
    if (typeof content === 'string') messages.push({ role, content });
    else r.issue(`${path}.content`, 'must be a string');
  }
  if (r.issues.length > 0) return { ok: false, issues: r.issues };
  return {
    ok: true,
    value: {
      phase,
      context: {
        teamAlias: header(headers, names.team),
        keyAlias: header(headers, names.keyAlias),
        model: header(headers, names.model),
        tags: tagList(header(headers, names.tags)),
      },
      messages,
    },
  };
}

/** The headers to authenticate: the gateway's token header as a bearer token, else the request's own. */
export function credentialHeaders(
  headers: IncomingHttpHeaders,
  names: AgentgatewayHeaderNames,
): IncomingHttpHeaders {
  const token = header(headers, names.token);
  return token === undefined ? headers : { authorization: `Bearer ${token}` };
}

/**
 * How a block is answered on `/response`: `reject` (agentgateway), or `mask`, every choice
 * emptied, for kgateway and Gloo AI Gateway, which accept only Pass and Mask there and would
 * otherwise take a Reject for an invalid answer and fall back on their failure mode.
 */
export type ResponseBlock = 'reject' | 'mask';

/**
 * The answer (§4.3), always a JSON body: allow `{"action":{"reason"}}`; block (Reject)
 * `{"action":{"body":<message>,"status_code":403,"reason"}}`, or on `/response` with
 * `responseBlock: 'mask'` a Mask of `choices` empty choices; mask `{"action":{"body":{"messages"}}}`
 * on `/request` (every message, in order, same roles) or `{"action":{"body":{"choices"}}}` on
 * `/response` (one per choice). Cannot decide is HTTP 503 with `{"error"}` and no `action`, so the
 * gateway's `failureMode` applies (the gateway ignores the status; the body decides).
 */
export function agentgatewayAnswer(
  phase: Phase,
  decision: Decision,
  responseBlock: { readonly as: ResponseBlock; readonly choices: number } = { as: 'reject', choices: 1 },
): WireAnswer {
  const verdict = decision.verdict;
  switch (verdict.kind) {
    case 'allow': {
      const names = decision.policies.map((p) => p.policyName);
      const reason = names.length > 0 ? `allowed by ${names.join(', ')}` : 'no policy applies';
      return { status: 200, body: { action: { reason } } };
    }
    case 'block': {
      const by = verdict.guardrail ? `${verdict.policy}/${verdict.guardrail}` : verdict.policy;
      if (phase === 'post_call' && responseBlock.as === 'mask') {
        const choices = Array.from({ length: responseBlock.choices }, () => ({
          message: { role: 'assistant', content: '' },
        }));
        return {
          status: 200,
          body: { action: { body: { choices }, reason: `blocked by ${by}: ${verdict.message}` } },
        };
      }
      return {
        status: 200,
        body: { action: { body: verdict.message, status_code: 403, reason: `blocked by ${by}` } },
      };
    }
    case 'mask': {
      const plain = verdict.messages.map((m) => ({ role: m.role, content: m.content }));
      const by = [...new Set(decision.guardrails.filter((g) => g.masked).map((g) => g.guardrail))];
      const reason = `masked by ${by.join(', ')}`;
      const body =
        phase === 'pre_call' ? { messages: plain } : { choices: plain.map((message) => ({ message })) };
      return { status: 200, body: { action: { body, reason } } };
    }
    case 'modify_response': {
      // The pipeline's message stands in for the model's answer: every choice carries it on
      // `/response`; on `/request` the model is not called and the caller gets the message.
      const by = verdict.guardrail ? `${verdict.policy}/${verdict.guardrail}` : verdict.policy;
      if (phase === 'post_call') {
        const choices = Array.from({ length: responseBlock.choices }, () => ({
          message: { role: 'assistant', content: verdict.message },
        }));
        return { status: 200, body: { action: { body: { choices }, reason: `modified by ${by}` } } };
      }
      return {
        status: 200,
        body: { action: { body: verdict.message, status_code: 403, reason: `modified by ${by}` } },
      };
    }
    case 'cannot_decide':
      return { status: 503, body: { error: `Railyard cannot decide: ${verdict.reason}` } };
  }
}
