/**
 * `railyard resolve PATH...`: what one request would get, from the snapshot the server would serve
 * for these files. `--format json` prints exactly the body of `POST /policies/resolve`, and with
 * `--explain` exactly the body of `POST /v1/explain`.
 */

import type { Explanation, RequestContext, Resolution } from '../../engine/index.ts';
import { toWireExplanation, toWireResolution } from '../../http/index.ts';
import { answer } from '../../registry/index.ts';
import type { Io } from '../io.ts';
import {
  DEFAULT_NAMESPACE,
  invalidCount,
  loadState,
  missingPaths,
  type PreviewStage,
  readNamespaceLabels,
} from './load-state.ts';

export const RESOLVE_FORMATS = ['text', 'json'] as const;
export type ResolveFormat = (typeof RESOLVE_FORMATS)[number];

export type ResolveArgs = {
  readonly paths: readonly string[];
  readonly context: RequestContext;
  /** The namespace asked about; by the server's rule when absent. */
  readonly namespace?: string;
  readonly explain: boolean;
  readonly format: ResolveFormat;
  readonly preview?: PreviewStage;
  readonly defaultNamespace?: string;
  /** `--namespace-labels`: see `readNamespaceLabels`. */
  readonly namespaceLabelsFile?: string;
};

/**
 * Prints the resolution (or explanation). Exit code: 0 when answered, 2 when a path does not exist
 * or the namespace is not served. Invalid objects are left out, as the server leaves them out; a
 * line on stderr says how many.
 */
export async function resolveCommand(args: ResolveArgs, io: Io): Promise<number> {
  const missing = await missingPaths(args.paths);
  if (missing.length > 0) {
    io.stderr.write(`railyard resolve: no such file or folder: ${missing.join(', ')}\n`);
    return 2;
  }
  const defaultNamespace = args.defaultNamespace ?? DEFAULT_NAMESPACE;
  const labels = await readNamespaceLabels(args.namespaceLabelsFile);
  if (!labels.ok) return notServed(io, labels.message);
  const { snapshot } = await loadState(args.paths, {
    defaultNamespace,
    ...(args.preview ? { preview: args.preview } : {}),
    ...(labels.value ? { namespaceLabels: labels.value } : {}),
  });
  const invalid = invalidCount(snapshot);
  if (invalid > 0) {
    io.stderr.write(
      `railyard resolve: ${invalid} invalid object${invalid === 1 ? ' is' : 's are'} left out; run railyard validate\n`,
    );
  }
  const request = {
    context: args.context,
    ...(args.namespace === undefined ? {} : { namespace: args.namespace }),
  };
  if (args.explain) {
    const explained = answer('explain', snapshot, request, { defaultNamespace });
    if (!explained.ok) return notServed(io, explained.error.message);
    io.stdout.write(
      args.format === 'json'
        ? `${JSON.stringify(toWireExplanation(explained.value, explained.revision), null, 2)}\n`
        : renderExplanation(explained.value),
    );
    return 0;
  }
  const resolved = answer('resolve', snapshot, request, { defaultNamespace });
  if (!resolved.ok) return notServed(io, resolved.error.message);
  io.stdout.write(
    args.format === 'json'
      ? `${JSON.stringify(toWireResolution(resolved.value, resolved.revision), null, 2)}\n`
      : renderResolution(resolved.value),
  );
  return 0;
}

function notServed(io: Io, message: string): number {
  io.stderr.write(`railyard resolve: ${message}\n`);
  return 2;
}

const names = (list: readonly string[]): string => (list.length > 0 ? list.join(', ') : '(none)');

/** The text form of a resolution: the guardrails, then each matched policy and the versions used. */
function renderResolution(r: Resolution): string {
  const lines = [`effective guardrails: ${names(r.effectiveGuardrails)}`];
  if (r.floor.length > 0)
    lines.push(
      `mandatory (floor): ${r.floor.map((e) => `${e.guardrail} (GuardrailFloor ${e.floor})`).join(', ')}`,
    );
  if (r.matchedPolicies.length === 0) lines.push('matched policies: (none)');
  else lines.push('matched policies:');
  for (const m of r.matchedPolicies) {
    lines.push(`  ${m.policyName}  via ${m.matchedVia}  (attachment ${m.attachment})`);
    lines.push(`    guardrails: ${names(m.guardrailsAdded)}`);
    lines.push(`    versions: ${m.versions.map((v) => `${v.policyName} v${v.versionNumber}`).join(' → ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function renderExplanation(e: Explanation): string {
  const lines = [renderResolution(e.resolution).trimEnd(), '', 'attachments considered:'];
  if (e.attachments.length === 0) lines.push('  (none)');
  for (const a of e.attachments) {
    const why = a.reason ?? (a.matchedVia ? `via ${a.matchedVia}` : '');
    lines.push(
      `  ${a.verdict.padEnd(16)} ${a.attachment} → ${a.policy} (priority ${a.priority}) ${why}`.trimEnd(),
    );
  }
  lines.push(`  not candidates: ${e.notCandidates}`);
  for (const p of e.policies) {
    lines.push(
      '',
      `policy ${p.policyName} (attachment ${p.attachment}, condition ${p.conditionPassed ? 'passed' : 'failed'}):`,
    );
    for (const level of p.chain) {
      const condition = level.condition
        ? ` if model ~ ${JSON.stringify(level.condition.model)} (${level.conditionPassed ? 'yes' : 'no'})`
        : '';
      const ignored =
        level.ignoredRemovals.length > 0
          ? ` (removal of ${level.ignoredRemovals.join(', ')} ignored: mandatory)`
          : '';
      lines.push(
        `  ${level.version.policyName} v${level.version.versionNumber}: +[${level.add.join(', ')}] -[${level.remove.join(', ')}]${condition}${ignored}`,
      );
    }
    lines.push(`  → ${names(p.guardrails)}`);
  }
  return `${lines.join('\n')}\n`;
}
