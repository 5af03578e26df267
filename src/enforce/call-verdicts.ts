/**
 * The guardrail verdicts of one call, so that its shadow runs ask a guardrail again only where
 * something differs. A version in shadow usually differs from production by a guardrail or a step:
 * every other guardrail it runs is the same spec on the same messages, whose verdict production has
 * already. Reusing it saves those checks (on the benchmark call, about 40% of what a shadow run
 * allocated), and a webhook guardrail is not called twice for one call.
 */
import type {
  GuardrailSpec,
  GuardrailVerdict,
  Message,
  PipelineData,
  PipelineMode,
  RunGuardrail,
} from '../engine/index.ts';

type Asked = {
  readonly name: string;
  /** The spec the verdict came from: a catalog that changed the guardrail gets no reuse. */
  readonly spec: GuardrailSpec | undefined;
  readonly mode: PipelineMode;
  readonly messages: readonly Message[];
  /** The verdict as production awaited it; absent for one that came settled from another thread. */
  readonly verdict?: Promise<GuardrailVerdict>;
  /** Set once the verdict has settled. */
  settled?: Settled;
};

type Settled = { readonly verdict: GuardrailVerdict } | { readonly rejected: string };

/**
 * A recorded verdict as it crosses to the shadow thread: settled, and its spec named by an id that
 * the receiving side maps to its own copy of the same spec (see `CallVerdicts.settled`).
 */
export type SettledVerdict = {
  readonly name: string;
  /** Undefined when the guardrail was not in the catalog. */
  readonly specId: number | undefined;
  readonly mode: PipelineMode;
  readonly messages: readonly Message[];
  readonly outcome: Settled;
};

/** The same messages: same roles and contents, in order (string comparison, no copying). */
function sameMessages(a: readonly Message[], b: readonly Message[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Message;
    const y = b[i] as Message;
    if (x.role !== y.role || x.content !== y.content) return false;
  }
  return true;
}

export class CallVerdicts {
  readonly #asked: Asked[] = [];

  /** `run` over `catalog`, recording what each guardrail was asked and its verdict. */
  recording(run: RunGuardrail, catalog: ReadonlyMap<string, GuardrailSpec>): RunGuardrail {
    return (name, mode, data, signal) => {
      const verdict = run(name, mode, data, signal);
      const asked: Asked = { name, spec: catalog.get(name), mode, messages: data.messages, verdict };
      this.#asked.push(asked);
      verdict.then(
        (v) => {
          asked.settled = { verdict: v };
        },
        (err: unknown) => {
          asked.settled = { rejected: err instanceof Error ? err.message : String(err) };
        },
      );
      return verdict;
    };
  }

  /**
   * The verdicts settled so far, each spec named by `idOf`. A verdict still pending (a guardrail
   * production stopped waiting for at its deadline) is left out: the shadow asks it again.
   */
  settled(idOf: (spec: GuardrailSpec) => number): SettledVerdict[] {
    const out: SettledVerdict[] = [];
    for (const a of this.#asked) {
      if (a.settled === undefined) continue;
      out.push({
        name: a.name,
        specId: a.spec === undefined ? undefined : idOf(a.spec),
        mode: a.mode,
        messages: a.messages,
        outcome: a.settled,
      });
    }
    return out;
  }

  /**
   * The verdicts `settled` sent, on this side: `specOf` maps an id back to this side's copy of the
   * spec. One whose spec this side does not know (the catalog changed in between) is dropped.
   */
  static fromSettled(
    entries: readonly SettledVerdict[],
    specOf: (id: number) => GuardrailSpec | undefined,
  ): CallVerdicts {
    const verdicts = new CallVerdicts();
    for (const e of entries) {
      const spec = e.specId === undefined ? undefined : specOf(e.specId);
      if (e.specId !== undefined && spec === undefined) continue;
      verdicts.#asked.push({ name: e.name, spec, mode: e.mode, messages: e.messages, settled: e.outcome });
    }
    return verdicts;
  }

  /**
   * `run` over `catalog`, answering with the recorded verdict of the same guardrail (the same spec
   * object), mode and messages when there is one. A recorded verdict is final: errors and
   * timeouts included, the shadow sees what production saw.
   */
  reusing(run: RunGuardrail, catalog: ReadonlyMap<string, GuardrailSpec>): RunGuardrail {
    return (name, mode, data, signal) =>
      this.#find(name, catalog.get(name), mode, data) ?? run(name, mode, data, signal);
  }

  /** How many verdicts were recorded. */
  get size(): number {
    return this.#asked.length;
  }

  #find(
    name: string,
    spec: GuardrailSpec | undefined,
    mode: PipelineMode,
    data: PipelineData,
  ): Promise<GuardrailVerdict> | undefined {
    for (const a of this.#asked) {
      if (a.name === name && a.spec === spec && a.mode === mode && sameMessages(a.messages, data.messages))
        return a.verdict ?? asPromise(a.settled as Settled);
    }
    return undefined;
  }
}

const asPromise = (s: Settled): Promise<GuardrailVerdict> =>
  'verdict' in s ? Promise.resolve(s.verdict) : Promise.reject(new Error(s.rejected));
