/**
 * Wire shapes are JSON Schemas written once, `as const`: ajv compiles the request validators from
 * them, `FromSchema` gives the TypeScript type of the mappers, and the OpenAPI document prints them
 * as they are. Only the keywords below are used, and `FromSchema` reads exactly those: `type` (one
 * or a list), `enum`, `anyOf`, `properties` with `required`, `additionalProperties`, `items`;
 * limits (`minLength`, `maxLength`, `maxItems`, `pattern`…) constrain values without changing types.
 */

/** A JSON Schema object (JSON Schema 2020-12, as OpenAPI 3.1 uses it; ajv reads it as draft-07). */
export type Schema = { readonly [keyword: string]: unknown };

/** The TypeScript type of the values a schema accepts. */
export type FromSchema<S> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly anyOf: readonly (infer A)[] }
    ? AnyOf<A>
    : S extends { readonly type: infer T }
      ? FromType<T extends readonly (infer U)[] ? U : T, S>
      : unknown;

type AnyOf<A> = A extends unknown ? FromSchema<A> : never;

type FromType<T, S> = T extends 'string'
  ? string
  : T extends 'integer' | 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : T extends 'array'
          ? S extends { readonly items: infer I }
            ? readonly FromSchema<I>[]
            : readonly unknown[]
          : T extends 'object'
            ? FromObject<S>
            : never;

type RequiredOf<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;

type FromObject<S> = S extends { readonly properties: infer P }
  ? Flat<
      { -readonly [K in keyof P as K extends RequiredOf<S> ? K : never]: FromSchema<P[K]> } & {
        -readonly [K in keyof P as K extends RequiredOf<S> ? never : K]?: FromSchema<P[K]>;
      }
    >
  : S extends { readonly additionalProperties: infer V extends Schema }
    ? Record<string, FromSchema<V>>
    : Record<string, unknown>;

type Flat<T> = { [K in keyof T]: T[K] };

/** An object schema whose properties in `L` are replaced by the looser schemas there. */
export type Loosened<S, L> = S extends { readonly properties: infer P }
  ? Omit<S, 'properties'> & { readonly properties: Omit<P, keyof L> & L }
  : S;

export const STRING = { type: 'string' } as const;
export const INTEGER = { type: 'integer' } as const;
export const BOOLEAN = { type: 'boolean' } as const;
export const NULLABLE_STRING = { type: ['string', 'null'] } as const;
export const STRINGS = { type: 'array', items: STRING } as const;
export const NULLABLE_STRINGS = { type: ['array', 'null'], items: STRING } as const;

/** `schema` or `null`. */
export const orNull = <const S extends Schema>(schema: S) => ({ anyOf: [schema, { type: 'null' }] }) as const;

/** An object schema of these properties; `required` lists those always present. */
function objectOf<
  const P extends Record<string, Schema>,
  const R extends readonly (keyof P & string)[],
  const A extends boolean,
>(properties: P, required: R | undefined, additionalProperties: A) {
  return { type: 'object', properties, required: (required ?? []) as R, additionalProperties } as const;
}

/**
 * An object of these properties that takes other properties too and ignores them, as LiteLLM's
 * request models do (a script may send a GET answer back as a body); the known ones are checked.
 */
export function lenientObject<
  const P extends Record<string, Schema>,
  const R extends readonly (keyof P & string)[] = [],
>(properties: P, required?: R) {
  return objectOf(properties, required, true);
}

/** An object of exactly these properties; `required` lists those always present. */
export function object<
  const P extends Record<string, Schema>,
  const R extends readonly (keyof P & string)[] = [],
>(properties: P, required?: R) {
  return objectOf(properties, required, false);
}
