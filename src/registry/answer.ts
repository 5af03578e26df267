/**
 * The one answer call: what a request context gets (`resolve`) or why (`explain`), from one
 * snapshot. Every adapter asks through here: `GET /v1/resolve`, `POST /policies/resolve`,
 * `POST /v1/explain`, the CLI's `resolve` and `test`, and the enforcement decision. So the CLI in
 * a pull request gives exactly the answers the cluster will give.
 */
import {
  type Explanation,
  explain,
  type Failure,
  failure,
  NO_RESOLUTION,
  type RequestContext,
  type Resolution,
  resolve,
} from '../engine/index.ts';
import { type AnswerCache, answerKey } from './answer-cache.ts';
import { chooseNamespace } from './namespace.ts';
import type { NamespaceView, Snapshot } from './snapshot.ts';

const QUESTIONS = ['resolve', 'explain'] as const;
type Question = (typeof QUESTIONS)[number];
type Values = { readonly resolve: Resolution; readonly explain: Explanation };

/** A request: the namespace it names (by `chooseNamespace`'s rule when absent) and its context. */
export type AnswerRequest = { readonly namespace?: string; readonly context: RequestContext };

/**
 * `view` is the namespace answered for, undefined when nothing is served yet (the answer is then
 * the empty one). A namespace named but not served is a `not_found` failure whose message lists
 * those served; `requested` is the one named, for callers that must not list the others.
 */
export type Answer<Q extends Question> =
  | {
      readonly ok: true;
      readonly revision: number;
      readonly view: NamespaceView | undefined;
      readonly value: Values[Q];
    }
  | { readonly ok: false; readonly error: Failure; readonly requested: string };

/** A resolve answer, as the answer cache keeps it. */
export type ResolveAnswer = Answer<'resolve'> & { readonly ok: true };

export type AnswerOptions = {
  /** Served when a request names no namespace and several exist. */
  readonly defaultNamespace: string;
  /** Where repeat resolve answers come from; without one every call computes. */
  readonly cache?: AnswerCache<ResolveAnswer>;
};

/**
 * Answers `question` for `request` from `snapshot`. Never throws. Deterministic: the same snapshot
 * and request give deep-equal answers, and a resolve answered from the cache is the very object it
 * first returned (adapters may attach what they rendered to it, e.g. in a WeakMap). Explanations
 * are not cached: they are not on the request path of proxies.
 */
export function answer<Q extends Question>(
  question: Q,
  snapshot: Snapshot,
  request: AnswerRequest,
  options: AnswerOptions,
): Answer<Q> {
  const choice = chooseNamespace(snapshot, request.namespace, options.defaultNamespace);
  if (!choice.ok)
    return { ok: false, error: failure('not_found', choice.message), requested: choice.requested };
  const { view } = choice;
  const { revision } = snapshot;
  const ctx = request.context;
  if (question === 'explain') {
    const value = view ? explain(view.index, ctx) : nothingServed(ctx);
    return { ok: true, revision, view, value } as Answer<Q>;
  }
  const cache = options.cache;
  if (cache === undefined) return { ok: true, revision, view, value: resolveIn(view, ctx) } as Answer<Q>;
  const key = answerKey(view?.namespace, ctx);
  const cached = cache.get(snapshot, key);
  if (cached !== undefined) return cached as Answer<Q>;
  const value = resolveIn(view, ctx);
  return cache.set(snapshot, key, { ok: true, revision, view, value }, resolutionBytes(value)) as Answer<Q>;
}

const resolveIn = (view: NamespaceView | undefined, ctx: RequestContext): Resolution =>
  view ? resolve(view.index, ctx) : NO_RESOLUTION;

function nothingServed(context: RequestContext): Explanation {
  return { context, resolution: NO_RESOLUTION, attachments: [], notCandidates: 0, policies: [] };
}

/** Bytes of an object or list header with a few fields, roughly (V8, 64-bit, compressed pointers off). */
const OBJECT_BYTES = 64;

/**
 * An estimate of the bytes a resolution holds, doubled for the rendered body an adapter may attach
 * to its answer (the JSON repeats every name). Its names are mostly shared with the index, so the
 * estimate errs high.
 */
function resolutionBytes(r: Resolution): number {
  let bytes = OBJECT_BYTES * 3 + textBytes(r.effectiveGuardrails);
  for (const m of r.matchedPolicies) {
    bytes += OBJECT_BYTES * 3 + 2 * (m.policyName.length + m.matchedVia.length + m.attachment.length);
    bytes += textBytes(m.guardrailsAdded);
    for (const v of m.versions)
      bytes += OBJECT_BYTES + 2 * (v.policyName.length + v.policyId.length + v.digest.length);
  }
  return 2 * bytes;
}

function textBytes(names: readonly string[]): number {
  let bytes = 8 * names.length;
  for (const name of names) bytes += 2 * name.length;
  return bytes;
}
