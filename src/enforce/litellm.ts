/**
 * The wire adapter for LiteLLM's Generic Guardrail API: the request
 * body in (the current `texts` form and the original v1 `text` form), the answer out. Pure.
 */
import type { Checked, Message, RequestContext } from '../engine/index.ts';
import type { Phase, Verdict } from './decision.ts';
import { isObject, type Json, tagList, WireReader } from './wire-read.ts';

/** One guardrail call as Railyard reads it. `messages` has one message per text, in order. */
export type LitellmCall = {
  /** `v1`: `{text, request_body}`, answered `{action, blocked_reason, text}`. */
  readonly form: 'v1' | 'v2';
  readonly phase: Phase;
  readonly callId?: string;
  /** The body's `model`: the model group at pre_call, the provider's id at post_call. */
  readonly model?: string;
  /** Team and key from `request_data` (set by LiteLLM's authentication), tags; no model. */
  readonly context: Omit<RequestContext, 'model'>;
  readonly messages: readonly Message[];
  /**
   * Whether the body had `texts` (LiteLLM's `exclude_payload_fields: [texts]` leaves them out; the
   * messages are then the text segments of `structured_messages`, and a mask is answered there
   * only: LiteLLM refuses a rewrite of a field it did not send).
   */
  readonly textsSent: boolean;
  /**
   * The request's `structured_messages` when their text segments line up one for one with
   * `texts`: a mask is then also answered in that shape (newest LiteLLM; the only way it can
   * rewrite `/v1/responses` input message by message).
   */
  readonly structured?: readonly Json[];
};

export type LitellmReadOptions = {
  /**
   * Match team attachments on `user_api_key_team_id` when a key's team has no alias. LiteLLM
   * matches team aliases only, so the default is false (`--litellm-team-id-fallback`).
   */
  readonly teamIdFallback?: boolean;
};

export type WireAnswer = { readonly status: number; readonly body: unknown };

const PHASES: Readonly<Record<string, Phase>> = { request: 'pre_call', response: 'post_call' };

/**
 * Reads a guardrail request. The form is v1 when the body has a string `text` and no `texts`.
 * Context: team = `request_data.user_api_key_team_alias` (with `opts.teamIdFallback`, else
 * `…_team_id`); key =
 * `request_data.user_api_key_alias`; tags = `request_headers["x-litellm-tags"]` (comma list), else
 * `additional_provider_specific_params.tags` (list or comma list). Messages: on a request, the
 * roles come from `structured_messages` when its text segments line up one for one with `texts`;
 * otherwise every text is a `user` message (`assistant` on a response). Without `texts` (LiteLLM's
 * `exclude_payload_fields`), the messages are the text segments of `structured_messages`. `null`
 * is absent, unknown fields are ignored; a wrong type is an issue naming the field. Never throws.
 */
export function parseLitellmRequest(body: unknown, opts: LitellmReadOptions = {}): Checked<LitellmCall> {
  const r = new WireReader();
  if (!isObject(body)) {
    r.issue('body', 'must be a JSON object');
    return { ok: false, issues: r.issues };
  }
  const params = r.object(body.additional_provider_specific_params, 'additional_provider_specific_params');
  const paramTags = params?.tags;
  const extraTags =
    typeof paramTags === 'string'
      ? tagList(paramTags)
      : tagList(r.strings(paramTags, 'additional_provider_specific_params.tags'));

  if (typeof body.text === 'string' && (body.texts === undefined || body.texts === null)) {
    const request = r.object(body.request_body, 'request_body');
    const model = r.string(request?.model, 'request_body.model');
    const call: LitellmCall = {
      form: 'v1',
      phase: 'pre_call',
      ...(model ? { model } : {}),
      context: { tags: extraTags },
      messages: [{ role: 'user', content: body.text }],
      textsSent: true,
    };
    return r.issues.length > 0 ? { ok: false, issues: r.issues } : { ok: true, value: call };
  }

  const inputType = r.string(body.input_type, 'input_type');
  const phase = inputType === undefined ? undefined : PHASES[inputType];
  if (phase === undefined) r.issue('input_type', 'must be "request" or "response"');
  const sentTexts = r.strings(body.texts, 'texts');
  const data = r.object(body.request_data, 'request_data');
  const headers = r.object(body.request_headers, 'request_headers');
  const headerTags = headers ? headerValue(headers, 'x-litellm-tags') : undefined;
  const callId = r.string(body.litellm_call_id, 'litellm_call_id');
  const model = r.string(body.model, 'model');
  const teamAlias = r.string(data?.user_api_key_team_alias, 'request_data.user_api_key_team_alias');
  const teamId = r.string(data?.user_api_key_team_id, 'request_data.user_api_key_team_id');
  const context = {
    teamAlias: teamAlias ?? (opts.teamIdFallback ? teamId : undefined),
    keyAlias: r.string(data?.user_api_key_alias, 'request_data.user_api_key_alias'),
    tags: tagList(headerTags) ?? extraTags,
  };
  const structured =
    phase === 'pre_call' ? r.list(body.structured_messages, 'structured_messages') : undefined;
  const segments = segmentsOf(structured);
  const texts = sentTexts ?? segments?.map((seg) => seg.text) ?? [];
  const roles = segments?.map((seg) => seg.role);
  const fallback = phase === 'post_call' ? 'assistant' : 'user';
  const aligned = roles !== undefined && roles.length === texts.length;
  if (r.issues.length > 0 || phase === undefined) return { ok: false, issues: r.issues };
  return {
    ok: true,
    value: {
      form: 'v2',
      phase,
      ...(callId ? { callId } : {}),
      ...(model ? { model } : {}),
      context,
      messages: texts.map((content, i) => ({ role: aligned ? (roles[i] ?? fallback) : fallback, content })),
      textsSent: sentTexts !== undefined,
      ...(aligned ? { structured: structured as Json[] } : {}),
    },
  };
}

