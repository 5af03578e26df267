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
    /** Present while the source cannot see its backend; it keeps its last view meanwhile. */
    source_trouble: orNull(object({ since: STRING, message: STRING }, ['since', 'message'])),
  },
  ['synced', 'last_reconcile_id', 'last_success_at', 'failing', 'source_trouble'],
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

/** `reconcile` of `GET /v1/status`: whether passes succeed, and what fails meanwhile. */
export function toWireReconcileStatus(s: ControllerStatus): FromSchema<typeof RECONCILE_STATUS> {
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
    source_trouble: s.source ? { since: isoTime(s.source.since), message: s.source.message } : null,
  };
}
