/**
 * The guardrail verdicts of one call, so that its shadow runs ask a guardrail again only where
 * something differs. A version in shadow usually differs from production by a guardrail or a step:
 * every other guardrail it runs is the same spec on the same messages, whose verdict production has
 * already. Reusing it saves those checks (on the benchmark call, about 40% of what a shadow run
 * allocated), and a webhook guardrail is not called twice for one call.
 */
import type { GuardrailSpec, Message, PipelineData, PipelineMode, RunGuardrail } from '../engine/index.ts';

type Asked = {
  readonly name: string;
  /** The spec the verdict came from: a catalog that changed the guardrail gets no reuse. */
  readonly spec: GuardrailSpec | undefined;
  readonly mode: PipelineMode;
  readonly messages: readonly Message[];
  readonly verdict: ReturnType<RunGuardrail>;
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
      this.#asked.push({ name, spec: catalog.get(name), mode, messages: data.messages, verdict });
      return verdict;
    };
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
  ): ReturnType<RunGuardrail> | undefined {
    for (const a of this.#asked) {
      if (a.name === name && a.spec === spec && a.mode === mode && sameMessages(a.messages, data.messages))
        return a.verdict;
    }
    return undefined;
  }
}
