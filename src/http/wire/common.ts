/** The shapes every route shares: errors, messages, health and status. */
import { ISSUE_CODES, ISSUE_SEVERITIES } from '../../engine/index.ts';
import { BOOLEAN, INTEGER, object, STRING } from './schema.ts';

export const ISSUE = object(
  { code: { enum: ISSUE_CODES }, severity: { enum: ISSUE_SEVERITIES }, path: STRING, message: STRING },
  ['code', 'severity', 'path', 'message'],
);

/** FastAPI's `{"detail": ...}`, so LiteLLM clients read it unchanged, with the field-level issues. */
export const ERROR = object({ detail: STRING, issues: { type: 'array', items: ISSUE } }, ['detail']);

export const MESSAGE_RESPONSE = object({ message: STRING, warning: STRING }, ['message']);

export const HEALTH = object({ status: { enum: ['ok'] } }, ['status']);

export const READINESS = object({ ready: BOOLEAN, revision: INTEGER, reason: STRING }, ['ready']);

export const LIVENESS = object({ live: BOOLEAN, reason: STRING }, ['live']);
