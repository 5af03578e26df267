/** The three renderings of a `DiffReport`: text for a terminal, JSON, and Markdown for a PR comment. */
import { assertNever, contextLabel, displayKey } from '../../engine/index.ts';
import type { ObjectChange } from './diff-objects.ts';
import type { DiffFormat, DiffReport } from './diff-report.ts';

const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));
const list = (names: readonly string[]): string => names.join(', ');

/** Deterministic: the same report gives the same text. `ns` is the namespace left unprinted. */
export function renderDiff(report: DiffReport, format: DiffFormat, ns: string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'text':
      return renderText(report, ns);
    case 'markdown':
      return renderMarkdown(report, ns);
    default:
      return assertNever(format);
  }
}

function objectName(o: Pick<ObjectChange, 'kind' | 'namespace' | 'name'>, ns: string): string {
  return displayKey(o, ns);
}

/** `1 added, 2 changed, 1 removed; 1 promotion, 1 new draft; 3 contexts lose guardrails, 1 gains`. */
function summaryLine(r: DiffReport): string {
  const count = (change: ObjectChange['change']) => r.objects.filter((o) => o.change === change).length;
  const promotions = r.versions.filter((v) => v.changesProduction).length;
  const staged = r.versions.length - promotions;
  const losing = r.blastRadius.filter((i) => i.lost.length > 0).length;
  const gaining = r.blastRadius.filter((i) => i.gained.length > 0).length;
  const parts = [
    `${count('added')} added, ${count('changed')} changed, ${count('removed')} removed`,
    `${promotions} production change${promotions === 1 ? '' : 's'}, ${staged} staged version change${staged === 1 ? '' : 's'}`,
    `${losing} context${losing === 1 ? '' : 's'} lose${losing === 1 ? 's' : ''} guardrails, ${gaining} gain${gaining === 1 ? 's' : ''}`,
  ];
  if (r.invalid.length > 0) parts.push(`${r.invalid.length} invalid`);
  if (r.ignoredRemovals.length > 0)
    parts.push(
      `${r.ignoredRemovals.length} removal${r.ignoredRemovals.length === 1 ? '' : 's'} of mandatory guardrails ignored`,
    );
  return parts.join('; ');
}

function renderText(r: DiffReport, ns: string): string {
  const out = [`railyard diff ${r.base} → ${r.head}`, summaryLine(r), '', 'Objects:'];
  if (r.objects.length === 0) out.push('  (no changes)');
  for (const o of r.objects) {
    const name = objectName(o, ns);
    if (o.change === 'removed') out.push(`  - REMOVED ${name} (was ${o.at})`);
    if (o.change === 'added') out.push(`  + added ${name} (${o.at})`);
    if (o.change === 'changed') {
      out.push(`  ~ changed ${name} (${o.at})`);
      for (const f of o.fields) out.push(`      ${f.path}: ${show(f.before)} → ${show(f.after)}`);
    }
  }
  out.push('', 'Versions:');
  if (r.versions.length === 0) out.push('  (no version changes)');
  for (const v of r.versions) {
    const mark = v.changesProduction ? '!' : ' ';
    const name = v.namespace === ns ? v.policy : `${v.namespace}/${v.policy}`;
    out.push(`  ${mark} ${name}: ${v.summary}${v.events.length > 0 ? ` (${v.events.join('; ')})` : ''}`);
  }
  out.push('', 'Blast radius:');
  if (r.blastRadius.length === 0) out.push('  (no context gains or loses a guardrail)');
  for (const i of r.blastRadius) {
    const where = i.namespace === ns ? '' : `[${i.namespace}] `;
    const changes = [
      i.lost.length > 0 ? `loses ${list(i.lost)}` : '',
      i.gained.length > 0 ? `gains ${list(i.gained)}` : '',
    ].filter(Boolean);
    out.push(`  ${where}${contextLabel(i.context)}: ${changes.join('; ')}`);
  }
  if (r.invalid.length > 0) {
    out.push('', 'Invalid in head (the base version keeps serving):');
    for (const o of r.invalid) out.push(`  ${o.object} (${o.at}): ${o.issues.join('; ')}`);
  }
  if (r.ignoredRemovals.length > 0) {
    out.push('', 'Removals with no effect (a GuardrailFloor makes these guardrails mandatory):');
    for (const o of r.ignoredRemovals) out.push(`  ${o.object} (${o.at}): ${o.message}`);
  }
  return `${out.join('\n')}\n`;
}

/** Inline code in Markdown: backticks in the value get a longer fence. */
const code = (s: string): string => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);
const cell = (s: string): string => s.replace(/\|/g, '\\|');

function renderMarkdown(r: DiffReport, ns: string): string {
  const out = ['### Railyard policy diff', '', `**${summaryLine(r)}** (\`${r.base}\` → \`${r.head}\`)`, ''];
  const removed = r.objects.filter((o) => o.change === 'removed');
  const losing = r.blastRadius.filter((i) => i.lost.length > 0);
  if (removed.length > 0 || losing.length > 0 || r.invalid.length > 0) {
    out.push('> [!WARNING]');
    for (const o of removed) out.push(`> **Removed** ${code(objectName(o, ns))} (was ${code(o.at)})  `);
    for (const i of losing)
      out.push(`> ${code(contextLabel(i.context))} **loses** ${i.lost.map(code).join(', ')}  `);
    for (const o of r.invalid) out.push(`> **Invalid** ${code(o.object)}: ${o.issues.join('; ')}  `);
    out.push('');
  }
  if (r.ignoredRemovals.length > 0) {
    out.push('> [!NOTE]');
    for (const o of r.ignoredRemovals) out.push(`> ${code(o.object)}: ${o.message}  `);
    out.push('');
  }
  out.push(`<details><summary>Objects (${r.objects.length})</summary>`, '');
  if (r.objects.length === 0) out.push('No object changed.');
  for (const o of r.objects) {
    const verb = o.change === 'removed' ? '➖ **removed**' : o.change === 'added' ? '➕ added' : '✏️ changed';
    out.push(`- ${verb} ${code(objectName(o, ns))} (${code(o.at)})`);
    for (const f of o.fields)
      out.push(`  - ${code(f.path)}: ${code(show(f.before))} → ${code(show(f.after))}`);
  }
  out.push('', '</details>', '', `<details><summary>Versions (${r.versions.length})</summary>`, '');
  if (r.versions.length === 0) out.push('No version changed.');
  for (const v of r.versions) {
    const name = v.namespace === ns ? v.policy : `${v.namespace}/${v.policy}`;
    const mark = v.changesProduction ? '🚀' : '📝';
    out.push(
      `- ${mark} ${code(name)}: ${v.summary}${v.events.length > 0 ? ` (${v.events.join('; ')})` : ''}`,
    );
  }
  out.push(
    '',
    '</details>',
    '',
    `<details><summary>Blast radius (${r.blastRadius.length} contexts)</summary>`,
    '',
  );
  if (r.blastRadius.length === 0) out.push('No team, key, model or tag gains or loses a guardrail.');
  else {
    out.push('| Namespace | Context | Loses | Gains |', '| --- | --- | --- | --- |');
    for (const i of r.blastRadius) {
      out.push(
        `| ${cell(i.namespace)} | ${cell(contextLabel(i.context))} | ${cell(list(i.lost))} | ${cell(list(i.gained))} |`,
      );
    }
  }
  out.push('', '</details>', '');
  return `${out.join('\n')}\n`;
}
