import type { Checked, Issue, Message } from '../../engine/index.ts';

/**
 * Reads the messages of a pipeline run: a list whose items are `{role, content}` or a plain string
 * (a `user` message). Issues have paths under `path`, e.g. `spec.cases[2].pipeline.messages[0]`.
 */
export function parseMessages(raw: unknown, path: string): Checked<Message[]> {
  const issue = (at: string, message: string): Issue => ({
    code: 'invalid_schema',
    severity: 'error',
    path: at,
    message,
  });
  if (!Array.isArray(raw) || raw.length === 0) {
    return {
      ok: false,
      issues: [issue(path, 'must be a non-empty list of messages ({role, content} or a string)')],
    };
  }
  const messages: Message[] = [];
  const issues: Issue[] = [];
  raw.forEach((m: unknown, i) => {
    if (typeof m === 'string') messages.push({ role: 'user', content: m });
    else if (
      typeof m === 'object' &&
      m !== null &&
      typeof (m as Message).role === 'string' &&
      typeof (m as Message).content === 'string'
    ) {
      messages.push({ role: (m as Message).role, content: (m as Message).content });
    } else issues.push(issue(`${path}[${i}]`, 'must be a string or {role: <string>, content: <string>}'));
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: messages };
}
