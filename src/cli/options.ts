import { InvalidArgumentError } from 'commander';
/** Commander argument parsers shared by every command. */

/** A repeatable option: each occurrence is appended. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * A mistake in how the command was called (a missing folder, an unreadable token file): printed
 * as one line that says what to fix, exit code 2, never a stack trace.
 */
export class UsageError extends Error {}

/** A parser for a whole-number option within bounds; commander reports the message with the option. */
export const wholeNumber =
  (min: number, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
