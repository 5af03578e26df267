import { randomUUID } from 'node:crypto';
import type {
  AttachmentRecord,
  FloorResource,
  GuardrailSpec,
  Issue,
  PolicyHistory,
  PolicyVersion,
  Resource,
  Result,
  ShadowTarget,
  VersionEnv,
} from '../engine/index.ts';
import {
  type DeclaredInput,
  type DeclaredState,
  declaredShadow,
  describeOrigin,
  emptyDeclaredState,
  failure,
  guardrailNameOf,
  historyKey,
  isDeclared,
  policyNameOf,
  type ReconcileChange,
  reconcileDeclared,
} from '../engine/index.ts';
import { compileGuardrail } from '../guardrails/index.ts';
import type { VersionStore } from '../store/index.ts';
import { buildSnapshot, type Snapshot } from './snapshot.ts';

/** A guardrail of a namespace's catalog, under the name policies use. */
type CatalogEntry = { readonly namespace: string; readonly name: string; readonly spec: GuardrailSpec };

/** What an API write sees: histories keyed `namespace/name`, API attachments keyed by id. */
export type ApiState = {
  readonly histories: ReadonlyMap<string, PolicyHistory>;
  readonly attachments: ReadonlyMap<string, AttachmentRecord>;
};

/** What an API write returns: the changed maps (omitted when unchanged) and its result. */
export type ApiChange<T> = {
  readonly histories?: ReadonlyMap<string, PolicyHistory>;
  readonly attachments?: ReadonlyMap<string, AttachmentRecord>;
  readonly result: T;
};

export type RegistryOptions = {
  readonly store: VersionStore;
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** Called with every snapshot as it is swapped in (metrics, logs). */
  readonly onPublish?: (snapshot: Snapshot) => void;
};

/**
 * The registry service: it owns the reconciled state and publishes immutable snapshots. Every
 * write (a source pass, an API mutation) runs alone, in arrival order; readers take `snapshot()`
 * and never wait for a writer.
 */
export class Registry {
  readonly #opts: Required<Omit<RegistryOptions, 'onPublish'>> & Pick<RegistryOptions, 'onPublish'>;
  #declared: DeclaredState = emptyDeclaredState();
  #apiAttachments = new Map<string, AttachmentRecord>();
  #attachmentRecords = new WeakMap<Resource, AttachmentRecord>();
  #catalogEntries = new WeakMap<Resource, CatalogEntry>();
  /** Shadows started through the API (directory mode), by history key: in memory only. */
  #apiShadows = new Map<string, { readonly policyId: string; readonly sampleRate: number }>();
  /** Each declared policy's shadow, while its resource and history are the same objects. */
  #declaredShadows = new WeakMap<
    Resource,
    { readonly history: PolicyHistory | undefined; readonly target: ShadowTarget | undefined }
  >();
  #snapshot: Snapshot = buildSnapshot(0, { histories: [], attachments: [], guardrails: [], statuses: [] });
  #writes: Promise<unknown> = Promise.resolve();
  #waiters = new Set<() => void>();
  #synced = false;
  #versioning: 'apply' | 'observe' = 'apply';
  #lastInput: DeclaredInput = { resources: [], rejected: [] };

  constructor(opts: RegistryOptions) {
    this.#opts = { now: () => new Date(), newId: randomUUID, ...opts };
  }

  /** Loads the stored history; call once before the first pass. */
  async load(): Promise<void> {
    const state = await this.#opts.store.load();
    this.#declared = emptyDeclaredState(
      new Map(state.policies.map((h) => [historyKey(h.namespace, h.name), h])),
    );
    this.#apiAttachments = new Map(state.attachments.map((a) => [a.attachmentId, a]));
    this.#publish();
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** True once the sources have delivered their first complete view. */
  synced(): boolean {
    return this.#synced;
  }

  markSynced(): void {
    this.#synced = true;
  }

