/**
 * Running a decision's plan on the messages: the pipelines, then the stand-alone guardrails (the
 * floor's among them), carrying masks, under the deadline. No registry and no I/O of its own: the
 * guardrails run through the `RunGuardrail` given, so production's decisions (on the event loop)
 * and shadow runs (in a worker thread) run the same code.
 */
import { executePipeline, type Message, type RunGuardrail } from '../engine/index.ts';
import type { Decision, DecisionBudget, DecisionInput, GuardrailRun, Verdict } from './decision.ts';
import type { Plan } from './decision-plan.ts';

/**
 * The verdict of `plan` on `input`'s messages in `namespace` (see `createDecider` for the rules).
 * Never rejects for a guardrail's failure (its outcome is the verdict); rejects only on a bug.
 */
export async function runPlan(
  plan: Plan,
  namespace: string,
  input: DecisionInput,
  run: RunGuardrail,
  { deadlineMs, now, deadline, started }: DecisionBudget,
): Promise<Omit<Decision, 'durationMs'>> {
  const opts = { deadlineMs, now };
  const runs: GuardrailRun[] = [];
  const result = (verdict: Verdict): Omit<Decision, 'durationMs'> => ({
    verdict,
    namespace: namespace,
    policies: plan.policies,
    guardrails: runs,
    external: plan.external,
  });
  const first = plan.missing[0];
  if (first) {
    const of = first.floor === undefined ? `policy '${first.policy}'` : `GuardrailFloor '${first.floor}'`;
    return result({
      kind: 'cannot_decide',
      reason: `guardrail '${first.guardrail}' of ${of} is not in the guardrail catalog of namespace "${namespace}"`,
    });
  }
  const overrun: Verdict = {
    kind: 'cannot_decide',
    reason: `decision deadline of ${opts.deadlineMs} ms exceeded`,
  };
  let working = input.messages;
  // A check on the event loop cannot be interrupted, and the deadline's timer fires only after
  // it: past the deadline by the clock is overrun too, whatever the timer says.
  const late = (): boolean => deadline.aborted || opts.now() - started > opts.deadlineMs;

  for (const { policy, pipeline } of plan.pipelines) {
    const outcome = await executePipeline(pipeline, { messages: working }, run, {
      now: opts.now,
      deadlineMs: Math.max(1, opts.deadlineMs - (opts.now() - started)),
      signal: deadline,
    });
    for (const step of outcome.stepResults) {
      runs.push({
        guardrail: step.guardrailName,
        via: `pipeline:${policy}`,
        outcome: step.outcome,
        masked: step.modifiedData !== undefined,
        durationMs: step.durationSeconds * 1000,
      });
    }
    if (late()) return result(overrun);
    const decidedBy = outcome.stepResults[outcome.stepResults.length - 1]?.guardrailName;
    const guardrail = decidedBy === undefined ? {} : { guardrail: decidedBy };
    switch (outcome.terminalAction) {
      case 'allow':
        if (outcome.modifiedData) working = outcome.modifiedData.messages;
        break;
      case 'block':
        return result({
          kind: 'block',
          policy,
          ...guardrail,
          message: `Blocked by policy '${policy}', pipeline step '${decidedBy}'${outcome.errorMessage ? `: ${outcome.errorMessage}` : ''}`,
        });
      case 'modify_response':
        return result({
          kind: 'modify_response',
          policy,
          ...guardrail,
          message: outcome.modifyResponseMessage ?? `Response modified by pipeline of policy '${policy}'`,
        });
    }
  }

  for (const { guardrail, policy, floor } of plan.standalone) {
    const t = opts.now();
    const verdict = await untilAborted(
      run(guardrail, input.phase, { messages: working }, deadline),
      deadline,
    );
    if (late() || verdict === undefined) return result(overrun);
    const masked = verdict.outcome === 'pass' && verdict.modified !== undefined;
    runs.push({
      guardrail,
      via: floor === undefined ? `policy:${policy}` : policy,
      outcome: verdict.outcome,
      masked,
      durationMs: opts.now() - t,
    });
    const by = floor === undefined ? `policy '${policy}'` : `guardrail floor '${floor}'`;
    if (verdict.outcome === 'fail') {
      return result({
        kind: 'block',
        policy,
        guardrail,
        message: `Blocked by ${by}, guardrail '${guardrail}': ${verdict.detail}`,
      });
    }
    if (verdict.outcome === 'error') {
      return result({
        kind: 'block',
        policy,
        guardrail,
        message: `Blocked by ${by}: guardrail '${guardrail}' failed and its failurePolicy is closed (${verdict.detail})`,
      });
    }
    if (verdict.modified) working = verdict.modified.messages;
  }

  if (late()) return result(overrun);
  if (working === input.messages || sameMessages(working, input.messages)) return result({ kind: 'allow' });
  if (working.length !== input.messages.length) {
    return result({
      kind: 'cannot_decide',
      reason: `a guardrail rewrote ${input.messages.length} messages into ${working.length}; a proxy can only take a rewrite of each message in place`,
    });
  }
  return result({
    kind: 'mask',
    messages: working.map((m, i) => ({ role: input.messages[i]?.role ?? m.role, content: m.content })),
  });
}

/** The promise's value, or undefined as soon as the signal aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return Promise.race([
    work,
    new Promise<undefined>((ok) => signal.addEventListener('abort', () => ok(undefined), { once: true })),
  ]);
}

function sameMessages(a: readonly Message[], b: readonly Message[]): boolean {
  return a.length === b.length && a.every((m, i) => m.content === b[i]?.content && m.role === b[i]?.role);
}
