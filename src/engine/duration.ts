/** Durations as people write them in flags and query parameters. */

/** The units a duration may carry, in milliseconds. */
const DURATION_UNITS = { ms: 1, s: 1_000, m: 60_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

/**
 * Milliseconds of a duration: a non-negative number with a unit, `500ms`, `30s`, `1.5m`. A bare
 * number counts in `bareUnit`, which each caller states because both were published: the CLI's
 * flags count milliseconds, the `wait` query parameter seconds. Undefined for any other text;
 * never throws.
 */
export function parseDuration(text: string, bareUnit: DurationUnit): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * DURATION_UNITS[(m[2] as DurationUnit | undefined) ?? bareUnit];
}
