/**
 * `webhook`: asks an HTTP endpoint for the verdict. Config `{ url, timeoutMs? (default 1000,
 * at most 60000), headers?, maxConcurrent? (default 8, at most 256), exposeErrors? (default false) }`.
 *
 * Wire contract (version 1):
 * - Request: `POST <url>` with `content-type: application/json`, the configured headers, and the body
 *   `{ "guardrail": "<name>", "mode": "pre_call" | "post_call", "messages": [{ "role", "content" }] }`
 *   (the request messages at pre_call, the response messages at post_call).
 * - Response: a 2xx status with the JSON body `{ "outcome": "pass" | "fail", "detail"?: string,
 *   "messages"?: [{ "role", "content" }] }` of at most 1 MiB. `messages`, when present, is the
 *   rewritten data (e.g. masked) that a step with `passData` hands on; `detail` explains a fail
 *   (its first 1,000 characters are kept).
 * - Anything else is an `error` outcome: the timeout, a network error, a non-2xx status, a
 *   redirect (never followed: the configured headers, often a secret, go to `url`'s origin only),
 *   a body that is too large, not JSON or not of this shape. What an error means is the
 *   guardrail's `failurePolicy`, applied by the runner. Its detail names only what Railyard saw
 *   ("Webhook answered HTTP 502"); the endpoint's own words (a network error's cause, what was
 *   wrong in its answer) are added only with `exposeErrors: true`, since a caller may see them.
 *
 * At most `maxConcurrent` calls to one guardrail's endpoint are in flight at once, across every
 * decision and pipeline test; further calls wait their turn, within their `timeoutMs`: a call that
 * cannot start in time is an error ("Webhook busy").
 */
import type { Checked, GuardrailVerdict, Message, PipelineData } from '../engine/index.ts';
import type { Config } from './config.ts';
import { ConfigReader } from './config.ts';

type WebhookRequest = {
  readonly guardrail: string;
  readonly mode: string;
  readonly data: PipelineData;
};
export type WebhookCall = (request: WebhookRequest, signal: AbortSignal) => Promise<GuardrailVerdict>;

const DEFAULTS = { timeoutMs: 1000, maxConcurrent: 8 } as const;
const MAX_TIMEOUT_MS = 60_000;
const MAX_CONCURRENT = 256;
/** The largest answer read; a larger one is an error. */
const MAX_ANSWER_BYTES = 1 << 20;
const MAX_DETAIL_CHARS = 1_000;

export function compile(config: Config, fetchImpl: typeof fetch = fetch, name = ''): Checked<WebhookCall> {
  const read = new ConfigReader(config, ['url', 'timeoutMs', 'headers', 'maxConcurrent', 'exposeErrors']);
  const url = config.url;
  if (typeof url !== 'string' || !URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol))
    read.issue('url', 'must be an absolute http:// or https:// URL');
  const timeoutMs = read.positiveInt('timeoutMs', MAX_TIMEOUT_MS) ?? DEFAULTS.timeoutMs;
  const maxConcurrent = read.positiveInt('maxConcurrent', MAX_CONCURRENT) ?? DEFAULTS.maxConcurrent;
  const expose = config.exposeErrors ?? false;
  if (typeof expose !== 'boolean') read.issue('exposeErrors', 'must be true or false');
  const headers = readHeaders(read);
  /** What Railyard saw, plus the endpoint's own words only with `exposeErrors`. */
  const said = (what: string, why: string | undefined): string =>
    expose === true && why ? `${what}: ${why}` : what;
  return read.done(async ({ guardrail, mode, data }, signal) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const stop = AbortSignal.any([signal, timeout]);
    const slots = slotsFor(`${name}\u0000${String(url)}`, maxConcurrent);
    if (!(await slots.acquire(stop))) {
      if (signal.aborted) return { outcome: 'error', detail: 'Webhook call aborted' };
      return {
        outcome: 'error',
        detail: `Webhook busy: ${maxConcurrent} calls to it in flight (maxConcurrent), none done within ${timeoutMs} ms`,
      };
    }
    let response: Response;
    let body: string | undefined;
    try {
      response = await fetchImpl(String(url), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ guardrail, mode, messages: data.messages }),
        redirect: 'manual',
        signal: stop,
      });
      if (response.ok) body = await readAtMost(response, MAX_ANSWER_BYTES);
      else await response.body?.cancel();
    } catch (err) {
      if (timeout.aborted) return { outcome: 'error', detail: `Webhook timed out after ${timeoutMs} ms` };
      if (signal.aborted) return { outcome: 'error', detail: 'Webhook call aborted' };
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      return { outcome: 'error', detail: said('Webhook request failed', cause ?? (err as Error).message) };
    } finally {
      slots.release();
    }
    if (response.status >= 300 && response.status < 400)
      return {
        outcome: 'error',
        detail: `Webhook answered HTTP ${response.status}, a redirect, which is never followed`,
      };
    if (!response.ok) return { outcome: 'error', detail: `Webhook answered HTTP ${response.status}` };
    if (body === undefined)
      return { outcome: 'error', detail: `Webhook answered more than ${MAX_ANSWER_BYTES} bytes` };
    return parseVerdict(body, expose === true);
  });
}

