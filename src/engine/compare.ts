/** The two comparisons the engine and the registry share: text order, and identity of list items. */

/**
 * Orders strings by UTF-16 code units: the same on every machine and locale (`localeCompare`
 * is not), so sorted output is byte-identical everywhere.
 */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether two lists hold the very same items (by identity) in the same order. */
export function sameItems<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
