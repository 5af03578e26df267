/**
 * An instrumented count of the work done on strings: every `charCodeAt` and `codePointAt` call
 * made while `run` runs, by any code (re2js's engines, the keyword automaton, the detectors' own
 * loops, the YAML parser all read text that way). A test compares it at two input sizes instead of
 * timing anything: the machine is noisy, counts are not. Work done where the count cannot see it
 * (a JavaScript RegExp, native code) counts nothing, so a test also asserts the count saw the text.
 */
export function countReads<T>(run: () => T): { value: T; reads: number } {
  const proto = String.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = { charCodeAt: proto.charCodeAt, codePointAt: proto.codePointAt };
  let reads = 0;
  for (const [name, original] of Object.entries(originals)) {
    proto[name] = function (this: string, ...args: unknown[]) {
      reads++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  try {
    const value = run();
    return { value, reads };
  } finally {
    Object.assign(proto, originals);
  }
}
