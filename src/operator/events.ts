/**
 * Kubernetes Events about railyard.dev objects (leader only): what changed in a policy's history
 * and why an object is not in force. Recorded through `events.k8s.io/v1` (GA since 1.19), a group
 * of its own, so the operator needs no write access to core objects outside its namespace;
 * `kubectl get events` and `kubectl describe` show them as any other Event.
 *
 * Normal Events (a version created, promoted, demoted, published, dropped) each record something
 * that happened once: every one is a new Event, so promoting a version again (a revert) is seen
 * again. A Warning repeats the state of an object: the same (object, reason, message) is recorded
 * at most once per `windowMs`, and a repeat after the window adds to the existing Event's series.
 */
import {
  EventsV1Api,
  type EventsV1Event,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
} from '@kubernetes/client-node';
import type { ObjectStatus, ReconcileChange } from '../engine/index.ts';
import { FIELD_MANAGER, kubeError } from '../kube/index.ts';
import { type CustomObject, GROUP, VERSION } from '../sources/kubernetes/index.ts';

/** `reportingController` of every Event (`reportingComponent` in `kubectl get events -o wide`). */
const REPORTING_CONTROLLER = 'railyard';

/** Each reason with the `action` an events.k8s.io Event names: what was done, or failed. */
const ACTIONS = {
  VersionCreated: 'RecordVersion',
  Promoted: 'Promote',
  Demoted: 'Demote',
  Published: 'Publish',
  VersionsPruned: 'PruneHistory',
  InvalidSpec: 'Validate',
  GuardrailNotFound: 'Validate',
  GuardrailInvalid: 'Validate',
  ParentNotInProduction: 'Validate',
  HistoryNotStored: 'StoreHistory',
  ReferenceNotFound: 'Validate',
} as const;
type EventReason = keyof typeof ACTIONS;

/** The Ready reasons that are a Warning: the object, or what it needs, is broken. */
const WARNING_READY_REASONS: ReadonlySet<string> = new Set<EventReason>([
  'InvalidSpec',
  'GuardrailNotFound',
  'GuardrailInvalid',
  'ParentNotInProduction',
  'HistoryNotStored',
]);

export type EventSpec = {
  readonly type: 'Normal' | 'Warning';
  readonly reason: EventReason;
  readonly message: string;
};

/** The Events one change of a pass calls for (versions created, promoted, demoted, published, pruned). Pure. */
export function versionEvents(change: ReconcileChange): EventSpec[] {
  if (change.kind === 'pruned') {
    return [
      {
        type: 'Normal',
        reason: 'VersionsPruned',
        message: `Dropped version${change.versions.length > 1 ? 's' : ''} ${change.versions.join(', ')} from the stored history (retention keeps the production, latest and published versions and the newest drafts, within the size limit)`,
      },
    ];
  }
  if (change.kind !== 'version') return [];
  const c = change.change;
  switch (c.kind) {
    case 'created':
      return [
        {
          type: 'Normal',
          reason: 'VersionCreated',
          message: `Created version ${c.versionNumber} (policy_id ${c.policyId})`,
        },
      ];
    case 'promoted':
      return [
        { type: 'Normal', reason: 'Promoted', message: `Version ${c.versionNumber} is now in production` },
      ];
    case 'demoted':
      return [
        { type: 'Normal', reason: 'Demoted', message: `Version ${c.versionNumber} was demoted to published` },
      ];
    case 'published':
      return [{ type: 'Normal', reason: 'Published', message: `Version ${c.versionNumber} was published` }];
    default:
      return [];
  }
}

/**
 * The Warning a freshly written status calls for: its Ready reason when that says something is
 * broken (with the Accepted message when the spec is invalid, which names the problem), or
 * ReferenceNotFound when an attachment's policy has no production version. Pure.
 */
export function statusEvents(status: ObjectStatus): EventSpec[] {
  const ready = status.conditions.find((c) => c.type === 'Ready');
  const accepted = status.conditions.find((c) => c.type === 'Accepted');
  if (ready?.status === 'False' && WARNING_READY_REASONS.has(ready.reason)) {
    return [
      {
        type: 'Warning',
        reason: ready.reason as EventReason,
        message: accepted?.status === 'False' ? accepted.message : ready.message,
      },
    ];
  }
  if (status.attachment && !status.attachment.policyHasProduction) {
    return [
      {
        type: 'Warning',
        reason: 'ReferenceNotFound',
        message: ready?.message ?? 'The policy has no production version',
      },
    ];
  }
  return [];
}

