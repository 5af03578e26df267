/**
 * `railyard test-pipeline PATH... --policy NAME`: runs the pipeline of a policy's production
 * version on messages, through `runTestPipeline`, the code path of `POST /policies/test-pipeline`.
 */
import { readFile } from 'node:fs/promises';
import type { Message, PipelineResult } from '../../engine/index.ts';
import { renderIssue } from '../../engine/index.ts';
import { toWirePipelineResult } from '../../http/index.ts';
import { chooseNamespace, runTestPipeline } from '../../registry/index.ts';
import { readDocuments } from '../../resources/index.ts';
import type { Io } from '../io.ts';
import { DEFAULT_NAMESPACE, loadState, missingPaths, type PreviewStage } from './load-state.ts';
import { parseMessages } from './messages.ts';

export const TEST_PIPELINE_FORMATS = ['text', 'json'] as const;
export type TestPipelineFormat = (typeof TEST_PIPELINE_FORMATS)[number];

export type TestPipelineArgs = {
  readonly paths: readonly string[];
  readonly policy: string;
  /** `--message` values: user messages, in order. */
  readonly messages: readonly string[];
  /** A YAML or JSON list of messages (strings or `{role, content}`). */
  readonly messagesFile?: string;
  readonly namespace?: string;
  readonly format: TestPipelineFormat;
  readonly preview?: PreviewStage;
  readonly defaultNamespace?: string;
};

/**
 * Prints the pipeline result. Exit code: 0 when the pipeline ran, whatever its terminal action;
 * 2 when it could not run (no messages or both sources, an unreadable file, an unknown policy or
 * one without a pipeline, a namespace not served).
 */
export async function testPipelineCommand(args: TestPipelineArgs, io: Io): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`railyard test-pipeline: ${message}\n`);
    return 2;
  };
  const missing = await missingPaths(args.paths);
  if (missing.length > 0) return fail(`no such file or folder: ${missing.join(', ')}`);
  const messages = await readMessages(args);
  if (!messages.ok) return fail(messages.message);
  const defaultNamespace = args.defaultNamespace ?? DEFAULT_NAMESPACE;
  const { snapshot } = await loadState(args.paths, {
    defaultNamespace,
    ...(args.preview ? { preview: args.preview } : {}),
  });
  const selected = chooseNamespace(snapshot, args.namespace, defaultNamespace);
  if (!selected.ok) return fail(selected.message);
  const result = await runTestPipeline(selected.view, { policy: args.policy }, messages.value);
  if (!result.ok) return fail(result.error.message);
  io.stdout.write(
    args.format === 'json'
      ? `${JSON.stringify(toWirePipelineResult(result.value), null, 2)}\n`
      : renderPipelineResult(args.policy, result.value),
  );
  return 0;
}

async function readMessages(
  args: TestPipelineArgs,
): Promise<{ ok: true; value: Message[] } | { ok: false; message: string }> {
  if (args.messagesFile !== undefined && args.messages.length > 0)
    return { ok: false, message: 'give --message or --messages-file, not both' };
  if (args.messagesFile === undefined) {
    if (args.messages.length === 0)
      return { ok: false, message: 'give at least one --message or a --messages-file' };
    return { ok: true, value: args.messages.map((content) => ({ role: 'user', content })) };
  }
  const text = await readFile(args.messagesFile, 'utf8').catch(() => undefined);
  if (text === undefined) return { ok: false, message: `cannot read ${args.messagesFile}` };
  const { documents, issues } = readDocuments(args.messagesFile, text);
  if (issues[0]) return { ok: false, message: issues[0].message };
  const parsed = parseMessages(documents[0]?.value, 'messages');
  return parsed.ok
    ? parsed
    : { ok: false, message: `${args.messagesFile}: ${parsed.issues.map(renderIssue).join('; ')}` };
}

/** The text form: the terminal action, then one line per step. */
function renderPipelineResult(policy: string, r: PipelineResult): string {
  const lines = [`policy ${policy}: ${r.terminalAction}`];
  r.stepResults.forEach((s, i) => {
    const detail = s.errorDetail ? `  ${s.errorDetail}` : '';
    lines.push(
      `  ${i + 1}. ${s.guardrailName}: ${s.outcome} → ${s.actionTaken} (${s.durationSeconds.toFixed(4)}s)${detail}`,
    );
  });
  if (r.errorMessage) lines.push(`error: ${r.errorMessage}`);
  if (r.modifyResponseMessage) lines.push(`response: ${r.modifyResponseMessage}`);
  if (r.modifiedData) {
    lines.push('modified messages:');
    for (const m of r.modifiedData.messages) lines.push(`  ${m.role}: ${m.content}`);
  }
  return `${lines.join('\n')}\n`;
}
