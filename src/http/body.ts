import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import type { Issue } from '../engine/index.ts';
import { HttpError } from './errors.ts';

const ajv = new Ajv({ allErrors: true, strict: true });

export type BodyParser<T> = (body: unknown) => T;

/**
 * A parser for one request body, compiled once from a JSON schema. Unknown fields give 422 naming
 * them (as pydantic's `extra="forbid"` does), wrong types 422 naming the field; never a 500.
 */
export function bodyParser<T>(schema: JSONSchemaType<T>): BodyParser<T> {
  const validate: ValidateFunction<T> = ajv.compile(schema);
  return (body: unknown): T => {
    if (validate(body)) return body;
    const issues = (validate.errors ?? []).map(toIssue);
    throw new HttpError('unprocessable', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  };
}

function toIssue(e: ErrorObject): Issue {
  const path = ['body', ...e.instancePath.split('/').filter(Boolean)].join('.');
  if (e.keyword === 'additionalProperties') {
    const field = String((e.params as { additionalProperty: string }).additionalProperty);
    return {
      code: 'invalid_schema',
      severity: 'error',
      path: `${path}.${field}`,
      message: 'unknown field; remove it',
    };
  }
  return { code: 'invalid_schema', severity: 'error', path, message: e.message ?? 'is invalid' };
}
