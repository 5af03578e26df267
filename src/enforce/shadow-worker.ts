/**
 * The shadow thread's side of `ShadowThread`: keeps its copies of the namespaces with versions in
 * shadow, runs each call it is handed with `ShadowRunner`, and sends back what it counted, at most
 * once every `batchMs`. Guardrail checks run here, large contents included: a long check delays
 * other shadow runs, never an answer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { GuardrailSpec } from '../engine/index.ts';
import { type NamespaceView, namespaceIndex, type Snapshot } from '../registry/index.ts';
import type { ShadowRun } from '../usage/index.ts';
import { CallVerdicts } from './call-verdicts.ts';
import { GuardrailRunners } from './decision.ts';
import { ShadowRunner } from './shadow-runner.ts';
import type { FromShadowThread, ShadowThreadData, ToShadowThread, ViewMessage } from './shadow-thread.ts';

const port = parentPort;
if (port === null) throw new Error('shadow-worker.ts runs as a worker thread (see ShadowThread)');
const options = workerData as ShadowThreadData;

type Copy = { readonly view: NamespaceView; readonly specs: ReadonlyMap<number, GuardrailSpec> };
const copies = new Map<string, Copy>();
let snapshot = snapshotOf(0);

let pending: { runs: ShadowRun[]; finished: number[]; errors: string[] } = {
  runs: [],
  finished: [],
  errors: [],
};
let flushing = false;
const flush = (): void => {
  flushing = false;
  const message: FromShadowThread = pending;
  pending = { runs: [], finished: [], errors: [] };
  port.postMessage(message);
};
const later = (): void => {
  if (flushing) return;
  flushing = true;
  setTimeout(flush, options.batchMs);
};

const runner = new ShadowRunner({
  snapshot: () => snapshot,
  defaultNamespace: options.defaultNamespace,
  runners: new GuardrailRunners(),
  recorder: {
    record: (run) => {
      pending.runs.push(run);
      later();
    },
  },
  deadlineMs: options.deadlineMs,
  baselineContext: options.baselineContext,
  onError: (err) => {
    pending.errors.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
    later();
  },
});

// The lowest scheduling priority: on a busy CPU the event loop that answers goes first, and shadow
// calls wait (past the cap, they are skipped). Only on Linux, where a thread has a priority of its
// own; elsewhere nice(2) would lower the whole process.
if (process.platform === 'linux') {
  try {
    (await import('@napi-rs/nice')).nice(19);
  } catch (err) {
    pending.errors.push(`the shadow thread runs at the process's priority: ${(err as Error).message}`);
    later();
  }
}

port.on('message', (batch: readonly ToShadowThread[]) => {
  for (const m of batch) take(m);
});

function take(m: ToShadowThread): void {
  if (m.kind === 'view') {
    copies.set(m.namespace, copyOf(m, copies.get(m.namespace)?.view));
    snapshot = snapshotOf(snapshot.serial + 1);
  } else if (m.kind === 'forget') {
    copies.delete(m.namespace);
    snapshot = snapshotOf(snapshot.serial + 1);
  } else {
    const copy = m.production.namespace === null ? undefined : copies.get(m.production.namespace);
    const verdicts = copy && CallVerdicts.fromSettled(m.verdicts, (id) => copy.specs.get(id));
    void runner.run({ input: m.input, production: m.production, policies: m.policies, verdicts }).then(() => {
      pending.finished.push(m.id);
      later();
    });
  }
}

/** The namespace as the main thread serves it, its index built from the previous copy's. */
function copyOf(m: ViewMessage, previous: NamespaceView | undefined): Copy {
  const guardrails = new Map<string, GuardrailSpec>();
  const specs = new Map<number, GuardrailSpec>();
  for (const [name, spec, id] of m.guardrails) {
    guardrails.set(name, spec);
    specs.set(id, spec);
  }
  const view: NamespaceView = {
    namespace: m.namespace,
    index: namespaceIndex(m, previous?.index),
    histories: m.histories,
    attachments: m.attachments,
    guardrails,
    floor: m.floor,
    shadows: m.shadows,
  };
  return { view, specs };
}

/** The thread's copies as a snapshot: only what shadow runs read of one. */
function snapshotOf(serial: number): Snapshot {
  return {
    revision: serial,
    serial,
    namespaces: new Map([...copies].map(([ns, copy]) => [ns, copy.view])),
    soleNamespace: null,
    statuses: [],
    statusByKey: new Map(),
    unreadable: [],
  };
}
