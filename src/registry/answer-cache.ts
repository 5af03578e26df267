/**
 * The one cache of answers for repeat request contexts (a key calls the same few models): a
 * repeat then costs one lookup whatever the size of the registry. Entries belong to one snapshot,
 * so an answer never outlives the state it was computed from, and the cache is bounded by an
 * estimate of the bytes its entries hold, not only by their number.
 */
import type { RequestContext } from '../engine/index.ts';
import type { Snapshot } from './snapshot.ts';

const ANSWER_CACHE_DEFAULTS = { maxBytes: 32 * 1024 * 1024 } as const;
export type AnswerCacheOptions = {
  /** The estimated bytes of every entry together (key, value, and what adapters attach to it). */
  readonly maxBytes: number;
};

type Entry<V> = { readonly value: V; readonly bytes: number };

/** What one entry costs beyond its key and value: the map slot and the entry record. */
const ENTRY_OVERHEAD_BYTES = 96;

/**
 * Answers by (snapshot, key), least recently used first out. `get` then `set` on a miss: a compute
 * callback would be one more closure per request. Not safe to share across threads (none are).
 */
export class AnswerCache<V extends object> {
  readonly #maxBytes: number;
  #snapshot: Snapshot | undefined;
  #entries = new Map<string, Entry<V>>();
  #bytes = 0;

  constructor(options: Partial<AnswerCacheOptions> = {}) {
    this.#maxBytes = { ...ANSWER_CACHE_DEFAULTS, ...options }.maxBytes;
  }

  /** The estimated bytes held now; never more than `maxBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value stored for `key` with this very snapshot; undefined for any other snapshot. */
  get(snapshot: Snapshot, key: string): V | undefined {
    if (snapshot !== this.#snapshot) return undefined;
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key); // most recently used goes last
    this.#entries.set(key, entry);
    return entry.value;
  }

  /**
   * Stores `value` (estimated at `valueBytes`) and returns it. A newer snapshot (a higher serial)
   * drops every entry first; a value for an older one
   * is not stored. The least recently used entries go until the new one fits; one that could never
   * fit is not stored.
   */
  set(snapshot: Snapshot, key: string, value: V, valueBytes: number): V {
    if (snapshot !== this.#snapshot) {
      if (this.#snapshot !== undefined && snapshot.serial < this.#snapshot.serial) return value;
      this.#snapshot = snapshot;
      this.#entries = new Map();
      this.#bytes = 0;
    }
    const bytes = 2 * key.length + valueBytes + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.#maxBytes) return value;
    const replaced = this.#entries.get(key);
    if (replaced !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= replaced.bytes;
    }
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes + bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    return value;
  }
}

/**
 * Everything of a request that its answer depends on, as one string that no other request shares:
 * the namespace and each context value length-prefixed, an absent one `-` (distinct from the empty
 * string, which matches differently), and the tags counted. So `ab`+`c` and `a`+`bc` differ, and so
 * do the tags `["p,q"]` and `["p","q"]`.
 */
export function answerKey(namespace: string | undefined, ctx: RequestContext): string {
  let key = `${field(namespace)}${field(ctx.teamAlias)}${field(ctx.keyAlias)}${field(ctx.model)}`;
  const tags = ctx.tags;
  if (tags === null || tags === undefined) return `${key}-`;
  key += `${tags.length}#`;
  for (const tag of tags) key += field(tag);
  return key;
}

function field(value: string | null | undefined): string {
  return value === null || value === undefined ? '-' : `${value.length}:${value}`;
}
