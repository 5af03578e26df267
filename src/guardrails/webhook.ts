/**
 * `webhook`: asks an HTTP endpoint for the verdict. Config `{ url, timeoutMs? (default 1000,
 * at most 60000), headers? }`.
 *
 * Wire contract (version 1):
 * - Request: `POST <url>` with `content-type: application/json`, the configured headers, and the body
 *   `{ "guardrail": "<name>", "mode": "pre_call" | "post_call", "messages": [{ "role", "content" }] }`
 *   (the request messages at pre_call, the response messages at post_call).
 * - Response: a 2xx status with the JSON body `{ "outcome": "pass" | "fail", "detail"?: string,
 *   "messages"?: [{ "role", "content" }] }`. `messages`, when present, is the rewritten data (e.g.
 *   masked) that a step with `passData` hands on; `detail` explains a fail.
 * - Anything else is an `error` outcome with a detail saying what went wrong: the timeout, a
 *   network error, a non-2xx status, a body that is not JSON or not of this shape. What an error
 *   means is the guardrail's `failurePolicy`, applied by the runner.
 */
import type { Checked, GuardrailVerdict, Message, PipelineData } from '../engine/index.ts';
import type { Config } from './config.ts';
import { ConfigReader } from './config.ts';

export type WebhookRequest = {
  readonly guardrail: string;
  readonly mode: string;
  readonly data: PipelineData;
};
export type WebhookCall = (request: WebhookRequest, signal: AbortSignal) => Promise<GuardrailVerdict>;

const DEFAULTS = { timeoutMs: 1000 } as const;
const MAX_TIMEOUT_MS = 60_000;

export function compile(config: Config, fetchImpl: typeof fetch = fetch): Checked<WebhookCall> {
  const read = new ConfigReader(config, ['url', 'timeoutMs', 'headers']);
  const url = config.url;
  if (typeof url !== 'string' || !URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol))
    read.issue('url', 'must be an absolute http:// or https:// URL');
  const timeoutMs = read.positiveInt('timeoutMs', MAX_TIMEOUT_MS) ?? DEFAULTS.timeoutMs;
  const headers = readHeaders(read);
  return read.done(async ({ guardrail, mode, data }, signal) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let body: string;
    try {
      response = await fetchImpl(String(url), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ guardrail, mode, messages: data.messages }),
        signal: AbortSignal.any([signal, timeout]),
      });
      body = await response.text();
    } catch (err) {
      if (timeout.aborted) return { outcome: 'error', detail: `Webhook timed out after ${timeoutMs} ms` };
      if (signal.aborted) return { outcome: 'error', detail: 'Webhook call aborted' };
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      return { outcome: 'error', detail: `Webhook request failed: ${cause ?? (err as Error).message}` };
    }
    if (!response.ok) return { outcome: 'error', detail: `Webhook answered HTTP ${response.status}` };
    return parseVerdict(body);
  });
}

function readHeaders(read: ConfigReader): Record<string, string> {
  const raw = read.config.headers;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    read.issue('headers', 'must be a map of header name to string value');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') out[name] = value;
    else read.issue(`headers.${name}`, 'must be a string');
  }
  return out;
}

const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as Message).role === 'string' &&
  typeof (m as Message).content === 'string';

/** The verdict in a 2xx body, or an `error` naming what is wrong with it. */
export function parseVerdict(body: string): GuardrailVerdict {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { outcome: 'error', detail: 'Webhook answered a body that is not JSON' };
  }
  const malformed = (why: string): GuardrailVerdict => ({
    outcome: 'error',
    detail: `Webhook answer ${why}`,
  });
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return malformed('is not a JSON object');
  const { outcome, detail, messages } = json as Record<string, unknown>;
  if (outcome !== 'pass' && outcome !== 'fail')
    return malformed(`has outcome ${JSON.stringify(outcome)}, not "pass" or "fail"`);
  if (detail !== undefined && detail !== null && typeof detail !== 'string')
    return malformed('has a detail that is not a string');
  if (messages !== undefined && messages !== null && !(Array.isArray(messages) && messages.every(isMessage)))
    return malformed('has messages that are not a list of { role, content } strings');
  const modified = Array.isArray(messages)
    ? { modified: { messages: messages.map((m: Message) => ({ role: m.role, content: m.content })) } }
    : {};
  if (outcome === 'pass') return { outcome, ...modified };
  return { outcome, detail: typeof detail === 'string' ? detail : 'Webhook guardrail failed', ...modified };
}
