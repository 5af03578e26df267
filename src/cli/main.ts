import { Command, CommanderError, Option } from 'commander';
import type { Io } from './io.ts';
import { serveCommand } from './serve.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

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
    .addOption(new Option('--port <n>', 'HTTP port').env('PORT').default('8080'))
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .option(
      '--namespace <ns>',
      'namespace for documents that name none, and the default for requests',
      'default',
    )
    .option('--token-file <path>', 'file of "admin <token>" / "reader <token>" lines')
    .option('--body-limit <bytes>', 'largest accepted JSON body', String(1024 * 1024))
    .addHelpText('after', '\nExample:\n  railyard serve --dir policies/ --port 8080\n')
    .action(async (o) => {
      exitCode = await serveCommand(
        {
          dir: o.dir ?? ['examples'],
          data: o.data,
          port: Number(o.port),
          host: o.host,
          namespace: o.namespace,
          tokenFile: o.tokenFile,
          bodyLimitBytes: Number(o.bodyLimit),
        },
        io,
        signal,
      );
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}