/** The body as text, or undefined once it passes `limit` bytes (the rest is not read). */
async function readAtMost(response: Response, limit: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A counting semaphore per endpoint of one guardrail: `acquire` waits in line until a slot is
 * free or `signal` aborts (then resolves false). Idle entries are dropped, so the map holds only
 * endpoints with calls in flight or waiting.
 */
class Slots {
  readonly #key: string;
  readonly #max: number;
  #busy = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(key: string, max: number) {
    this.#key = key;
    this.#max = max;
  }

  acquire(signal: AbortSignal): Promise<boolean> {
    if (this.#busy < this.#max) {
      this.#busy++;
      return Promise.resolve(true);
    }
    if (signal.aborted) {
      this.#forgetIfIdle();
      return Promise.resolve(false);
    }
    return new Promise<boolean>((done) => {
      const take = () => {
        signal.removeEventListener('abort', give);
        this.#busy++;
        done(true);
      };
      const give = () => {
        const i = this.#waiting.indexOf(take);
        if (i !== -1) this.#waiting.splice(i, 1);
        this.#forgetIfIdle();
        done(false);
      };
      this.#waiting.push(take);
      signal.addEventListener('abort', give, { once: true });
    });
  }

  release(): void {
    this.#busy--;
    const next = this.#waiting.shift();
    if (next) next();
    else this.#forgetIfIdle();
  }

  #forgetIfIdle(): void {
    if (this.#busy === 0 && this.#waiting.length === 0) SLOTS.delete(this.#key);
  }
}

const SLOTS = new Map<string, Slots>();
const slotsFor = (key: string, max: number): Slots => {
  let slots = SLOTS.get(key);
  if (!slots) {
    slots = new Slots(key, max);
    SLOTS.set(key, slots);
  }
  return slots;
};

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

/**
 * The verdict in a 2xx body, or an `error` naming what is wrong with it; the body's own values
 * are quoted only when `expose` is set.
 */
function parseVerdict(body: string, expose = false): GuardrailVerdict {
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
    return malformed(
      `has an outcome that is not "pass" or "fail"${expose ? ` (${JSON.stringify(outcome)?.slice(0, 100)})` : ''}`,
    );
  if (detail !== undefined && detail !== null && typeof detail !== 'string')
    return malformed('has a detail that is not a string');
  if (messages !== undefined && messages !== null && !(Array.isArray(messages) && messages.every(isMessage)))
    return malformed('has messages that are not a list of { role, content } strings');
  const modified = Array.isArray(messages)
    ? { modified: { messages: messages.map((m: Message) => ({ role: m.role, content: m.content })) } }
    : {};
  if (outcome === 'pass') return { outcome, ...modified };
  const said = typeof detail === 'string' && detail !== '' ? detail.slice(0, MAX_DETAIL_CHARS) : undefined;
  return { outcome, detail: said ?? 'Webhook guardrail failed', ...modified };
}
