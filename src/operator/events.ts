/**
 * Kubernetes Events about railyard.dev objects (leader only): what changed in a policy's history
 * and why an object is not in force. Core/v1 Events with `source.component: railyard`. The same
 * (object, reason, message) is recorded at most once per `windowMs`; a repeat after the window
 * raises the existing Event's `count` instead of creating another.
 */
import {
  CoreV1Api,
  type CoreV1Event,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { ObjectStatus, ReconcileChange } from '../engine/index.ts';
import { kubeError } from '../kube/index.ts';
import { type CustomObject, GROUP, VERSION } from '../sources/kubernetes/index.ts';

export const EVENT_REASONS = [
  'VersionCreated',
  'Promoted',
  'Demoted',
  'InvalidSpec',
  'ReferenceNotFound',
] as const;
export type EventReason = (typeof EVENT_REASONS)[number];

export type EventSpec = {
  readonly type: 'Normal' | 'Warning';
  readonly reason: EventReason;
  readonly message: string;
};

/** The Events one pass's version changes call for (created, promoted, demoted). Pure. */
export function versionEvents(change: ReconcileChange): EventSpec[] {
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
    default:
      return [];
  }
}

/**
 * The Warning a freshly written status calls for: InvalidSpec when not accepted,
 * ReferenceNotFound when an attachment's policy has no production version. Pure.
 */
export function statusEvents(status: ObjectStatus): EventSpec[] {
  const accepted = status.conditions.find((c) => c.type === 'Accepted');
  if (accepted?.status === 'False')
    return [{ type: 'Warning', reason: 'InvalidSpec', message: accepted.message }];
  if (status.attachment && !status.attachment.policyHasProduction) {
    const ready = status.conditions.find((c) => c.type === 'Ready');
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
  /** This replica, in `source.host` and `reportingInstance`. */
  readonly identity: string;
  /** At most one Event per (object, reason, message) per window (default 5 min). */
  readonly windowMs?: number;
  readonly now?: () => Date;
  readonly onError?: (error: unknown) => void;
};

type Sent = { readonly name: string; readonly namespace: string; at: number; count: number };

export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #api: CoreV1Api;
  readonly #sent = new Map<string, Sent>();
  #sequence = 0;

  /** Stores its arguments only. */
  constructor(o: EventRecorderOptions) {
    this.#o = o;
    this.#api = o.kubeConfig.makeApiClient(CoreV1Api);
  }

  /**
   * Records `event` about `object` unless the same one was recorded within the window. Never
   * throws: failures go to `onError` (an Event is best effort).
   */
  async record(object: CustomObject, kind: string, event: EventSpec): Promise<void> {
    const meta = object.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const key = `${meta.uid ?? `${namespace}/${meta.name}`}\n${event.reason}\n${event.message}`;
    const now = (this.#o.now ?? (() => new Date()))();
    const prior = this.#sent.get(key);
    if (prior && now.getTime() - prior.at < (this.#o.windowMs ?? 300_000)) return;
    try {
      if (prior) {
        prior.at = now.getTime();
        prior.count++;
        await this.#api.patchNamespacedEvent(
          { name: prior.name, namespace: prior.namespace, body: { count: prior.count, lastTimestamp: now } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      }
      const name = `${meta.name}.${now.getTime().toString(16)}${(this.#sequence++).toString(16)}`;
      this.#sent.set(key, { name, namespace, at: now.getTime(), count: 1 });
      const body: CoreV1Event = {
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind,
          name: meta.name,
          namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        reason: event.reason,
        message: event.message.slice(0, 1024),
        type: event.type,
        source: { component: 'railyard', host: this.#o.identity },
        reportingComponent: 'railyard',
        reportingInstance: this.#o.identity,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      await this.#api.createNamespacedEvent({ namespace, body });
    } catch (e) {
      if (prior && kubeError(e).code === 404) this.#sent.delete(key); // expired meanwhile: create next time
      this.#o.onError?.(e);
    }
  }
}