export type EventRecorderOptions = {
  readonly kubeConfig: KubeConfig;
  /** This replica, as `reportingInstance`. */
  readonly identity: string;
  /** At most one Warning per (object, reason, message) per window (default 5 min). */
  readonly windowMs?: number;
  readonly now?: () => Date;
  readonly onError?: (error: unknown) => void;
  /** Told about every failed write (for a metric). */
  readonly onWriteError?: (verb: 'create' | 'patch', error: unknown) => void;
};

type Sent = { readonly name: string; readonly namespace: string; at: number; count: number };

/**
 * How long a Warning is remembered for its series: the API server's default `--event-ttl`, after
 * which the Event it would add to is gone anyway. Forgetting keeps the memory bounded by the
 * Warnings of the last hour, not of the process's whole life.
 */
const REMEMBER_MS = 3_600_000;

export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #api: EventsV1Api;
  readonly #sent = new Map<string, Sent>();
  #sequence = 0;
  #swept = 0;

  /** Stores its arguments only. */
  constructor(o: EventRecorderOptions) {
    this.#o = o;
    this.#api = o.kubeConfig.makeApiClient(EventsV1Api);
  }

  /**
   * Records `event` about `object` (see the module comment for when a Warning is skipped or
   * counted in a series). Never throws: failures go to `onError` (an Event is best effort).
   */
  async record(object: CustomObject, kind: string, event: EventSpec): Promise<void> {
    const meta = object.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const key = `${meta.uid ?? `${namespace}/${meta.name}`}\n${event.reason}\n${event.message}`;
    const now = (this.#o.now ?? (() => new Date()))();
    this.#sweep(now.getTime());
    const repeats = event.type === 'Warning';
    const prior = repeats ? this.#sent.get(key) : undefined;
    if (prior && now.getTime() - prior.at < (this.#o.windowMs ?? 300_000)) return;
    let verb: 'create' | 'patch' = 'create';
    try {
      if (prior) {
        verb = 'patch';
        prior.at = now.getTime();
        prior.count++;
        await this.#api.patchNamespacedEvent(
          {
            name: prior.name,
            namespace: prior.namespace,
            fieldManager: FIELD_MANAGER,
            body: { series: { count: prior.count, lastObservedTime: new V1MicroTime(now.getTime()) } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      }
      const name = `${(meta.name ?? 'railyard').slice(0, 200)}.${now.getTime().toString(16)}${(this.#sequence++).toString(16)}`;
      if (repeats) this.#sent.set(key, { name, namespace, at: now.getTime(), count: 1 });
      const body: EventsV1Event = {
        metadata: { name, namespace },
        eventTime: new V1MicroTime(now.getTime()),
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: this.#o.identity.slice(0, 128),
        action: ACTIONS[event.reason],
        reason: event.reason,
        note: truncateBytes(event.message, 1024),
        type: event.type,
        regarding: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind,
          name: meta.name,
          // A cluster-scoped object (a GuardrailFloor) has none; its Events live in `default`.
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
      };
      await this.#api.createNamespacedEvent({ namespace, body, fieldManager: FIELD_MANAGER });
    } catch (e) {
      if (prior && kubeError(e).code === 404) this.#sent.delete(key); // expired meanwhile: create next time
      this.#o.onWriteError?.(verb, e);
      this.#o.onError?.(e);
    }
  }

  /** Warnings remembered (for tests). */
  remembered(): number {
    return this.#sent.size;
  }

  /** Forgets Warnings last recorded more than `REMEMBER_MS` ago; looks at most once a minute. */
  #sweep(now: number): void {
    if (now - this.#swept < 60_000) return;
    this.#swept = now;
    for (const [key, sent] of this.#sent) if (now - sent.at > REMEMBER_MS) this.#sent.delete(key);
  }
}

/** `s` cut to at most `max` UTF-8 bytes, on a character boundary (the API server counts bytes). */
function truncateBytes(s: string, max: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(s).length <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = encoder.encode(ch).length;
    if (bytes + n > max - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
}
