/**
 * `railyard init --template NAME [--out DIR] [--force]`: writes one policy template (a policy, its
 * guardrails, an attachment) into a policy folder as `<NAME>.yaml`, to edit and commit.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTemplates, SHIPPED_TEMPLATES } from '../../templates/index.ts';
import type { Io } from '../io.ts';

export type InitArgs = {
  /** A template id; absent lists the templates. */
  readonly template?: string;
  /** The policy folder to write into; the current folder when absent. */
  readonly out?: string;
  /** Overwrite `<out>/<template>.yaml` when it exists. */
  readonly force: boolean;
  /** The folder of templates; the shipped ones when absent. */
  readonly templates?: string;
};

/**
 * Exit code: 0 written (or listed); 1 when the file exists and `force` is not set (nothing is
 * written); 2 for an unknown template or an unreadable templates folder.
 */
export async function initCommand(args: InitArgs, io: Io): Promise<number> {
  const dir = args.templates ?? SHIPPED_TEMPLATES;
  const { templates, problems } = await loadTemplates(dir);
  for (const p of problems) io.stderr.write(`warning: template ${p}\n`);
  const names = templates.map((t) => t.id).join(', ') || 'none';
  if (args.template === undefined) {
    for (const t of templates) io.stdout.write(`${t.id}\t${t.title} (${t.complexity})\n`);
    return templates.length > 0 ? 0 : 2;
  }
  const template = templates.find((t) => t.id === args.template);
  if (!template) {
    io.stderr.write(`railyard init: no template "${args.template}" (templates: ${names})\n`);
    return 2;
  }
  const out = args.out ?? '.';
  const target = join(out, template.file);
  const exists = await access(target).then(
    () => true,
    () => false,
  );
  if (exists && !args.force) {
    io.stderr.write(`railyard init: ${target} exists; pass --force to overwrite it\n`);
    return 1;
  }
  await mkdir(out, { recursive: true });
  await writeFile(target, template.text);
  io.stderr.write(
    `wrote ${target}: template "${template.id}"; edit its attachment, then railyard validate ${out}\n`,
  );
  return 0;
}
