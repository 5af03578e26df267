/**
 * A GuardrailFloor over HTTP, on the real server in directory mode: resolve, explain, snapshot,
 * status and the LiteLLM enforcement route all apply the same floor; a team's removal of a floor
 * guardrail is ignored and says so; editing the floor's file moves it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, postLitellm, type RailyardProcess, startRailyard } from '../support/railyard-process.ts';
import { writeTree } from '../support/trees.ts';

const doc = (kind: string, name: string, spec: string, namespace?: string) =>
  `apiVersion: railyard.dev/v1alpha1\nkind: ${kind}\nmetadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ''}}\nspec: ${spec}\n---\n`;

const TEAM = (ns: string) =>
  doc('Guardrail', 'pii-mask', '{type: pii, config: {entities: [EMAIL], action: mask}}', ns) +
  doc('Guardrail', 'secrets-scan', '{type: secrets, config: {}}', ns) +
  doc('Policy', 'baseline', '{guardrails: {add: [pii-mask, secrets-scan]}}', ns) +
  doc('Policy', 'analytics', '{inherit: baseline, guardrails: {remove: [pii-mask]}}', ns) +
  doc('PolicyAttachment', 'analytics', '{policy: analytics, teams: [analytics]}', ns);

const FLOOR = (namespaces: string) =>
  doc(
    'GuardrailFloor',
    'security',
    `{guardrails: [pii-mask], namespaces: ${namespaces}, description: PII never leaves}`,
  );

let dir: string;
let r: RailyardProcess;
beforeAll(async () => {
  dir = await writeTree({ 'fin.yaml': TEAM('fin'), 'med.yaml': TEAM('med'), 'floor.yaml': FLOOR('[fin]') });
  r = await startRailyard({ args: ['--dir', dir, '--namespace', 'fin'] });
});
afterAll(async () => {
  await r?.stop();
});

type Explain = {
  effective_guardrails: string[];
  floor: { guardrail: string; floor_name: string }[];
  policies: {
    policy_name: string;
    guardrails: string[];
    inheritance_chain: { policy_name: string; guardrails_remove_ignored: string[] }[];
  }[];
};

const litellm = (ns: string, team: string, text: string) => postLitellm(r, text, { team, namespace: ns });

describe('a floor over HTTP (directory mode)', () => {
  test('/v1/resolve: the floor is in the answer, with its name; the team removal is ignored', async () => {
    const fin = await r.json<{ effective_guardrails: string[]; floor: unknown }>(
      '/v1/resolve?namespace=fin&team_alias=analytics',
    );
    expect(fin.effective_guardrails).toEqual(['pii-mask', 'secrets-scan']);
    expect(fin.floor).toEqual([{ guardrail: 'pii-mask', floor_name: 'security' }]);
    const med = await r.json<{ effective_guardrails: string[]; floor: unknown }>(
      '/v1/resolve?namespace=med&team_alias=analytics',
    );
    expect(med).toMatchObject({ effective_guardrails: ['secrets-scan'], floor: [] });
    // A request that matches no policy still gets the floor.
    const nobody = await r.json<{ effective_guardrails: string[] }>('/v1/resolve?namespace=fin&team_alias=x');
    expect(nobody.effective_guardrails).toEqual(['pii-mask']);
  });

  test('/v1/explain: which guardrails come from the floor and which removals it ignores', async () => {
    const e = await r.json<Explain>('/v1/explain', {
      method: 'POST',
      body: JSON.stringify({ namespace: 'fin', team_alias: 'analytics' }),
    });
    expect(e.floor).toEqual([{ guardrail: 'pii-mask', floor_name: 'security' }]);
    expect(e.policies[0]?.inheritance_chain.map((l) => [l.policy_name, l.guardrails_remove_ignored])).toEqual(
      [
        ['baseline', []],
        ['analytics', ['pii-mask']],
      ],
    );
  });

  test('/v1/snapshot carries the floor for proxies that evaluate locally', async () => {
    const s = await r.json<{
      floor: unknown;
      resolved: Record<string, { guardrails_without_context: string[] }>;
    }>('/v1/snapshot?namespace=fin');
    expect(s.floor).toEqual([{ guardrail: 'pii-mask', floor_name: 'security' }]);
    expect(s.resolved.analytics?.guardrails_without_context).toEqual(['pii-mask', 'secrets-scan']);
  });

  test('/v1/status: the floor where it applies, the policy with its warning', async () => {
    const status = await r.json<{
      objects: {
        key: { kind: string; namespace: string; name: string };
        conditions: { type: string; status: string; message: string }[];
        issues: { code: string; message: string }[];
        floor?: { namespaces: string[]; missing: unknown[] };
      }[];
    }>('/v1/status');
    const floor = status.objects.find((o) => o.key.kind === 'GuardrailFloor');
    expect(floor).toMatchObject({
      key: { name: 'security', namespace: '' },
      floor: { namespaces: ['fin'], missing: [] },
    });
    expect(floor?.conditions.map((c) => [c.type, c.status])).toEqual([
      ['Accepted', 'True'],
      ['Ready', 'True'],
    ]);
    const team = status.objects.find(
      (o) => o.key.kind === 'Policy' && o.key.namespace === 'fin' && o.key.name === 'analytics',
    );
    expect(team?.issues).toEqual([
      expect.objectContaining({
        code: 'mandatory_guardrail',
        message:
          '`pii-mask` is mandatory in namespace fin (GuardrailFloor "security"): its removal has no effect',
      }),
    ]);
    expect(team?.conditions.find((c) => c.type === 'Accepted')?.message).toContain(
      'its removal has no effect',
    );
  });

  test('enforcement: the floor masks for a team whose policy removes it', async () => {
    const res = await litellm('fin', 'analytics', 'mail jane@example.com');
    expect(await res.json()).toMatchObject({ action: 'GUARDRAIL_INTERVENED', texts: ['mail [EMAIL]'] });
    const med = await litellm('med', 'analytics', 'mail jane@example.com');
    expect(await med.json()).toMatchObject({ action: 'NONE' });
  });

  test('editing the floor file moves it to another namespace (a new revision for long-polling proxies)', async () => {
    const before = await r.json<{ revision: number }>('/v1/snapshot?namespace=med');
    await writeFile(join(dir, 'floor.yaml'), FLOOR('[med]'));
    await eventually(async () => {
      const med = await r.json<{ floor: unknown[] }>('/v1/resolve?namespace=med&team_alias=analytics');
      return med.floor.length === 1 ? true : undefined;
    });
    const fin = await r.json<{ effective_guardrails: string[] }>(
      '/v1/resolve?namespace=fin&team_alias=analytics',
    );
    expect(fin.effective_guardrails).toEqual(['secrets-scan']);
    const after = await r.json<{ revision: number; floor: unknown[] }>('/v1/snapshot?namespace=med');
    expect(after.revision).not.toBe(before.revision);
    expect(after.floor).toHaveLength(1);
  });
});
