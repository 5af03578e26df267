/**
 * The shadow thread: a worker thread that runs the calls `ShadowDispatcher` hands over, so that a
 * shadow's CPU and garbage stay off the event loop that answers. Measured at 500 calls a second
 * with every call shadowed, running them on the event loop cost its p99 up to 2.4 ms (more
 * scavenges, each one a pause for the calls that arrive during it); see docs/decisions.
 *
 * The thread keeps its own copy of each namespace it runs shadows for, sent when the namespace
 * changes and only then: the production version of each policy, the attachments, the floor, the
 * guardrail catalog and the versions in shadow. Production's settled verdicts cross with each
 * call, their specs named by ids that the thread maps to its copies, so a verdict is re-used only
 * for the very spec production ran. Started with the first call it takes; a thread that dies is
 * logged, its calls are finished uncounted, and a new one starts no sooner than `restartDelayMs`
 * later (calls in between are skipped and counted).
 */
import { Worker } from 'node:worker_threads';
import type {
  AttachmentRecord,
  FloorGuardrail,
  GuardrailSpec,
  PolicyHistory,
  ShadowTarget,
} from '../engine/index.ts';
import { productionVersion } from '../engine/index.ts';
import type { NamespaceView, Snapshot } from '../registry/index.ts';
import type { ShadowRun } from '../usage/index.ts';
import type { SettledVerdict } from './call-verdicts.ts';
import type { Decision, DecisionInput } from './decision.ts';
import type { ShadowExecutor, ShadowSubmission } from './shadow-dispatch.ts';

/** A namespace as the thread needs it. */
export type ViewMessage = {
  readonly kind: 'view';
  readonly namespace: string;
  /** Each policy's history with its production version only: all the index is built from. */
  readonly histories: readonly PolicyHistory[];
  readonly attachments: readonly AttachmentRecord[];
  /** Name, spec, and the spec's id (as `SettledVerdict.specId` names it). */
  readonly guardrails: readonly (readonly [string, GuardrailSpec, number])[];
  readonly floor: readonly FloorGuardrail[];
  readonly shadows: readonly ShadowTarget[];
};

type CallMessage = {
  readonly kind: 'call';
  readonly id: number;
  readonly input: DecisionInput;
  readonly production: Decision;
  readonly policies: readonly string[];
  readonly verdicts: readonly SettledVerdict[];
};

/** The namespace no longer has versions in shadow (or is gone): the thread drops its copy. */
type ForgetMessage = { readonly kind: 'forget'; readonly namespace: string };

export type ToShadowThread = ViewMessage | CallMessage | ForgetMessage;

/** What the thread found since its last message (at most one every `batchMs`): runs to count, calls finished, failures. */
export type FromShadowThread = {
  readonly runs: readonly ShadowRun[];
  readonly finished: readonly number[];
  readonly errors: readonly string[];
};

export type ShadowThreadData = {
  readonly batchMs: number;
  readonly defaultNamespace: string;
  readonly deadlineMs: number;
  readonly baselineContext: boolean;
};

export type ShadowThreadOptions = Omit<ShadowThreadData, 'batchMs'> & {
  readonly recorder: { record(run: ShadowRun): void };
  /** A failure in the thread: a run that failed for a bug, or the thread itself. */
  readonly onError: (error: unknown) => void;
  readonly restartDelayMs?: number;
  /** The thread's heap bound; past it the thread dies (and is replaced), never the process. */
  readonly maxOldGenerationSizeMb?: number;
  /** How long calls gather before they go to the thread as one message (and its counts come back). */
  readonly batchMs?: number;
};

const THREAD_DEFAULTS = { restartDelayMs: 5_000, maxOldGenerationSizeMb: 512, batchMs: 5 };

/** Specs are immutable: one id per spec object, for the thread to map back to its copy. */
const specIds = new WeakMap<GuardrailSpec, number>();
let nextSpecId = 1;
const specId = (spec: GuardrailSpec): number => {
  let id = specIds.get(spec);
  if (id === undefined) {
    id = nextSpecId++;
    specIds.set(spec, id);
  }
  return id;
};

export class ShadowThread implements ShadowExecutor {
  readonly #o: ShadowThreadOptions & Required<Pick<ShadowThreadOptions, keyof typeof THREAD_DEFAULTS>>;
  #worker: Worker | undefined;
  /** The view each namespace's copy in the thread was made from. */
  readonly #sent = new Map<string, NamespaceView>();
  #syncedWith: Snapshot | undefined;
  readonly #finishing = new Map<number, () => void>();
  #nextCall = 1;
  #diedAt = Number.NEGATIVE_INFINITY;
  #closing = false;
  #queue: ToShadowThread[] = [];
  #flushing: NodeJS.Timeout | undefined;
  #viewsSent = 0;
  #batchesSent = 0;

  constructor(options: ShadowThreadOptions) {
    this.#o = { ...THREAD_DEFAULTS, ...options };
  }

  /** Namespaces sent to the thread so far (each sent again only when it changed). */
  get viewsSent(): number {
    return this.#viewsSent;
  }

  /** Messages posted to the thread so far: one per `batchMs` at most, whatever the calls. */
  get batchesSent(): number {
    return this.#batchesSent;
  }

