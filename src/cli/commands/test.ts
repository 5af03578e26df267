/**
 * `railyard test PATH...`: runs the golden cases of every `PolicyTest` document under the paths
 * against the snapshot the server would serve, and reports like a test runner.
 */

import { NO_RESOLUTION } from '../../engine/index.ts';
import { answer, runTestPipeline } from '../../registry/index.ts';
import type { Io } from '../io.ts';
import {
  type CliState,
  DEFAULT_NAMESPACE,
  displayPath,
  invalidCount,
  loadState,
  missingPaths,
  type PreviewStage,
} from './load-state.ts';
import { type PolicyTestDocument, parsePolicyTest, type TestCase } from './policy-test.ts';

export type TestArgs = {
  readonly paths: readonly string[];
  readonly preview?: PreviewStage;
  readonly defaultNamespace?: string;
  readonly cwd: string;
};

/** A case's outcome: `failures` is empty when it passed. */
type CaseResult = { readonly name: string; readonly failures: readonly string[] };

/**
 * Exit code: 0 when every case passed; 1 when a case failed, a PolicyTest document is malformed or
 * there is no case at all; 2 when a path does not exist.
 */
export async function testCommand(args: TestArgs, io: Io): Promise<number> {
  const missing = await missingPaths(args.paths);
  if (missing.length > 0) {
    io.stderr.write(`railyard test: no such file or folder: ${missing.join(', ')}\n`);
    return 2;
  }
  const ns = args.defaultNamespace ?? DEFAULT_NAMESPACE;
  const state = await loadState(args.paths, {
    defaultNamespace: ns,
    ...(args.preview ? { preview: args.preview } : {}),
  });
  const invalid = invalidCount(state.snapshot);
  if (invalid > 0) {
    io.stderr.write(
      `railyard test: ${invalid} invalid object${invalid === 1 ? ' is' : 's are'} left out; run railyard validate\n`,
    );
  }
  let passed = 0;
  let failed = 0;
  for (const file of state.files) {
    for (const extra of file.extras) {
      const at = `${displayPath(args.cwd, file.path)}:${extra.origin.kind === 'file' ? extra.origin.line : 0}`;
      const doc = parsePolicyTest(extra, ns);
      if (!doc.ok) {
        failed++;
        io.stdout.write(`${at} ${extra.kind}: malformed\n`);
        for (const issue of doc.issues) {
          const line = file.locate(undefined, extra.origin, issue.path);
          io.stdout.write(`  ✗ line ${line}: ${issue.path}: ${issue.message}\n`);
        }
        continue;
      }
      io.stdout.write(`${at} ${extra.kind}/${doc.value.name} (namespace ${doc.value.namespace})\n`);
      for (const c of doc.value.cases) {
        const result = await runCase(state, doc.value, c);
        if (result.failures.length === 0) {
          passed++;
          io.stdout.write(`  ✓ ${result.name}\n`);
        } else {
          failed++;
          const line = file.locate(undefined, extra.origin, c.path);
          io.stdout.write(`  ✗ ${result.name} (line ${line})\n`);
          for (const f of result.failures) io.stdout.write(`      ${f}\n`);
        }
      }
    }
  }
  if (passed + failed === 0) {
    io.stderr.write(`railyard test: no PolicyTest cases under ${args.paths.join(', ')}\n`);
    return 1;
  }
  io.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

const show = (list: readonly string[]): string => `[${list.join(', ')}]`;

async function runCase(state: CliState, doc: PolicyTestDocument, c: TestCase): Promise<CaseResult> {
  const view = state.snapshot.namespaces.get(doc.namespace);
  switch (c.kind) {
    case 'context': {
      const request = { namespace: doc.namespace, context: c.context };
      const resolved = answer('resolve', state.snapshot, request, { defaultNamespace: doc.namespace });
      // A namespace with no objects is served nothing: its cases see the empty answer.
      const r = resolved.ok ? resolved.value : NO_RESOLUTION;
      const failures: string[] = [];
      const gotGuardrails = r.effectiveGuardrails;
      const want = c.expect.guardrails && [...c.expect.guardrails].sort();
      if (want && show(want) !== show(gotGuardrails))
        failures.push(`guardrails: expected ${show(want)}, got ${show(gotGuardrails)}`);
      const gotPolicies = r.matchedPolicies.map((m) => m.policyName);
      if (c.expect.policies && show(c.expect.policies) !== show(gotPolicies))
        failures.push(`policies (in order): expected ${show(c.expect.policies)}, got ${show(gotPolicies)}`);
      return { name: c.name, failures };
    }
    case 'pipeline': {
      const result = await runTestPipeline(view, { policy: c.policy }, c.messages);
      if (!result.ok) return { name: c.name, failures: [result.error.message] };
      const got = result.value.terminalAction;
      if (got === c.expect.terminalAction) return { name: c.name, failures: [] };
      const steps = result.value.stepResults.map((s) => `${s.guardrailName}:${s.outcome}→${s.actionTaken}`);
      return {
        name: c.name,
        failures: [
          `terminal_action: expected ${c.expect.terminalAction}, got ${got} (steps ${steps.join(', ')})`,
        ],
      };
    }
  }
}
