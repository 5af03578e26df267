/**
 * Turns `Guardrail` specs into runnable guardrails: one compile per type, the guardrail's
 * `failurePolicy` on errors, and a catalog-backed `RunGuardrail` for the pipeline executor.
 */
import type {
  Checked,
  GuardrailSpec,
  GuardrailVerdict,
  PipelineData,
  PipelineMode,
  RunGuardrail,
} from '../engine/index.ts';
import type { Check, CheckResult } from './check.ts';
import type { CheckPool } from './check-pool.ts';
import { type CheckType, compileCheck, isCheckType } from './compile-check.ts';
import * as webhook from './webhook.ts';

/** One guardrail ready to run on the messages of a phase. Never rejects. */
export type CompiledGuardrail = (
  mode: PipelineMode,
  data: PipelineData,
  signal: AbortSignal,
) => Promise<GuardrailVerdict>;

export type RunnerOptions = {
  /** The HTTP client for `webhook` guardrails; global `fetch` by default. */
  readonly fetch?: typeof fetch;
  /**
   * Worker threads for the in-process checks: content over `pool.inlineChars` is checked there,
   * under the caller's signal (an abort terminates the check). Without one (the CLI), every
   * check runs on the calling thread.
   */
  readonly pool?: CheckPool;
  /**
   * False: `webhook` guardrails are not called, but answer `error` saying an admin token is needed
   * (the pipeline test for a reader token: a reader may not make Railyard call out with its
   * configured secret headers and the reader's own content). True by default.
   */
  readonly runWebhooks?: boolean;
};

/**
 * Validates a guardrail's config for its type and compiles it. Issues have paths under
 * `spec.config` (or `spec.type`) and code `invalid_guardrail`. The compiled guardrail checks the
 * `content` of every message it is given; an `error` (including a throw) becomes a `pass` with a
 * note in `detail` when `failurePolicy` is `open` and stays an `error` when it is `closed`.
 * `external` guardrails compile to one that always answers `error`: they run in the proxy only.
 */
export function compileGuardrail(
  name: string,
  spec: GuardrailSpec,
  opts: RunnerOptions = {},
): Checked<CompiledGuardrail> {
  const type = spec.type;
  if (isCheckType(type))
    return withPolicy(spec, fromCheck(type, spec.config, compileCheck(type, spec.config), opts.pool));
  switch (type) {
    case 'webhook': {
      if (opts.runWebhooks === false) {
        const detail = `Guardrail '${name}' is a webhook: the pipeline test calls webhooks only for an admin token; test it with an admin token`;
        return { ok: true, value: async () => ({ outcome: 'error', detail }) };
      }
      const call = webhook.compile(spec.config, opts.fetch, name);
      if (!call.ok) return call;
      return withPolicy(spec, {
        ok: true,
        value: (mode, data, signal) => call.value({ guardrail: name, mode, data }, signal),
      });
    }
    case 'external': {
      const detail = `Guardrail '${name}' is external: it runs in the proxy, not in Railyard`;
      return { ok: true, value: async () => ({ outcome: 'error', detail }) };
    }
    default:
      return {
        ok: false,
        issues: [
          {
            code: 'invalid_guardrail',
            severity: 'error',
            path: 'spec.type',
            message: `unknown guardrail type '${String(type satisfies never)}'`,
          },
        ],
      };
  }
}

/** Runs the check inline, or in the pool when the content is over its inline size. */
function fromCheck(
  type: CheckType,
  config: GuardrailSpec['config'],
  check: Checked<Check>,
  pool: CheckPool | undefined,
): Checked<CompiledGuardrail> {
  if (!check.ok) return check;
  const inline = check.value;
  return {
    ok: true,
    value: async (_mode, data, signal) => {
      const texts = data.messages.map((m) => m.content);
      const chars = texts.reduce((n, t) => n + t.length, 0);
      const result = pool?.offloads(chars) ? await pool.run(type, config, texts, signal) : inline(texts);
      return toVerdict(result, data);
    },
  };
}

function toVerdict(result: CheckResult, data: PipelineData): GuardrailVerdict {
  const modified = (texts?: readonly string[]) =>
    texts
      ? { modified: { messages: data.messages.map((m, i) => ({ role: m.role, content: texts[i] ?? '' })) } }
      : {};
  switch (result.outcome) {
    case 'pass':
      return { outcome: 'pass', ...modified(result.texts) };
    case 'fail':
      return { outcome: 'fail', detail: result.detail, findings: result.findings, ...modified(result.texts) };
    case 'error':
      return result;
  }
}

function withPolicy(spec: GuardrailSpec, compiled: Checked<CompiledGuardrail>): Checked<CompiledGuardrail> {
  if (!compiled.ok) return compiled;
  const run = compiled.value;
  return {
    ok: true,
    value: async (mode, data, signal) => {
      let verdict: GuardrailVerdict;
      try {
        verdict = await run(mode, data, signal);
      } catch (err) {
        verdict = { outcome: 'error', detail: err instanceof Error ? err.message : String(err) };
      }
      if (verdict.outcome !== 'error' || spec.failurePolicy === 'closed') return verdict;
      return { outcome: 'pass', detail: `failurePolicy open: ${verdict.detail}` };
    },
  };
}

/**
 * A `RunGuardrail` over a catalog of guardrail specs by name. Each guardrail is compiled on first
 * use and again only when its spec changes. An unknown name answers `error` "Guardrail '<name>'
 * not found"; an invalid config answers `error` naming each bad field. Never rejects.
 */
export function createGuardrailRunner(
  catalog: ReadonlyMap<string, GuardrailSpec>,
  opts: RunnerOptions = {},
): RunGuardrail {
  // Specs are immutable: the same object means the same compiled guardrail.
  const cache = new Map<
    string,
    { readonly spec: GuardrailSpec; readonly compiled: Checked<CompiledGuardrail> }
  >();
  return async (name, mode, data, signal) => {
    const spec = catalog.get(name);
    if (!spec) return { outcome: 'error', detail: `Guardrail '${name}' not found` };
    let entry = cache.get(name);
    if (entry?.spec !== spec) {
      entry = { spec, compiled: compileGuardrail(name, spec, opts) };
      cache.set(name, entry);
    }
    if (!entry.compiled.ok) {
      const why = entry.compiled.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      return { outcome: 'error', detail: `Guardrail '${name}' has an invalid config: ${why}` };
    }
    return entry.compiled.value(mode, data, signal);
  };
}
