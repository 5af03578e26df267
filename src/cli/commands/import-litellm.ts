/**
 * `railyard import-litellm config.yaml`: a LiteLLM proxy config's policies, attachments and
 * guardrails as Railyard YAML, on stdout or as files in `--out`. Every thing that cannot be carried
 * over is a warning on stderr with the line of the config it is about.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import type { Kind, Resource } from '../../engine/index.ts';
import { renderIssue } from '../../engine/index.ts';
import { importLitellmConfig } from '../../litellm/index.ts';
import { readDocuments, resourcesFromText } from '../../resources/index.ts';
import { toDocument } from '../../schema/index.ts';
import type { Io } from '../io.ts';
import { DEFAULT_NAMESPACE } from './load-state.ts';

export type ImportLitellmArgs = {
  readonly config: string;
  /** A folder for `guardrails.yaml`, `policies.yaml`, `attachments.yaml`; stdout when absent. */
  readonly out?: string;
  /** metadata.namespace of every resource; `default` when absent. */
  readonly namespace?: string;
};

/** LiteLLM has no floors: the kinds an import writes. */
const FILES: Readonly<Record<Exclude<Kind, 'GuardrailFloor'>, string>> = {
  Guardrail: 'guardrails.yaml',
  Policy: 'policies.yaml',
  PolicyAttachment: 'attachments.yaml',
};

/**
 * Exit code: 0 when everything was imported (warnings allowed), 1 when an entry had to be left
 * out (the rest is still written), 2 when the config cannot be read.
 */
export async function importLitellmCommand(args: ImportLitellmArgs, io: Io): Promise<number> {
  const text = await readFile(args.config, 'utf8').catch(() => undefined);
  if (text === undefined) {
    io.stderr.write(`railyard import-litellm: cannot read ${args.config}\n`);
    return 2;
  }
  const { documents, issues } = readDocuments(args.config, text);
  const doc = documents[0];
  if (issues[0] || !doc) {
    io.stderr.write(`railyard import-litellm: ${issues[0]?.message ?? `${args.config} is empty`}\n`);
    return 2;
  }
  const namespace = args.namespace ?? DEFAULT_NAMESPACE;
  const result = importLitellmConfig(doc.value, {
    namespace,
    originOf: (path) => ({ kind: 'file', path: args.config, line: doc.locate(path) }),
  });
  const at = (path: string) => `${args.config}:${doc.locate(path)}`;
  for (const w of result.warnings) io.stderr.write(`warning: ${at(w.path)}: ${w.path}: ${w.message}\n`);
  for (const e of result.errors) io.stderr.write(`error: ${at(e.path)}: ${e.path}: ${e.message}\n`);

  const header = `# Imported by railyard import-litellm from ${args.config}\n`;
  const yaml = (resources: readonly Resource[]) =>
    header +
    resources.map((r) => ensureNewline(dump(toDocument(r), { noRefs: true, lineWidth: -1 }))).join('---\n');
  const problems = selfCheck(yaml(result.resources), namespace);
  for (const p of problems) io.stderr.write(`error: generated YAML rejected: ${p}\n`);
  if (args.out === undefined) io.stdout.write(yaml(result.resources));
  else {
    await mkdir(args.out, { recursive: true });
    for (const kind of Object.keys(FILES) as (keyof typeof FILES)[]) {
      const resources = result.resources.filter((r) => r.kind === kind);
      if (resources.length > 0) await writeFile(join(args.out, FILES[kind]), yaml(resources));
    }
    io.stderr.write(`wrote ${result.resources.length} resources to ${args.out}\n`);
  }
  return result.errors.length > 0 || problems.length > 0 ? 1 : 0;
}

const ensureNewline = (s: string): string => (s.endsWith('\n') ? s : `${s}\n`);

/** The output read back through the loader: anything it rejects is a bug of the importer. */
function selfCheck(yaml: string, namespace: string): string[] {
  const loaded = resourcesFromText('generated.yaml', yaml, namespace);
  return loaded.rejected.flatMap((r) => r.issues.map(renderIssue));
}