  /**
   * Resolves with the newest snapshot as soon as its revision differs from `revision`, or with
   * undefined when the timeout passes or the signal aborts first.
   */
  waitForChange(revision: number, timeoutMs: number, signal?: AbortSignal): Promise<Snapshot | undefined> {
    if (this.#snapshot.revision !== revision) return Promise.resolve(this.#snapshot);
    return new Promise((resolve) => {
      const done = (value: Snapshot | undefined): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        signal?.removeEventListener('abort', abort);
        resolve(value);
      };
      const wake = (): void => done(this.#snapshot);
      const abort = (): void => done(undefined);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#waiters.add(wake);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /**
   * Whether passes record versions (`apply`: the only writer, e.g. the leader) or take the
   * histories from the store as they are (`observe`: a follower replica).
   */
  setVersioning(mode: 'apply' | 'observe'): void {
    this.#versioning = mode;
  }

  /**
   * Replaces the histories and API attachments with what the store holds now (another replica
   * wrote them, or a write lost a race) and re-runs the last committed pass without recording
   * versions, so statuses follow. Runs after every earlier write, so the store read sees their
   * results. What the store lacks is recorded again by the next pass with `reapplyAll`.
   */
  reload(): Promise<void> {
    return this.#exclusive(async () => {
      const state = await this.#opts.store.load();
      this.#declared = {
        ...this.#declared,
        histories: new Map(state.policies.map((h) => [historyKey(h.namespace, h.name), h])),
      };
      this.#apiAttachments = new Map(state.attachments.map((a) => [a.attachmentId, a]));
      this.#declared = this.#pass(this.#lastInput, { versioning: 'observe' }).next;
      this.#publish();
    });
  }

  /**
   * One reconcile pass over everything the declared sources hold: the pass is computed, its
   * histories stored, then its snapshot published; a store error rejects and leaves the registry
   * as it was, so the same pass can simply be tried again. `reapplyAll` applies every valid
   * policy again, not only the changed ones (a new leader: the last one may have died before
   * recording a version). Never runs concurrently with another write.
   */
  applyDeclared(
    input: DeclaredInput,
    opts: { readonly reapplyAll?: boolean } = {},
  ): Promise<readonly ReconcileChange[]> {
    return this.#exclusive(async () => {
      const before = this.#declared.histories;
      const { next, changes } = this.#pass(input, { reapplyAll: opts.reapplyAll ?? false });
      // The snapshot is built while the store writes; it is published only once the write is done.
      const persisting =
        next.histories !== before && changedHistories(before, next.histories)
          ? this.#persist(next.histories)
          : undefined;
      const snapshot = this.#nextSnapshot(next, this.#apiAttachments);
      await persisting;
      this.#declared = next;
      this.#lastInput = input;
      this.#swap(snapshot);
      return changes;
    });
  }

  #pass(
    input: DeclaredInput,
    opts: { readonly versioning?: 'observe'; readonly reapplyAll?: boolean },
  ): ReturnType<typeof reconcileDeclared> {
    return reconcileDeclared(this.#declared, input, {
      env: this.#env(null),
      versioning: opts.versioning ?? this.#versioning,
      reapplyAll: opts.reapplyAll ?? false,
      checkGuardrailConfig,
      ...(this.#opts.store.fit ? { fitHistory: this.#opts.store.fit } : {}),
    });
  }

  /**
   * Runs one write of the HTTP API alone, after every earlier write. `work` gets the current
   * histories (all origins; declared ones are read-only by the version rules) and API-created
   * attachments, and returns the new ones only if it changed them. Changes are persisted before
   * they are published; `work` must not throw for a client's mistake (return an error value).
   */
  transact<T>(actor: string | null, work: (state: ApiState, env: VersionEnv) => ApiChange<T>): Promise<T> {
    return this.#exclusive(async () => {
      const change = work(
        { histories: this.#declared.histories, attachments: this.#apiAttachments },
        this.#env(actor),
      );
      if (change.histories || change.attachments) {
        const histories = change.histories ?? this.#declared.histories;
        const attachments = change.attachments ?? this.#apiAttachments;
        await this.#opts.store.save({
          policies: [...histories.values()],
          attachments: [...attachments.values()],
        });
        this.#declared = { ...this.#declared, histories };
        this.#apiAttachments = new Map(attachments);
        this.#publish();
      }
      return change.result;
    });
  }

  #env(actor: string | null): VersionEnv {
    return { now: this.#opts.now().toISOString(), newId: this.#opts.newId, actor };
  }

  async #persist(histories: ReadonlyMap<string, PolicyHistory>): Promise<void> {
    await this.#opts.store.save({
      policies: [...histories.values()],
      attachments: [...this.#apiAttachments.values()],
    });
  }

  #publish(): void {
    this.#swap(this.#nextSnapshot(this.#declared, this.#apiAttachments));
  }

  /** The snapshot of a state; building it reads nothing else, so it can run ahead of a write. */
  #nextSnapshot(declared: DeclaredState, apiAttachments: ReadonlyMap<string, AttachmentRecord>): Snapshot {
    const declaredAttachments: AttachmentRecord[] = [];
    const guardrails: CatalogEntry[] = [];
    const floors: FloorResource[] = [];
    const shadows: ShadowTarget[] = [];
    for (const res of declared.lastGood.values()) {
      if (res.kind === 'PolicyAttachment') declaredAttachments.push(this.#attachmentRecord(res));
      if (res.kind === 'Guardrail') guardrails.push(this.#catalogEntry(res));
      if (res.kind === 'GuardrailFloor') floors.push(res);
      if (res.kind === 'Policy' && res.spec.shadow !== undefined) {
        const target = this.#declaredShadow(res, declared.histories);
        if (target) shadows.push(target);
      }
    }
    for (const [hk, s] of this.#apiShadows) {
      const h = declared.histories.get(hk);
      const version = h && apiShadowVersion(h, s.policyId);
      if (h && version)
        shadows.push({
          namespace: h.namespace,
          policy: h.name,
          version,
          sampleRate: s.sampleRate,
          source: 'api',
        });
    }
    return buildSnapshot(
      this.#snapshot.serial + 1,
      {
        histories: declared.histories.values(),
        attachments: [...declaredAttachments, ...apiAttachments.values()],
        guardrails,
        statuses: declared.statuses,
        unreadable: declared.unreadable.values(),
        floors,
        shadows,
        ...(declared.namespaceLabels ? { namespaceLabels: declared.namespaceLabels } : {}),
      },
      this.#snapshot,
    );
  }

  #declaredShadow(
    res: Extract<Resource, { kind: 'Policy' }>,
    histories: ReadonlyMap<string, PolicyHistory>,
  ): ShadowTarget | undefined {
    const history = histories.get(historyKey(res.namespace, policyNameOf(res)));
    const known = this.#declaredShadows.get(res);
    if (known && known.history === history) return known.target;
    const target = declaredShadow(res, history);
    this.#declaredShadows.set(res, { history, target });
    return target;
  }

  /**
   * Starts (a sample rate) or ends (undefined) the shadow of an API-created policy version in
   * `namespace`, then publishes. The version must not be in production; a declared policy's
   * shadow is its `spec.shadow` (read_only here). One shadow per policy: a new one replaces it.
   * Kept in memory: a restart ends API shadows (their counts stay in the usage data).
   */
  shadow(
    namespace: string,
    policyId: string,
    sampleRate: number | undefined,
  ): Promise<Result<{ readonly policy: string; readonly version: PolicyVersion }>> {
    return this.#exclusive(async () => {
      let found: { hk: string; history: PolicyHistory; version: PolicyVersion } | undefined;
      for (const [hk, history] of this.#declared.histories) {
        if (history.namespace !== namespace) continue;
        const version = history.versions.find((v) => v.policyId === policyId);
        if (version) found = { hk, history, version };
      }
      if (!found) return { ok: false, error: failure('not_found', `Policy version '${policyId}' not found`) };
      const { hk, history, version } = found;
      if (sampleRate === undefined) {
        if (this.#apiShadows.get(hk)?.policyId !== policyId)
          return {
            ok: false,
            error: failure('not_found', `Policy version '${policyId}' is not in shadow`),
          };
        this.#apiShadows.delete(hk);
      } else {
        if (isDeclared(history))
          return {
            ok: false,
            error: failure(
              'read_only',
              `Policy '${history.name}' is declared (${describeWhere(history)}); put a version in shadow there with spec.shadow: {sampleRate: ${sampleRate}}`,
            ),
          };
        if (version.status === 'production' || !history.active)
          return {
            ok: false,
            error: failure(
              'bad_request',
              `Version ${version.versionNumber} of policy '${history.name}' is ${history.active ? 'in production' : 'deleted'}; a shadow runs a draft or published version beside production`,
            ),
          };
        this.#apiShadows.set(hk, { policyId, sampleRate });
      }
      this.#publish();
      return { ok: true, value: { policy: history.name, version } };
    });
  }

  #swap(snapshot: Snapshot): void {
    const changed = snapshot.revision !== this.#snapshot.revision;
    this.#snapshot = snapshot;
    this.#opts.onPublish?.(snapshot);
    if (changed) for (const wake of [...this.#waiters]) wake();
  }

  /**
   * A declared Guardrail as the catalog lists it: under the name policies use. One object per
   * resource, so an unchanged guardrail is the same entry from snapshot to snapshot.
   */
  #catalogEntry(res: Extract<Resource, { kind: 'Guardrail' }>): CatalogEntry {
    let entry = this.#catalogEntries.get(res);
    if (!entry) {
      entry = { namespace: res.namespace, name: guardrailNameOf(res), spec: res.spec };
      this.#catalogEntries.set(res, entry);
    }
    return entry;
  }

  /** Declared attachments keep their record (and so the index) as long as the object is unchanged. */
  #attachmentRecord(res: Extract<Resource, { kind: 'PolicyAttachment' }>): AttachmentRecord {
    let record = this.#attachmentRecords.get(res);
    if (!record) {
      // The object's own times where the source knows them (Kubernetes), so replicas agree.
      const now = this.#opts.now().toISOString();
      record = {
        attachmentId: res.name,
        namespace: res.namespace,
        spec: res.spec,
        origin: res.origin,
        createdAt: res.createdAt ?? now,
        updatedAt: res.updatedAt ?? res.createdAt ?? now,
        createdBy: null,
        updatedBy: null,
      };
      this.#attachmentRecords.set(res, record);
    }
    return record;
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(work, work);
    this.#writes = run.catch(() => undefined);
    return run;
  }
}

/** One function for every pass, so that a pass re-validates only what changed (see `reconcileDeclared`). */
function checkGuardrailConfig(g: Extract<Resource, { kind: 'Guardrail' }>): Issue[] {
  const compiled = compileGuardrail(guardrailNameOf(g), g.spec);
  return compiled.ok ? [] : compiled.issues;
}

/** An API shadow's version while it may run: still there, still a draft or published, history active. */
function apiShadowVersion(history: PolicyHistory, policyId: string): PolicyVersion | undefined {
  if (isDeclared(history) || !history.active) return undefined;
  const version = history.versions.find((v) => v.policyId === policyId);
  return version && version.status !== 'production' ? version : undefined;
}

const describeWhere = (h: PolicyHistory): string => describeOrigin(h.origin);

function changedHistories(
  a: ReadonlyMap<string, PolicyHistory>,
  b: ReadonlyMap<string, PolicyHistory>,
): boolean {
  if (a.size !== b.size) return true;
  for (const [k, h] of b) if (a.get(k) !== h) return true;
  return false;
}
