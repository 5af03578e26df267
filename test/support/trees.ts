import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh temporary folder holding `files` (relative path → text); returns its path. */
export async function writeTree(
  files: Readonly<Record<string, string>>,
  prefix = 'railyard-tree-',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

/** A keywords guardrail that fails on the word "secret". */
export const KW_GUARDRAIL = `
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: kw}
spec: {type: keywords, mode: pre_call, config: {words: [secret]}}
`;

/** A PII guardrail that masks e-mail addresses. */
export const PII_GUARDRAIL = `
apiVersion: railyard.dev/v1alpha1
kind: Guardrail
metadata: {name: pii}
spec: {type: pii, mode: pre_call, config: {entities: [EMAIL], action: mask}}
`;
