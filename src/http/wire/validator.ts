/** Request body validators, compiled once by ajv from the wire schemas. */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Issue } from '../../engine/index.ts';
import { HttpError } from '../errors.ts';
import { tooLong, tooMany } from './context.ts';
import type { FromSchema, Loosened, Schema } from './schema.ts';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

export type BodyParser<T> = (body: unknown) => T;

/**
 * A parser for one request body, compiled once from its schema. Unknown fields give 422 naming
 * them (as pydantic's `extra="forbid"` does), wrong types and values over a limit 422 naming the
 * field; never a 500. `checkedLater` names properties that are only checked against a looser
 * schema here, because their route checks them in full with LiteLLM's messages and status
 * (e.g. the 400 `Invalid pipeline: ...`), against the same rules `schema` documents.
 */
export function bodyParser<
  const S extends Schema,
  const L extends Readonly<Record<string, Schema>> = Record<never, never>,
>(schema: S, checkedLater?: L): BodyParser<FromSchema<Loosened<S, L>>> {
  const properties = { ...(schema.properties as Record<string, Schema>), ...checkedLater };
  const validate: ValidateFunction = ajv.compile({ ...schema, properties });
  return (body: unknown): FromSchema<Loosened<S, L>> => {
    if (validate(body)) return body as FromSchema<Loosened<S, L>>;
    const issues = (validate.errors ?? []).map(toIssue);
    throw new HttpError('unprocessable', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  };
}

function toIssue(e: ErrorObject): Issue {
  const path = ['body', ...e.instancePath.split('/').filter(Boolean)].join('.');
  const issue = (at: string, message: string): Issue => ({
    code: 'invalid_schema',
    severity: 'error',
    path: at,
    message,
  });
  switch (e.keyword) {
    case 'additionalProperties':
      return issue(`${path}.${String(e.params.additionalProperty)}`, 'unknown field; remove it');
    case 'type': {
      // `["string", "null"]` reads as "must be string": null stands for absent.
      const types = String(e.params.type)
        .split(',')
        .filter((t) => t !== 'null');
      return issue(path, `must be ${types.join(',')}`);
    }
    case 'maxLength':
      return issue(path, tooLong(Number(e.params.limit)));
    case 'maxItems':
      return issue(path, tooMany(Number(e.params.limit)));
    default:
      return issue(path, e.message ?? 'is invalid');
  }
}
