/**
 * Policy templates: files of Railyard resources (one policy, the guardrails it adds, an
 * attachment) that `GET /policy/templates` lists and `railyard init --template` copies into a
 * policy folder. A template's title, region and complexity are annotations of its policy
 * (`railyard.dev/template-title`, `…-region`, `…-complexity`); its id is its file's name.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type GuardrailResource,
  type PolicyResource,
  policyNameOf,
  renderIssue,
  validateResources,
} from '../engine/index.ts';
import { readDocuments, resourcesFromText } from '../resources/index.ts';

/** The templates Railyard ships (`templates/` beside `src/`). */
export const SHIPPED_TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));

export const TEMPLATE_COMPLEXITIES = ['Low', 'Medium', 'High'] as const;
type TemplateComplexity = (typeof TEMPLATE_COMPLEXITIES)[number];

export type Template = {
  /** The file name without `.yaml`: what `railyard init --template` takes. */
  readonly id: string;
  readonly file: string;
  /** The file's text, as `railyard init` writes it. */
  readonly text: string;
  readonly title: string;
  readonly region: string;
  readonly complexity: TemplateComplexity;
  readonly policy: PolicyResource;
  readonly guardrails: readonly GuardrailResource[];
};

const ANNOTATION = 'railyard.dev/template-';

/**
 * Every `.yaml` template of `dir`, sorted by id. A file that does not read, or whose resources are
 * invalid on their own, is left out and named in `problems`; never throws for a template's
 * content (a missing folder is a problem too).
 */
export async function loadTemplates(dir: string): Promise<{ templates: Template[]; problems: string[] }> {
  const problems: string[] = [];
  const files = await readdir(dir).catch((e: Error) => {
    problems.push(`${dir}: ${e.message}`);
    return [] as string[];
  });
  const templates: Template[] = [];
  for (const file of files.filter((f) => f.endsWith('.yaml')).sort()) {
    const text = await readFile(join(dir, file), 'utf8');
    const checked = templateOf(file, text);
    if ('problem' in checked) problems.push(checked.problem);
    else templates.push(checked);
  }
  return { templates, problems };
}

/** One template file, or what is wrong with it. Pure. */
function templateOf(file: string, text: string): Template | { problem: string } {
  const loaded = resourcesFromText(file, text, 'default');
  const rejected = loaded.rejected.flatMap((r) => r.issues.map(renderIssue));
  if (rejected.length > 0) return { problem: `${file}: ${rejected.join('; ')}` };
  const issues = [...validateResources(loaded.resources).values()]
    .flat()
    .filter((i) => i.severity === 'error')
    .map(renderIssue);
  if (issues.length > 0) return { problem: `${file}: ${issues.join('; ')}` };
  const policies = loaded.resources.filter((r): r is PolicyResource => r.kind === 'Policy');
  const annotated = readDocuments(file, text).documents.flatMap((d) => {
    const doc = d.value as {
      kind?: unknown;
      metadata?: { name?: unknown; annotations?: Record<string, unknown> };
    };
    return doc.kind === 'Policy' && doc.metadata?.annotations?.[`${ANNOTATION}title`] !== undefined
      ? [{ name: doc.metadata.name, annotations: doc.metadata.annotations }]
      : [];
  });
  const main = annotated[0];
  const policy = policies.find((p) => p.name === main?.name) ?? policies[0];
  if (!policy) return { problem: `${file}: a template declares a Policy` };
  const note = (key: string): string | undefined => {
    const v = main?.annotations[`${ANNOTATION}${key}`];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const complexity = note('complexity') ?? 'Medium';
  if (!(TEMPLATE_COMPLEXITIES as readonly string[]).includes(complexity)) {
    return { problem: `${file}: ${ANNOTATION}complexity must be one of ${TEMPLATE_COMPLEXITIES.join(', ')}` };
  }
  return {
    id: basename(file, '.yaml'),
    file,
    text,
    title: note('title') ?? policyNameOf(policy),
    region: note('region') ?? 'Global',
    complexity: complexity as TemplateComplexity,
    policy,
    guardrails: loaded.resources.filter((r): r is GuardrailResource => r.kind === 'Guardrail'),
  };
}
