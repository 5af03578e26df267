/**
 * How much content one guardrail reads. Every scanning check is linear in its input, but linear is
 * not free, so each type has a ceiling on the characters (UTF-16 units, all texts of the phase
 * together) it scans: `spec.config.maxInputChars`, with a default per type. Content over the
 * ceiling is never passed unread: the check answers `error` ("over the scan limit"), and the
 * guardrail's `failurePolicy` says what that means (closed blocks, open lets it through with a note).
 */
import type { Check, CheckResult } from './check.ts';
import type { ConfigReader } from './config.ts';

const SCANNING_TYPES = ['pii', 'regex', 'keywords', 'prompt_injection', 'secrets'] as const;
export type ScanningType = (typeof SCANNING_TYPES)[number];

/**
 * Defaults of `maxInputChars`. 1 Mi characters is about what the default 1 MiB body limit lets
 * through, so the built-in detectors read any request the server accepts; `regex` runs users'
 * patterns, whose matching can cost more per character (many matches each scanning far ahead),
 * so it reads a quarter of that unless its config says otherwise.
 */
const MAX_INPUT_CHARS: Readonly<Record<ScanningType, number>> = {
  pii: 1 << 20,
  secrets: 1 << 20,
  keywords: 1 << 20,
  prompt_injection: 1 << 20,
  regex: 1 << 18,
};

/** The largest `maxInputChars` a config may set. */
const MAX_INPUT_CHARS_CEILING = 64 << 20;

/** The guardrail's `maxInputChars`, or its type's default. */
export const readInputLimit = (read: ConfigReader, type: ScanningType): number =>
  read.positiveInt('maxInputChars', MAX_INPUT_CHARS_CEILING) ?? MAX_INPUT_CHARS[type];

/** The `error` of content over the limit; `counted` says how the characters were counted, if specially. */
export const overLimit = (chars: number, limit: number, type: ScanningType, counted = ''): CheckResult => ({
  outcome: 'error',
  detail: `Content is ${chars} characters${counted}, over the scan limit of ${limit} of this ${type} guardrail (spec.config.maxInputChars)`,
});

/** Reads `maxInputChars` and wraps the check so that content over it answers `error`. */
export function withInputLimit(read: ConfigReader, type: ScanningType, check: Check): Check {
  const limit = readInputLimit(read, type);
  return (texts) => {
    let chars = 0;
    for (const t of texts) chars += t.length;
    return chars > limit ? overLimit(chars, limit, type) : check(texts);
  };
}
