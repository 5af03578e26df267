import { Command, CommanderError, Option } from 'commander';
import { AGENTGATEWAY_HEADER_DEFAULTS, SHADOW_DISPATCH_DEFAULTS } from '../enforce/index.ts';
import { parseDuration } from '../engine/index.ts';
import { CHECK_POOL_DEFAULTS } from '../guardrails/index.ts';
import type { EnforceOptions } from '../http/index.ts';
import { YAML_LIMITS } from '../resources/index.ts';
import { registerCommands } from './commands/register.ts';
import type { Io } from './io.ts';
import { collect, UsageError, wholeNumber } from './options.ts';
import { type KubernetesServeOptions, serveCommand } from './serve.ts';

/**
 * Parses argv and runs one command. Returns the exit code; never calls process.exit, so tests run
 * it in-process and bin/railyard.ts maps the result.
 */
export async function main(argv: readonly string[], io: Io, signal: AbortSignal): Promise<number> {
  let exitCode = 0;
  const program = new Command('railyard')
    .description('GitOps control plane for the guardrail policies of LLM proxies')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();

  program
    .command('serve')
    .description('Reconcile policies from folders of YAML (or Kubernetes) and serve them over HTTP')
    .option('--dir <path>', 'folder of Policy/PolicyAttachment/Guardrail YAML (repeatable)', collect)
    .option('--data <path>', 'folder for the version history and the generated token', '.railyard')
    .addOption(
      new Option('--port <n>', 'HTTP port').env('PORT').argParser(wholeNumber(0, 65_535)).default(8080),
    )
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .option(
      '--namespace <ns>',
      'namespace for documents that name none, and the default for requests (default "default"); with --kubernetes also a namespace to watch (repeatable; default all)',
      collect,
    )
    .option('--token-file <path>', 'file of "admin <token>" / "reader <token>" lines')
    .option('--body-limit <bytes>', 'largest accepted JSON body', wholeNumber(1, 1 << 30), 1024 * 1024)
    .option(
      '--decision-deadline <ms>',
      'budget of one enforcement decision; past it the proxy fail mode applies',
      wholeNumber(1, 600_000),
      2000,
    )
    .option(
      '--max-concurrent-decisions <n>',
      'enforcement decisions running at once; beyond, the proxy fail mode applies',
      wholeNumber(1, 1_000_000),
      256,
    )
    .option(
      '--guardrail-workers <n>',
      'worker threads that run guardrail checks on large contents (0: all on the event loop)',
      wholeNumber(0, 256),
      CHECK_POOL_DEFAULTS.threads,
    )
    .option(
      '--guardrail-inline-chars <n>',
      'contents up to this many characters are checked on the event loop, larger ones by a worker',
      wholeNumber(0, 1 << 30),
      CHECK_POOL_DEFAULTS.inlineChars,
    )
    .option('--enforce-baseline-context', 'also enforce the guardrails of the context without team and key')
    .option(
      '--shadow-max-concurrent <n>',
      "sampled calls in the shadow thread's hands at once; past it a call's shadow runs are skipped and counted",
      wholeNumber(1, 100_000),
      SHADOW_DISPATCH_DEFAULTS.maxConcurrent,
    )
    .option(
      '--litellm-team-id-fallback',
      "LiteLLM webhook: match team attachments on the key's team id when its team has no alias (LiteLLM matches aliases only)",
    )
    .option(
      '--agentgateway-port <n>',
      'also serve agentgateway /request and /response at the root of this port',
      wholeNumber(0, 65_535),
    )
    .option(
      '--agentgateway-header <field=name>',
      'agentgateway context header name: team, keyAlias, model, tags or token (repeatable)',
      collect,
    )
    .addOption(
      new Option(
        '--agentgateway-response-block <how>',
        'answer a block on /response with a Reject (agentgateway) or a Mask emptying every choice (kgateway, Gloo)',
      )
        .choices(['reject', 'mask'])
        .default('reject'),
    )
    .option(
      '--templates <dir>',
      'folder of policy templates for GET /policy/templates (default: the shipped ones)',
    )
    .option(
      '--yaml-max-file-bytes <n>',
      'with --dir: larger files are refused unread (their last good objects keep serving)',
      wholeNumber(1, 1 << 30),
      YAML_LIMITS.maxFileBytes,
    )
    .option(
      '--yaml-max-documents <n>',
      'with --dir: most documents in one file',
      wholeNumber(1, 10_000_000),
      YAML_LIMITS.maxDocuments,
    )
    .option(
      '--yaml-max-depth <n>',
      'with --dir: deepest nesting of one document, aliases expanded',
      wholeNumber(1, 10_000),
      YAML_LIMITS.maxDepth,
    )
    .option(
      '--yaml-max-alias-nodes <n>',
      'with --dir: most nodes the aliases of one document may add once expanded',
      wholeNumber(0, 100_000_000),
      YAML_LIMITS.maxAliasNodes,
    )
    .option('--kubernetes', "reconcile the cluster's railyard.dev objects instead of folders")
    .option(
      '--kubeconfig <path>',
      'with --kubernetes: kubeconfig file (default $KUBECONFIG, ~/.kube/config, in-cluster)',
    )
    .option('--lease-namespace <ns>', "with --kubernetes: namespace of the leader Lease (default the pod's)")
    .option(
      '--history-namespace <ns>',
      "with --kubernetes: namespace of the history ConfigMaps (default the pod's)",
    )
    .option(
      '--history-drafts <n>',
      'with --kubernetes: drafts kept per policy history besides its production, latest and published versions',
      wholeNumber(0, 10_000),
    )
    .option(
      '--token-audience <aud>',
      'with --kubernetes: audience a cluster token must be issued for (repeatable; default any the API server accepts)',
      collect,
    )
    .option(
      '--identity <name>',
      'with --kubernetes: this replica in the Lease (default $POD_NAME, else the host name)',
    )
    .option('--lease-duration <duration>', 'with --kubernetes: leader lease validity, e.g. 15s')
    .option(
      '--renew-deadline <duration>',
      'with --kubernetes: how long the leader retries renewing, e.g. 10s',
    )
    .option('--retry-period <duration>', 'with --kubernetes: time between lease attempts, e.g. 2s')
    .option(
      '--shadow-status-interval <duration>',
      'with --kubernetes: how often the leader writes shadow counts on the policies in shadow (default 15s)',
    )
    .addHelpText('after', '\nExample:\n  railyard serve --dir policies/ --port 8080\n')
    .action(async (o) => {
      exitCode = await serveCommand(
        {
          dir: o.dir ?? ['examples'],
          data: o.data,
          port: o.port,
          host: o.host,
          namespace: o.namespace?.[0] ?? 'default',
          tokenFile: o.tokenFile,
          bodyLimitBytes: o.bodyLimit,
          ...(o.templates === undefined ? {} : { templates: o.templates }),
          yamlLimits: {
            maxFileBytes: o.yamlMaxFileBytes,
            maxDocuments: o.yamlMaxDocuments,
            maxDepth: o.yamlMaxDepth,
            maxAliasNodes: o.yamlMaxAliasNodes,
          },
          enforce: enforceOptions(o),
          guardrailWorkers: { threads: o.guardrailWorkers, inlineChars: o.guardrailInlineChars },
          ...(o.agentgatewayPort === undefined ? {} : { agentgatewayPort: o.agentgatewayPort }),
          ...(o.kubernetes ? { kubernetes: kubernetesOptions(o) } : {}),
        },
        io,
        signal,
      );
    });

  registerCommands(program, io, (code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof UsageError) {
      io.stderr.write(`railyard: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The enforcement flags of `serve`; throws for an `--agentgateway-header` that is not `<field>=<name>`. */
function enforceOptions(o: Record<string, unknown>): Partial<EnforceOptions> {
  const headers: Record<string, string> = { ...AGENTGATEWAY_HEADER_DEFAULTS };
  for (const pair of (o.agentgatewayHeader as string[] | undefined) ?? []) {
    const [field, name] = pair.split('=', 2).map((s) => s.trim());
    if (!field || !name || !(field in AGENTGATEWAY_HEADER_DEFAULTS)) {
      throw new UsageError(
        `--agentgateway-header "${pair}": expected <field>=<header name> with field one of ${Object.keys(AGENTGATEWAY_HEADER_DEFAULTS).join(', ')}`,
      );
    }
    headers[field] = name.toLowerCase();
  }
  return {
    decisionDeadlineMs: o.decisionDeadline as number,
    maxConcurrentDecisions: o.maxConcurrentDecisions as number,
    baselineContext: o.enforceBaselineContext === true,
    shadowMaxConcurrent: o.shadowMaxConcurrent as number,
    agentgatewayHeaders: headers as unknown as EnforceOptions['agentgatewayHeaders'],
    agentgatewayResponseBlock: o.agentgatewayResponseBlock as EnforceOptions['agentgatewayResponseBlock'],
    litellmTeamIdFallback: o.litellmTeamIdFallback === true,
  };
}

/** The `--kubernetes` flags of `serve`; throws for a malformed duration. */
function kubernetesOptions(o: Record<string, unknown>): KubernetesServeOptions {
  const durations = {
    leaseDurationMs: 'leaseDuration',
    renewDeadlineMs: 'renewDeadline',
    retryPeriodMs: 'retryPeriod',
    shadowStatusEveryMs: 'shadowStatusInterval',
  };
  const out: Record<string, unknown> = { namespaces: (o.namespace as string[] | undefined) ?? [] };
  for (const [field, flag] of Object.entries(durations)) {
    if (o[flag] !== undefined) out[field] = durationMs(String(o[flag]), flag);
  }
  for (const flag of ['kubeconfig', 'leaseNamespace', 'historyNamespace', 'identity'] as const) {
    if (o[flag] !== undefined) out[flag] = String(o[flag]);
  }
  if (o.historyDrafts !== undefined) out.historyDrafts = o.historyDrafts;
  if (o.tokenAudience !== undefined) out.tokenAudiences = o.tokenAudience;
  return out as KubernetesServeOptions;
}

/** A duration flag in milliseconds (`500ms`, `3s`, `1m`, or plain milliseconds); throws a UsageError. */
function durationMs(text: string, flag: string): number {
  const ms = parseDuration(text, 'ms');
  if (ms === undefined)
    throw new UsageError(
      `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} "${text}": expected a duration such as 500ms, 3s or 1m`,
    );
  return ms;
}
