/** `GET /v1/status`: every declared object with its conditions, and how reconciling goes. */
import type { ControllerStatus } from '../../reconcile/index.ts';
import { ISSUE } from './common.ts';
import { BOOLEAN, type FromSchema, INTEGER, NULLABLE_STRING, object, orNull, STRING } from './schema.ts';
import { SHADOW_ENTRY } from './shadow.ts';

/** Where an object was read from: a file and line, a Kubernetes object, or the API. */
const ORIGIN = { type: 'object', required: ['kind'] } as const;

/** How reconciling goes: absent when the server has no controller (never, in `serve`). */
export const RECONCILE_STATUS = object(
  {
    synced: BOOLEAN,
    last_reconcile_id: NULLABLE_STRING,
    last_success_at: NULLABLE_STRING,
    /** Present while reconcile passes fail; the last good state keeps serving meanwhile. */
    failing: orNull(
      object({ since: STRING, attempts: INTEGER, error: STRING, retry_at: STRING }, [
        'since',
        'attempts',
        'error',
        'retry_at',
      ]),
    ),
    /**
     * Present while the source cannot see its backend; it keeps serving its last view meanwhile,
     * stale since `since` (`stale_seconds` ago).
     */
    source_trouble: orNull(
      object({ since: STRING, stale_seconds: INTEGER, message: STRING }, [
        'since',
        'stale_seconds',
        'message',
      ]),
    ),
    /**
     * Kubernetes mode (null otherwise): the replica that writes versions and statuses, as this
     * one last read the Lease. `identity` is null while no leader is known, since `unknown_since`.
     */
    leader: orNull(
      object(
        {
          identity: NULLABLE_STRING,
          this_replica: BOOLEAN,
          since: NULLABLE_STRING,
          unknown_since: NULLABLE_STRING,
          unknown_seconds: orNull(INTEGER),
          error: NULLABLE_STRING,
        },
        ['identity', 'this_replica', 'since', 'unknown_since', 'unknown_seconds', 'error'],
      ),
    ),
  },
  ['synced', 'last_reconcile_id', 'last_success_at', 'failing', 'source_trouble', 'leader'],
);

export const STATUS = object(
  {
    revision: INTEGER,
    synced: BOOLEAN,
    objects: {
      type: 'array',
      items: {
        type: 'object',
        properties: { origin: ORIGIN, issues: { type: 'array', items: ISSUE } },
        required: ['key', 'origin', 'conditions', 'issues'],
      },
    },
    reconcile: RECONCILE_STATUS,
    /** Versions in shadow, and those shadow runs counted: each with its agreement so far. */
    shadows: { type: 'array', items: SHADOW_ENTRY },
    unreadable_documents: {
      type: 'array',
      items: {
        type: 'object',
        properties: { origin: ORIGIN, issues: { type: 'array', items: ISSUE } },
        required: ['origin', 'issues'],
      },
    },
  },
  ['revision', 'synced', 'objects', 'unreadable_documents', 'shadows'],
);

const isoTime = (ms: number): string => new Date(ms).toISOString();

const wholeSeconds = (ms: number): number => Math.max(0, Math.floor(ms / 1000));

/** `reconcile` of `GET /v1/status`: whether passes succeed, and what fails meanwhile, at `now` (epoch ms). */
export function toWireReconcileStatus(
  s: ControllerStatus,
  now = Date.now(),
): FromSchema<typeof RECONCILE_STATUS> {
  const leader = s.leader;
  return {
    synced: s.synced,
    last_reconcile_id: s.lastReconcileId ?? null,
    last_success_at: s.lastSuccessAt === undefined ? null : isoTime(s.lastSuccessAt),
    failing: s.failing
      ? {
          since: isoTime(s.failing.since),
          attempts: s.failing.attempts,
          error: s.failing.error,
          retry_at: isoTime(s.failing.retryAt),
        }
      : null,
    source_trouble: s.source
      ? {
          since: isoTime(s.source.since),
          stale_seconds: wholeSeconds(now - s.source.since),
          message: s.source.message,
        }
      : null,
    leader: leader
      ? {
          identity: leader.identity ?? null,
          this_replica: leader.self,
          since: leader.since === undefined ? null : isoTime(leader.since),
          unknown_since: leader.unknownSince === undefined ? null : isoTime(leader.unknownSince),
          unknown_seconds: leader.unknownSince === undefined ? null : wholeSeconds(now - leader.unknownSince),
          error: leader.error ?? null,
        }
      : null,
  };
}
