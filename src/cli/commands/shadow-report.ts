/**
 * `railyard shadow report [--server URL --token T]`: what the versions in shadow found on live
 * traffic, from a running server's `GET /v1/shadow`: per version its agreement with production
 * since it first ran and one sentence ("v3 would have blocked 41 of 12,380 calls production
 * allowed; 40 by `prompt-injection`"), then the latest differing decisions (never their text).
 */
import type { WireShadowReport } from '../../http/index.ts';
import type { Io } from '../io.ts';

export const SHADOW_REPORT_FORMATS = ['text', 'json'] as const;
export type ShadowReportFormat = (typeof SHADOW_REPORT_FORMATS)[number];

export type ShadowReportArgs = {
  /** The server's base URL, e.g. http://railyard.railyard.svc:8080. */
  readonly server: string;
  /** A reader token; none when the server needs none. */
  readonly token?: string;
  readonly namespace?: string;
  readonly policy?: string;
  /** Differing decisions to list. */
  readonly limit: number;
  readonly format: ShadowReportFormat;
  /** The HTTP client (tests); global fetch by default. */
  readonly fetch?: typeof fetch;
};

/** Exit code: 0 when the report was read, 2 when the server cannot be asked or refuses. */
export async function shadowReportCommand(args: ShadowReportArgs, io: Io): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`railyard shadow report: ${message}\n`);
    return 2;
  };
  const url = new URL('/v1/shadow', args.server);
  if (args.namespace !== undefined) url.searchParams.set('namespace', args.namespace);
  if (args.policy !== undefined) url.searchParams.set('policy', args.policy);
  url.searchParams.set('limit', String(args.limit));
  let res: Response;
  try {
    res = await (args.fetch ?? fetch)(url, {
      headers: args.token === undefined ? {} : { authorization: `Bearer ${args.token}` },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    return fail(
      `cannot reach ${args.server} (${e instanceof Error ? e.message : String(e)}); check --server`,
    );
  }
  const text = await res.text();
  if (!res.ok) {
    const detail = (() => {
      try {
        return String((JSON.parse(text) as { detail?: unknown }).detail ?? text);
      } catch {
        return text;
      }
    })();
    const hint = res.status === 401 || res.status === 403 ? '; pass a reader token with --token' : '';
    return fail(`${url.pathname} answered ${res.status}: ${detail}${hint}`);
  }
  const report = JSON.parse(text) as WireShadowReport;
  io.stdout.write(args.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : render(report));
  return 0;
}

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);

function render(r: WireShadowReport): string {
  if (r.shadows.length === 0) return 'no version is in shadow, and no shadow run has been counted\n';
  const lines: string[] = [];
  for (const s of r.shadows) {
    const state = s.active
      ? `in shadow at ${((s.sample_rate ?? 0) * 100).toFixed(0)}% of calls (${s.source})`
      : 'shadow ended';
    lines.push(
      `${s.namespace}/${s.policy_name} v${s.version_number} (${state}; production ${s.production_version === null ? 'none' : `v${s.production_version}`})`,
      `  ${s.summary}`,
      `  runs ${s.runs}, agreement ${pct(s.agreement)}, skipped ${s.skipped}, since ${s.since ?? '-'}`,
    );
    const differing = Object.entries(s.results).filter(([k, n]) => k !== 'agree' && n > 0);
    if (differing.length > 0)
      lines.push(`  differences: ${differing.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  if (r.recent_differences.length > 0) {
    lines.push('', 'latest differing decisions:');
    for (const d of r.recent_differences) {
      const ctx = [
        d.context.team_alias ? `team=${d.context.team_alias}` : '',
        d.context.key_alias ? `key=${d.context.key_alias}` : '',
        d.context.model ? `model=${d.context.model}` : '',
        d.context.tags.length > 0 ? `tags=${d.context.tags.join(',')}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      lines.push(
        `  ${d.at} ${d.namespace}/${d.policy_name} v${d.version_number} ${d.result}: production ${d.production_verdict}, shadow ${d.shadow_verdict}${d.guardrail ? ` (${d.guardrail})` : ''}${ctx ? ` ${ctx}` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
