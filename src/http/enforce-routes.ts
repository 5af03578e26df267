/**
 * The enforcement routes on the fast path: parse the proxy's body, make one decision, answer in the
 * proxy's shape, log and count it. LiteLLM at `POST /litellm/beta/litellm_basic_guardrail_api`;
 * agentgateway at `POST /agentgateway/request|response`, and at `/request|/response` on a dedicated
 * port for gateways that cannot override the path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AGENTGATEWAY_HEADER_DEFAULTS,
  type AgentgatewayHeaderNames,
  agentgatewayAnswer,
  CALL_CACHE_DEFAULTS,
  CallCache,
  CallVerdicts,
  createDecider,
  credentialHeaders,
  DECIDER_DEFAULTS,
  type Decide,
  GuardrailRunners,
  type LitellmCall,
  litellmAnswer,
  type Phase,
  type ProxyName,
  parseAgentgatewayRequest,
  parseLitellmRequest,
  type ResponseBlock,
  recordDecision,
  SHADOW_DISPATCH_DEFAULTS,
  ShadowDispatcher,
  ShadowThread,
  type WireAnswer,
} from '../enforce/index.ts';
import {
  boundContextValue,
  boundEnforcedContext,
  type Checked,
  type RequestContext,
} from '../engine/index.ts';
import type { CheckPool } from '../guardrails/index.ts';
import { AnswerCache, type ResolveAnswer } from '../registry/index.ts';
import type { Authenticator } from './auth.ts';
import { HttpError, sendJson } from './errors.ts';
import type { FastRoute } from './fast-routes.ts';
import { readJsonBody } from './json-body.ts';
import type { ServerDeps } from './server.ts';

export type EnforceOptions = {
  /** Budget of one decision (`--decision-deadline`); past it the proxy's fail mode applies. */
  readonly decisionDeadlineMs: number;
  /** Decisions running at once (`--max-concurrent-decisions`); beyond, the proxy's fail mode applies. */
  readonly maxConcurrentDecisions: number;
  /** `--enforce-baseline-context`: see `DeciderOptions.baselineContext`. */
  readonly baselineContext: boolean;
  readonly agentgatewayHeaders: AgentgatewayHeaderNames;
  /** `--agentgateway-response-block`: see `ResponseBlock`. */
  readonly agentgatewayResponseBlock: ResponseBlock;
  /** `--litellm-team-id-fallback`: see `LitellmReadOptions.teamIdFallback`. */
  readonly litellmTeamIdFallback: boolean;
  /** Pre-call models remembered by `litellm_call_id`. */
  readonly callCache: { readonly maxEntries: number; readonly ttlMs: number };
  /** The HTTP client of `webhook` guardrails (production's; shadow runs, on their thread, use `fetch`). */
  readonly fetch?: typeof fetch;
  /** Worker threads for the guardrail checks (`--guardrail-workers`); none: on the event loop. */
  readonly guardrailPool?: CheckPool;
  /** Shadowed calls in flight at once (`--shadow-max-concurrent`); past it a sampled call's runs are skipped and counted. */
  readonly shadowMaxConcurrent: number;
  /** In [0, 1): samples the calls shadows run on (tests pin it). */
  readonly shadowRandom?: () => number;
};

const ENFORCE_DEFAULTS: EnforceOptions = {
  decisionDeadlineMs: DECIDER_DEFAULTS.deadlineMs,
  maxConcurrentDecisions: DECIDER_DEFAULTS.maxConcurrent,
  baselineContext: DECIDER_DEFAULTS.baselineContext,
  agentgatewayHeaders: AGENTGATEWAY_HEADER_DEFAULTS,
  agentgatewayResponseBlock: 'reject',
  litellmTeamIdFallback: false,
  callCache: { maxEntries: CALL_CACHE_DEFAULTS.maxEntries, ttlMs: CALL_CACHE_DEFAULTS.ttlMs },
  shadowMaxConcurrent: SHADOW_DISPATCH_DEFAULTS.maxConcurrent,
};

export type EnforceDeps = Pick<
  ServerDeps,
  | 'registry'
  | 'auth'
  | 'metrics'
  | 'log'
  | 'defaultNamespace'
  | 'bodyLimitBytes'
  | 'answers'
  | 'usage'
  | 'shadows'
>;

/** The routes, keyed `POST <path>` as the fast-path table expects, and the decision they share. */
export type Enforcement = {
  readonly routes: ReadonlyMap<string, FastRoute>;
  /** `/request` and `/response` for the dedicated agentgateway port. */
  readonly agentgatewayRootRoutes: ReadonlyMap<string, FastRoute>;
  readonly decide: Decide;
  /** The answer cache of its decisions (`deps.answers`, else its own), for the server to share. */
  readonly answers: AnswerCache<ResolveAnswer>;
  /** The decider's worker threads, for the pipeline test to share. */
  readonly guardrailPool?: CheckPool;
  /** The shadow runs after each answer (when the server counts them: `deps.shadows`); `close` stops their thread. */
  readonly shadows?: ShadowDispatcher;
};

/** Optional on both proxies: a static header naming the namespace (config, never the client). */
const NAMESPACE_HEADER = 'x-railyard-namespace';

export const LITELLM_PATH = '/litellm/beta/litellm_basic_guardrail_api';

