/** examples/argocd/health.lua on hand-made objects, one case per state it tells apart. */
import { describe, expect, test } from 'vitest';
import { argoHealth } from '../../support/argocd-health.ts';

const cond = (type: string, status: string, reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2025-01-01T00:00:00Z',
});
const at = (generation: number, ...conditions: ReturnType<typeof cond>[]) => ({
  metadata: { name: 'x', generation },
  status: { observedGeneration: generation, conditions },
});
const ACCEPTED = cond('Accepted', 'True', 'Valid', 'The spec is valid');
const STORED = cond('Degraded', 'False', 'HistoryStored', 'The versions of this policy are stored');

const CASES = [
  {
    note: 'no status yet: Progressing',
    obj: { metadata: { name: 'p', generation: 1 } },
    want: { status: 'Progressing' },
  },
  {
    note: 'status of an older generation: Progressing',
    obj: {
      metadata: { generation: 3 },
      status: {
        observedGeneration: 2,
        conditions: [cond('Ready', 'True', 'InProduction', 'Version 2 is in production')],
      },
    },
    want: { status: 'Progressing', message: 'Railyard has not reconciled generation 3 yet' },
  },
  {
    note: 'conditions without Ready: Progressing',
    obj: at(1, ACCEPTED),
    want: { status: 'Progressing' },
  },
  {
    note: 'Ready=True: Healthy with its message',
    obj: at(2, ACCEPTED, cond('Ready', 'True', 'InProduction', 'Version 2 is in production'), STORED),
    want: { status: 'Healthy', message: 'Version 2 is in production' },
  },
  {
    note: 'invalid spec: Degraded with the Accepted message',
    obj: at(
      1,
      cond('Accepted', 'False', 'InvalidInheritance', 'spec.inherit: parent policy "x" not found'),
      cond('Ready', 'False', 'InvalidSpec', 'Not applied: nothing from it is in force'),
    ),
    want: { status: 'Degraded', message: 'spec.inherit: parent policy "x" not found' },
  },
  {
    note: 'a valid draft: Healthy (Git says draft, the cluster records a draft), not Progressing forever',
    obj: at(1, ACCEPTED, cond('Ready', 'False', 'NoProductionVersion', 'Version 1 is draft'), STORED),
    want: { status: 'Healthy', message: 'Version 1 is draft' },
  },
  {
    note: 'an attachment waiting for its policy to be promoted: Healthy',
    obj: at(
      1,
      ACCEPTED,
      cond('Ready', 'False', 'PolicyNotInProduction', 'Policy "d" has no production version'),
    ),
    want: { status: 'Healthy' },
  },
  {
    note: 'an attachment whose policy is not there (yet): Progressing',
    obj: at(1, ACCEPTED, cond('Ready', 'False', 'PolicyNotFound', 'Policy "p" is not declared')),
    want: { status: 'Progressing', message: 'Policy "p" is not declared' },
  },
  {
    note: 'the history could not be stored: Degraded with the Degraded message',
    obj: at(
      4,
      ACCEPTED,
      cond('Ready', 'False', 'HistoryNotStored', 'History not stored: too large; version 3 is in production'),
      cond('Degraded', 'True', 'HistoryNotStored', 'the history needs 1100000 bytes; make the spec smaller'),
    ),
    want: { status: 'Degraded', message: 'the history needs 1100000 bytes; make the spec smaller' },
  },
  {
    note: 'a guardrail it uses is invalid: Degraded',
    obj: at(1, ACCEPTED, cond('Ready', 'False', 'GuardrailInvalid', 'guardrail "g" is invalid'), STORED),
    want: { status: 'Degraded', message: 'guardrail "g" is invalid' },
  },
  {
    note: 'Ready=Unknown: Progressing',
    obj: at(1, ACCEPTED, cond('Ready', 'Unknown', 'Checking', 'checking')),
    want: { status: 'Progressing' },
  },
];

describe('examples/argocd/health.lua', () => {
  for (const c of CASES) test(c.note, () => expect(argoHealth(c.obj)).toMatchObject(c.want));
});