/** A header by name, whatever its case; `[present]` (LiteLLM's mark for a withheld value) is absent. */
function headerValue(headers: Json, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name && typeof v === 'string' && v !== '[present]') return v;
  }
  return undefined;
}

/**
 * Every text segment of OpenAI-format messages with its role, in LiteLLM's `texts` order: a
 * string `content` is one segment, each part with a string `text` of a list `content` is one.
 * Undefined when the list is absent or not made of messages.
 */
function segmentsOf(messages: unknown[] | undefined): { role: string; text: string }[] | undefined {
  if (messages === undefined) return undefined;
  const out: { role: string; text: string }[] = [];
  for (const m of messages) {
    if (!isObject(m) || typeof m.role !== 'string') return undefined;
    const content = m.content;
    if (typeof content === 'string') out.push({ role: m.role, text: content });
    else if (Array.isArray(content)) {
      for (const part of content)
        if (isObject(part) && typeof part.text === 'string') out.push({ role: m.role, text: part.text });
    }
  }
  return out;
}

/**
 * The answer to one call (§4.3), all HTTP 200 but cannot-decide:
 * - allow: `{"action":"NONE"}`, never with texts;
 * - block: `{"action":"BLOCKED","blocked_reason"}`;
 * - mask: `{"action":"GUARDRAIL_INTERVENED"}` with exactly one text per text received, in order
 *   (v1: `text`), and `structured_messages` in the shape received when the call had them (see
 *   `LitellmCall.structured`); only the fields LiteLLM sent are answered (it refuses a rewrite of a
 *   field it left out);
 * - modify_response: on a response, an intervention whose every text is the pipeline's message
 *   (LiteLLM's own pipeline answers the caller with it as the completion); on a request, where no
 *   answer can stand in for the model's, `BLOCKED` with the message (the model is not called; the
 *   caller gets it as an HTTP 400 error);
 * - cannot decide: HTTP 503, so LiteLLM's `unreachable_fallback` applies.
 * On a response an intervention also carries `stream_holdback_chars`, one number per text: the
 * characters at its end that may still be growing (the last word, when the text does not end in
 * a space), which LiteLLM's `incremental_diff` streaming holds back until the next round; others
 * ignore it.
 */
export function litellmAnswer(call: AnsweredCall, verdict: Verdict): WireAnswer {
  switch (verdict.kind) {
    case 'allow':
      return { status: 200, body: { action: 'NONE' } };
    case 'block':
      return { status: 200, body: { action: 'BLOCKED', blocked_reason: verdict.message } };
    case 'mask':
      return intervention(
        call,
        verdict.messages.map((m) => m.content),
        (t) => trailingWord(t),
      );
    case 'modify_response':
      if (call.phase === 'pre_call' || call.form === 'v1')
        return { status: 200, body: { action: 'BLOCKED', blocked_reason: verdict.message } };
      return intervention(
        call,
        call.messages.map(() => verdict.message),
        () => 0,
      );
    case 'cannot_decide':
      return { status: 503, body: { detail: `Railyard cannot decide: ${verdict.reason}` } };
  }
}

/** What an answer needs to know of its call. */
export type AnsweredCall = Pick<LitellmCall, 'form' | 'structured' | 'phase' | 'textsSent' | 'messages'>;

function intervention(
  call: AnsweredCall,
  texts: readonly string[],
  holdback: (text: string) => number,
): WireAnswer {
  if (call.form === 'v1')
    return { status: 200, body: { action: 'GUARDRAIL_INTERVENED', text: texts[0] ?? '' } };
  return {
    status: 200,
    body: {
      action: 'GUARDRAIL_INTERVENED',
      ...(call.textsSent ? { texts } : {}),
      ...(call.structured ? { structured_messages: withTexts(call.structured, texts) } : {}),
      ...(call.phase === 'post_call' ? { stream_holdback_chars: texts.map(holdback) } : {}),
    },
  };
}

/** Longest word a stream may still be writing, in characters; longer tails are let through. */
const MAX_HOLDBACK = 64;

/** The characters after the last whitespace, when the text does not end in whitespace. */
function trailingWord(text: string): number {
  const match = /\S+$/u.exec(text);
  return match ? Math.min([...match[0]].length, MAX_HOLDBACK) : 0;
}

/**
 * `messages` with their text segments (in `segmentRoles` order) replaced by `texts`, everything
 * else as received: same messages, same order, same shape.
 */
function withTexts(messages: readonly Json[], texts: readonly string[]): Json[] {
  let next = 0;
  const take = (): string => texts[next++] ?? '';
  return messages.map((m) => {
    if (typeof m.content === 'string') return { ...m, content: take() };
    if (!Array.isArray(m.content)) return m;
    const content = m.content.map((part: unknown) =>
      isObject(part) && typeof part.text === 'string' ? { ...part, text: take() } : part,
    );
    return { ...m, content };
  });
}