/** Builds the routes and their one decider (one concurrency budget, one call cache). */
export function createEnforcement(deps: EnforceDeps, options: Partial<EnforceOptions> = {}): Enforcement {
  const opts: EnforceOptions = { ...ENFORCE_DEFAULTS, ...options };
  const answers = deps.answers ?? new AnswerCache<ResolveAnswer>();
  const runners = new GuardrailRunners({
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.guardrailPool ? { pool: opts.guardrailPool } : {}),
  });
  const decide = createDecider({
    answers,
    snapshot: () => deps.registry.snapshot(),
    synced: () => deps.registry.synced(),
    defaultNamespace: deps.defaultNamespace,
    deadlineMs: opts.decisionDeadlineMs,
    maxConcurrent: opts.maxConcurrentDecisions,
    baselineContext: opts.baselineContext,
    runners,
  });
  const recorder = deps.shadows;
  const shadows =
    recorder === undefined
      ? undefined
      : new ShadowDispatcher({
          snapshot: () => deps.registry.snapshot(),
          recorder,
          executor: new ShadowThread({
            defaultNamespace: deps.defaultNamespace,
            deadlineMs: opts.decisionDeadlineMs,
            baselineContext: opts.baselineContext,
            recorder,
            onError: (err) => deps.log.error({ err }, 'shadow thread error'),
          }),
          maxConcurrent: opts.shadowMaxConcurrent,
          ...(opts.shadowRandom ? { random: opts.shadowRandom } : {}),
        });
  const models = new CallCache<string>(opts.callCache);

  const enforce = async (
    res: ServerResponse,
    proxy: ProxyName,
    call: { phase: Phase; context: RequestContext; messages: LitellmCall['messages']; callId?: string },
    namespace: string | undefined,
    answer: (decision: Awaited<ReturnType<Decide>>) => WireAnswer,
  ): Promise<number> => {
    const input = {
      ...(namespace ? { namespace } : {}),
      context: call.context,
      phase: call.phase,
      messages: call.messages,
    };
    // Production's verdicts are kept for the call's shadow runs only when there may be some.
    const verdicts = shadows?.expects() ? new CallVerdicts() : undefined;
    const decision = await decide(input, verdicts);
    // What is logged, counted and kept by shadow runs is bounded as the decision bounds it:
    // callers choose these values.
    const context = boundEnforcedContext(call.context).context;
    const event = {
      proxy,
      phase: call.phase,
      context,
      ...(call.callId ? { callId: boundContextValue(call.callId) } : {}),
      decision,
    };
    recordDecision(deps.log, deps.metrics, event);
    deps.usage?.record({ ...event, model: event.context.model ?? null });
    const { status, body } = answer(decision);
    sendJson(res, status, body);
    // The answer is on its way: only now are the shadow runs of this call scheduled.
    shadows?.after({ ...input, context }, decision, verdicts);
    return status;
  };

  const litellm: FastRoute = {
    name: LITELLM_PATH,
    access: 'reader',
    handle: async (req, res) => {
      const call = checked(
        parseLitellmRequest(await readJsonBody(req, deps.bodyLimitBytes), {
          teamIdFallback: opts.litellmTeamIdFallback,
        }),
      );
      const model =
        call.phase === 'post_call' && call.callId ? (models.get(call.callId) ?? call.model) : call.model;
      if (call.phase === 'pre_call' && call.callId && call.model)
        models.set(call.callId, boundContextValue(call.model));
      const context = { ...call.context, model };
      return enforce(res, 'litellm', { ...call, context }, namespaceOf(req), (d) =>
        litellmAnswer(call, d.verdict),
      );
    },
  };

  const agentgateway = (phase: Phase, name: string): FastRoute => ({
    name,
    access: 'open',
    handle: async (req, res) => {
      await authenticateGateway(deps.auth, req, opts.agentgatewayHeaders);
      const body = await readJsonBody(req, deps.bodyLimitBytes);
      const call = checked(parseAgentgatewayRequest(phase, body, req.headers, opts.agentgatewayHeaders));
      const block = { as: opts.agentgatewayResponseBlock, choices: call.messages.length };
      return enforce(res, 'agentgateway', call, namespaceOf(req), (d) => agentgatewayAnswer(phase, d, block));
    },
  });

  const table = (routes: FastRoute[]) => new Map(routes.map((r) => [`POST ${r.name}`, r]));
  return {
    routes: table([
      litellm,
      agentgateway('pre_call', '/agentgateway/request'),
      agentgateway('post_call', '/agentgateway/response'),
    ]),
    agentgatewayRootRoutes: table([
      agentgateway('pre_call', '/request'),
      agentgateway('post_call', '/response'),
    ]),
    decide,
    answers,
    ...(opts.guardrailPool ? { guardrailPool: opts.guardrailPool } : {}),
    ...(shadows ? { shadows } : {}),
  };
}

/** The gateway's token header or a bearer token, as a reader at least; throws (or rejects) 401/403. */
async function authenticateGateway(
  auth: Authenticator,
  req: IncomingMessage,
  names: AgentgatewayHeaderNames,
): Promise<void> {
  await auth.authenticate(credentialHeaders(req.headers, names), 'reader');
}

function namespaceOf(req: IncomingMessage): string | undefined {
  const v = req.headers[NAMESPACE_HEADER];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The value, or a 400 listing every issue as `<path>: <message>`. */
function checked<T>(result: Checked<T>): T {
  if (result.ok) return result.value;
  throw new HttpError('bad_request', result.issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
    issues: result.issues,
  });
}
