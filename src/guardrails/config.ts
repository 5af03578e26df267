/**
 * Reading a guardrail's `spec.config`: each reader checks one field and records an issue with the
 * path `spec.config.<field>` and a message that says what to write instead.
 */
import type { Checked, Issue } from '../engine/index.ts';

export type Config = Readonly<Record<string, unknown>>;

/** Collects the issues of one config while its fields are read. */
export class ConfigReader {
  readonly issues: Issue[] = [];
  readonly config: Config;

  constructor(config: Config, allowed: readonly string[]) {
    this.config = config;
    for (const key of Object.keys(config).sort()) {
      if (!allowed.includes(key)) this.issue(key, `unknown field; allowed: ${allowed.join(', ')}`);
    }
  }

  issue(field: string, message: string): void {
    this.issues.push({ code: 'invalid_guardrail', severity: 'error', path: `spec.config.${field}`, message });
  }

  /** One of `allowed`; `fallback` when absent. */
  oneOf<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const v = this.config[field];
    if (v === undefined || v === null) return fallback;
    if (allowed.includes(v as T)) return v as T;
    this.issue(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return fallback;
  }

  /** A list of non-empty strings; `undefined` when absent or when any element is not one. */
  strings(field: string): string[] | undefined {
    const v = this.config[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.issue(field, 'must be a list of strings');
      return undefined;
    }
    const before = this.issues.length;
    v.forEach((s: unknown, i: number) => {
      if (typeof s !== 'string' || s.trim() === '')
        this.issue(`${field}[${i}]`, 'must be a non-empty string');
    });
    return this.issues.length === before ? (v as string[]) : undefined;
  }

  /** A whole number in `[1, max]`; `undefined` when absent. */
  positiveInt(field: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.config[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max) return v;
    this.issue(field, `must be a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
    return undefined;
  }

  /** The value built from the fields read, or every issue found. */
  done<T>(value: T): Checked<T> {
    return this.issues.length > 0 ? { ok: false, issues: this.issues } : { ok: true, value };
  }
}
