/**
 * A bounded, expiring map from a proxy's call id to what its pre-call check learned (the model
 * the client asked for), so the post-call check of the same call resolves the same policies.
 */

export type CallCacheOptions = {
  /** Most entries kept; inserting past it evicts the oldest. */
  readonly maxEntries: number;
  /** Longest id kept: a longer one (no proxy makes one) is not remembered, so memory stays bounded. */
  readonly maxIdChars: number;
  /** An entry is forgotten this long after it was written. */
  readonly ttlMs: number;
  /** Milliseconds from any fixed origin. */
  readonly now: () => number;
};

export const CALL_CACHE_DEFAULTS: CallCacheOptions = {
  maxEntries: 10_000,
  maxIdChars: 256,
  ttlMs: 10 * 60_000,
  now: () => performance.now(),
};

type Entry<V> = { readonly value: V; readonly expiresAt: number };

/**
 * Insertion-ordered: a write moves the id to the newest end, eviction takes the oldest. `get` of an
 * expired entry deletes it and answers undefined. Memory is bounded by `maxEntries` and
 * `maxIdChars` whatever the traffic (callers bound the values); each operation is O(1) amortised.
 */
export class CallCache<V> {
  readonly #opts: CallCacheOptions;
  readonly #entries = new Map<string, Entry<V>>();

  constructor(opts: Partial<CallCacheOptions> = {}) {
    this.#opts = { ...CALL_CACHE_DEFAULTS, ...opts };
  }

  get size(): number {
    return this.#entries.size;
  }

  set(id: string, value: V): void {
    if (id.length > this.#opts.maxIdChars) return;
    this.#entries.delete(id);
    if (this.#entries.size >= this.#opts.maxEntries) this.#evictOldest();
    this.#entries.set(id, { value, expiresAt: this.#opts.now() + this.#opts.ttlMs });
  }

  get(id: string): V | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#opts.now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry.value;
  }

  /** Drops expired entries from the old end first, then the oldest live one if still full. */
  #evictOldest(): void {
    const now = this.#opts.now();
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#entries.delete(id);
    }
    if (this.#entries.size >= this.#opts.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }
}
