/**
 * Readers for the loosely typed JSON bodies proxies send: `null` means absent, unknown fields are
 * ignored, and a field of the wrong type is an `Issue` naming its path.
 */
import { commaList, type Issue } from '../engine/index.ts';

export type Json = Readonly<Record<string, unknown>>;

export const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

export class WireReader {
  readonly issues: Issue[] = [];

  issue(path: string, message: string): void {
    this.issues.push({ code: 'invalid_schema', severity: 'error', path, message });
  }

  /** The object at `path`, `undefined` when absent or null. */
  object(value: unknown, path: string): Json | undefined {
    if (value === undefined || value === null) return undefined;
    if (isObject(value)) return value;
    this.issue(path, 'must be an object');
    return undefined;
  }

  /** A string, `undefined` when absent, null or empty. */
  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value === '' ? undefined : value;
    this.issue(path, 'must be a string');
    return undefined;
  }

  /** A list of strings, `undefined` when absent or null. */
  strings(value: unknown, path: string): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value;
    this.issue(path, 'must be a list of strings');
    return undefined;
  }

  /** A list, `undefined` when absent or null. */
  list(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value;
    this.issue(path, 'must be a list');
    return undefined;
  }
}

/**
 * Tags from a header (`a, b,,c`, see `commaList`) or a JSON list (each item trimmed; an item is one
 * tag, commas and all, as the proxy sent it). Undefined when nothing is left.
 */
export function tagList(value: string | readonly string[] | undefined): string[] | undefined {
  const items =
    typeof value === 'string' ? commaList(value) : (value ?? []).map((t) => t.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
}
