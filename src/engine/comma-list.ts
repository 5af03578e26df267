/**
 * The one reading of a comma-separated list, wherever one is given: `--tags`, `?tags=`, LiteLLM
 * and agentgateway tag headers, `RAILYARD_*_TOKEN` variables.
 */

/** `a, b,,c` → `['a', 'b', 'c']`: items trimmed, empty ones dropped; `[]` for undefined. */
export function commaList(text: string | undefined): string[] {
  if (text === undefined) return [];
  const out: string[] = [];
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed !== '') out.push(trimmed);
  }
  return out;
}