  /** Whether a thread is running. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  submit(call: ShadowSubmission, finished: () => void): boolean {
    const worker = this.#started();
    if (worker === undefined) return false;
    this.#sync(call.snapshot, call.view);
    const id = this.#nextCall++;
    this.#finishing.set(id, finished);
    // The thread keeps the process alive only while it has calls: a shutdown waits for them.
    if (this.#finishing.size === 1) worker.ref();
    const message: CallMessage = {
      kind: 'call',
      id,
      input: call.input,
      production: call.production,
      policies: call.policies,
      verdicts: call.verdicts?.settled(specId) ?? [],
    };
    this.#post(message);
    return true;
  }

  async close(): Promise<void> {
    this.#closing = true;
    const worker = this.#worker;
    this.#stopped();
    await worker?.terminate();
  }

  #started(): Worker | undefined {
    if (this.#worker !== undefined) return this.#worker;
    if (this.#closing || performance.now() - this.#diedAt < this.#o.restartDelayMs) return undefined;
    const data: ShadowThreadData = {
      batchMs: this.#o.batchMs,
      defaultNamespace: this.#o.defaultNamespace,
      deadlineMs: this.#o.deadlineMs,
      baselineContext: this.#o.baselineContext,
    };
    const worker = new Worker(new URL('./shadow-worker.ts', import.meta.url), {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.#o.maxOldGenerationSizeMb },
    });
    worker.unref();
    worker.on('message', (m: FromShadowThread) => this.#received(m));
    worker.on('error', (err) => this.#o.onError(err));
    worker.on('exit', (code) => {
      if (this.#worker !== worker) return;
      this.#o.onError(
        new Error(`the shadow thread stopped (exit code ${code}); its calls in hand are not counted`),
      );
      this.#diedAt = performance.now();
      this.#stopped();
    });
    this.#worker = worker;
    return worker;
  }

  /**
   * Queues a message for the thread; the queue goes as one message every `batchMs`. Waking the
   * thread (and being woken by its answer) once per call cost the event loop more than the call's
   * message itself.
   */
  #post(message: ToShadowThread): void {
    this.#queue.push(message);
    if (this.#flushing !== undefined) return;
    this.#flushing = setTimeout(this.#flush, this.#o.batchMs);
  }

  readonly #flush = (): void => {
    this.#flushing = undefined;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0 || this.#worker === undefined) return;
    this.#batchesSent++;
    this.#worker.postMessage(batch);
  };

  /** Forgets the thread and finishes the calls it had. */
  #stopped(): void {
    this.#worker = undefined;
    clearTimeout(this.#flushing);
    this.#flushing = undefined;
    this.#queue = [];
    this.#sent.clear();
    this.#syncedWith = undefined;
    const finishing = [...this.#finishing.values()];
    this.#finishing.clear();
    for (const finished of finishing) finished();
  }

  #received(m: FromShadowThread): void {
    for (const run of m.runs) this.#o.recorder.record(run);
    for (const error of m.errors) this.#o.onError(new Error(error));
    for (const id of m.finished) {
      const finished = this.#finishing.get(id);
      this.#finishing.delete(id);
      finished?.();
    }
    if (this.#finishing.size === 0) this.#worker?.unref();
  }

  /**
   * Brings the thread's copy of `view`'s namespace up to date, and once per snapshot drops the
   * copies of namespaces that no longer have versions in shadow: the work grows with the
   * namespaces that changed, not with those served.
   */
  #sync(snapshot: Snapshot, view: NamespaceView): void {
    if (this.#syncedWith !== snapshot) {
      this.#syncedWith = snapshot;
      for (const ns of [...this.#sent.keys()]) {
        if ((snapshot.namespaces.get(ns)?.shadows.length ?? 0) > 0) continue;
        this.#sent.delete(ns);
        this.#post({ kind: 'forget', namespace: ns });
      }
    }
    const sent = this.#sent.get(view.namespace);
    if (sent === view) return;
    this.#sent.set(view.namespace, view);
    // Each snapshot has new view objects; the namespace changed only where what a run reads did.
    if (sent !== undefined && sameForShadows(sent, view)) return;
    this.#viewsSent++;
    this.#post(viewMessage(view));
  }
}

/** Whether shadow runs read the same in both views: the same index, catalog specs and versions in shadow. */
function sameForShadows(a: NamespaceView, b: NamespaceView): boolean {
  if (a.index !== b.index || a.guardrails.size !== b.guardrails.size || a.shadows.length !== b.shadows.length)
    return false;
  for (const [name, spec] of a.guardrails) if (b.guardrails.get(name) !== spec) return false;
  return a.shadows.every((t, i) => {
    const u = b.shadows[i];
    return (
      u !== undefined && t.policy === u.policy && t.version === u.version && t.sampleRate === u.sampleRate
    );
  });
}

function viewMessage(view: NamespaceView): ViewMessage {
  return {
    kind: 'view',
    namespace: view.namespace,
    histories: view.histories.map((h) => {
      const production = productionVersion(h);
      return { ...h, versions: production ? [production] : [] };
    }),
    attachments: view.attachments,
    guardrails: [...view.guardrails].map(([name, spec]) => [name, spec, specId(spec)] as const),
    floor: view.floor,
    shadows: view.shadows,
  };
}
