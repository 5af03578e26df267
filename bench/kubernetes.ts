/**
 * Kubernetes mode at scale, on the real API server from `KUBEBUILDER_ASSETS` with two replicas
 * (real `railyard serve --kubernetes` child processes, as the manifests' ServiceAccount):
 *
 * 1. apply 2,000 objects (1,000 Policies, each with a PolicyAttachment) through the API, 32
 *    creates in flight: time from the first create until both replicas serve every object
 *    (`railyard_objects` counts them all Ready on each), and until every status is written
 *    (listed from the API server at the objects' generation, Ready=True);
 * 2. edits of one Policy among them: the API writes each caused (`apiserver_request_total`, the
 *    edit itself and Lease renewals left out), the time from the API server accepting the edit to
 *    the new answer on both replicas, and to the Policy's status;
 * 3. the leader's resident memory (VmRSS) with 2,000 objects, before and after 100 edits of a
 *    200 KB Policy (1,000 model patterns, 32 pipeline steps with 4 KB messages), and with 10,000,
 *    each read once the replica has been idle for 30 s (V8 collects and returns memory after a
 *    few idle seconds), and its peak (VmHWM) over the whole run.
 *
 * The replicas run with the environment manifests/deployment.yaml gives the container for memory
 * (NODE_OPTIONS, MALLOC_ARENA_MAX), so the figures are those of the shipped Deployment.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { kubectlOk, startKubeForOperator, startOperator } from '../test/k8s/operator-support.ts';
import type { KubeApiServer } from '../test/support/kube-apiserver.ts';
import {
  adminObjects,
  apiserverWrites,
  createObjects,
  type LoadObject,
  loadTeam,
  patchSpec,
  policiesWithAttachments,
  totalWrites,
  writesBetween,
} from '../test/support/kube-load.ts';
import { type RailyardProcess, REPO } from '../test/support/railyard-process.ts';
import type { Row } from './report.ts';
import { median, percentile } from './stats.ts';

export type KubernetesPlan = {
  /** Edits of one Policy among 2,000 objects, one at a time. */
  readonly edits: number;
  /** Edits of the 200 KB Policy. */
  readonly largeEdits: number;
  /** Policies (each with an attachment) of the large size. */
  readonly largePolicies: number;
};

const SMALL_POLICIES = 1_000;
const POLL_MS = 5;
const TIMEOUT_MS = 300_000;
/** How long a replica is left idle before its resident memory is read. */
const IDLE_MS = 60_000;
const MEMORY_ENV = ['NODE_OPTIONS', 'MALLOC_ARENA_MAX'];

/** The memory settings manifests/deployment.yaml gives the container. */
async function deployedMemoryEnv(): Promise<Record<string, string>> {
  const doc = load(await readFile(join(REPO, 'manifests/deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  };
  const env = doc.spec.template.spec.containers[0]?.env ?? [];
  const out: Record<string, string> = {};
  for (const e of env) if (MEMORY_ENV.includes(e.name) && e.value !== undefined) out[e.name] = e.value;
  return out;
}

/** The Kubernetes rows; needs `KUBEBUILDER_ASSETS`. */
export async function measureKubernetes(plan: KubernetesPlan): Promise<Row[]> {
  const kube = await startKubeForOperator();
  const replicas: RailyardProcess[] = [];
  try {
    const api = await adminObjects(kube);
    const memoryEnv = await deployedMemoryEnv();
    const env = { ...memoryEnv, RAILYARD_LOG_LEVEL: 'info' };
    const leader = await startOperator(kube, { identity: 'replica-a', env });
    replicas.push(leader);
    await leader.waitForLog((l) => l.msg === 'became leader', 15_000);
    const follower = await startOperator(kube, { identity: 'replica-b', env });
    replicas.push(follower);

    const small = policiesWithAttachments(SMALL_POLICIES);
    const apply = await timeApply(kube, api, replicas, small);
    const edits = await measureEdits(kube, api, replicas, small, plan.edits);
    const large = await measureLargeEdits(kube, api, replicas, plan.largeEdits);
    const rss2k = large.before;
    const more = policiesWithAttachments(plan.largePolicies).slice(small.length);
    const applyLarge = await timeApply(kube, api, replicas, more, small.length + more.length, 1);
    await idle(kube);
    const rssLarge = await rssMiB(leader);
    const heapLarge = await heapUsedMiB(leader);
    const followerLarge = await rssMiB(follower);
    const peak = await peakMiB(leader);
    return rows({
      apply,
      edits,
      rss2k,
      large,
      applyLarge,
      rssLarge,
      heapLarge,
      followerLarge,
      peak,
      memoryEnv,
      plan,
    });
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await kube.stop();
  }
}

type Apply = { accepted: number; served: number; statuses: number; objects: number };

/**
 * Creates `objects` and times, from the first create (seconds): the API server accepting the
 * last, both replicas serving all `total` objects, and every status written.
 */
async function timeApply(
  kube: KubeApiServer,
  api: CustomObjectsApi,
  replicas: readonly RailyardProcess[],
  objects: readonly LoadObject[],
  total = objects.length,
  elsewhere = 0,
): Promise<Apply> {
  const started = performance.now();
  const since = () => (performance.now() - started) / 1000;
  // Served: every Policy and attachment of namespace default, and the `elsewhere` of other namespaces.
  const policies = total / 2 + elsewhere;
  const served = Promise.all(
    replicas.map((r) =>
      until(async () => {
        const text = await (await r.fetch('/metrics', { token: null })).text();
        const ready = (kind: string) =>
          Number(
            text
              .split('\n')
              .find((l) => l.startsWith(`railyard_objects{kind="${kind}",condition="Ready",status="True"}`))
              ?.split(' ')[1] ?? 0,
          );
        return ready('Policy') >= policies && ready('PolicyAttachment') >= policies;
      }, 100),
    ),
  ).then(since);
  const statuses = until(() => allStatusesWritten(kube, total), 500).then(since);
  await createObjects(api, objects, 32);
  const accepted = since();
  return { accepted, served: await served, statuses: await statuses, objects: objects.length };
}

type Listed = {
  items: {
    metadata: { generation?: number };
    status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] };
  }[];
};

/** True when `total` objects are listed and each says Ready=True at its generation. */
async function allStatusesWritten(kube: KubeApiServer, total: number): Promise<boolean> {
  let done = 0;
  for (const kind of ['policies', 'policyattachments']) {
    const list = JSON.parse(await kubectlOk(kube, ['get', kind, '-n', 'default', '-o', 'json'])) as Listed;
    for (const o of list.items) {
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (ready && o.status?.observedGeneration === o.metadata.generation) done++;
    }
  }
  return done >= total;
}

type Edits = { served: number[]; statuses: number[]; writes: number[]; byKind: Record<string, number> };

/** `n` edits of different Policies among the 2,000 objects, one at a time. */
async function measureEdits(
  kube: KubeApiServer,
  api: CustomObjectsApi,
  replicas: readonly RailyardProcess[],
  objects: readonly LoadObject[],
  n: number,
): Promise<Edits> {
  const out: Edits = { served: [], statuses: [], writes: [], byKind: {} };
  const policies = objects.filter((o) => o.plural === 'policies');
  for (let i = 0; i < n; i++) {
    const index = (i * 37) % policies.length;
    const policy = policies[index] as LoadObject;
    const guardrail = `edit-${i}`;
    const before = await settled(kube);
    await patchSpec(api, policy, { ...policy.spec, guardrails: { add: ['pii-mask', guardrail] } });
    const accepted = performance.now();
    const took = () => performance.now() - accepted;
    const served = Promise.all(
      replicas.map((r) =>
        until(async () => {
          const a = await r.json<{ effective_guardrails: string[] }>(
            `/v1/resolve?team_alias=${loadTeam(index)}`,
          );
          return a.effective_guardrails.includes(guardrail);
        }, POLL_MS),
      ),
    ).then(took);
    const status = until(async () => {
      const o = (await api.getNamespacedCustomObjectStatus({
        group: 'railyard.dev',
        version: 'v1alpha1',
        namespace: policy.namespace,
        plural: 'policies',
        name: policy.name,
      })) as { metadata: { generation: number }; status?: { observedGeneration?: number } };
      return o.status?.observedGeneration === o.metadata.generation;
    }, 20).then(took);
    out.served.push(await served);
    out.statuses.push(await status);
    const written = writesBetween(before, await settled(kube));
    written['PATCH policies'] = (written['PATCH policies'] ?? 1) - 1; // the edit itself
    out.writes.push(totalWrites(written));
    for (const [k, v] of Object.entries(written)) out.byKind[k] = (out.byKind[k] ?? 0) + v;
  }
  return out;
}

/** About 200 KB of Policy spec; every edit changes every model pattern and message. */
function largeSpec(edit: number): Record<string, unknown> {
  const steps = Array.from({ length: 32 }, (_, i) => `step-${i}`);
  return {
    description: `large policy, edit ${edit}`,
    guardrails: { add: [...steps, `edit-${edit}`] },
    condition: {
      model: Array.from({ length: 1_000 }, (_, i) => `vendor-${edit}-${i}-[a-z0-9]+-(preview|stable)-2026`),
    },
    pipeline: {
      mode: 'pre_call',
      steps: steps.map((guardrail, i) => ({
        guardrail,
        onPass: 'next',
        modifyResponseMessage: `edit ${edit}, step ${i}: `.padEnd(
          4_000,
          String.fromCharCode(97 + ((edit + i) % 26)),
        ),
      })),
    },
  };
}

type Large = {
  before: number;
  after: number;
  followerBefore: number;
  followerAfter: number;
  /** The leader's V8 heap in use (MiB) before and after, as /metrics says then. */
  heapBefore: number;
  heapAfter: number;
  bytes: number;
};

/** `n` edits of one 200 KB Policy in namespace `large`, each waited for on both replicas. */
async function measureLargeEdits(
  kube: KubeApiServer,
  api: CustomObjectsApi,
  replicas: readonly RailyardProcess[],
  n: number,
): Promise<Large> {
  const [leader, follower] = replicas as [RailyardProcess, RailyardProcess];
  await kubectlOk(kube, ['create', 'namespace', 'large']);
  const policy: LoadObject = { plural: 'policies', namespace: 'large', name: 'large', spec: largeSpec(0) };
  const attachment: LoadObject = {
    plural: 'policyattachments',
    namespace: 'large',
    name: 'large',
    spec: { policy: 'large', teams: ['large-team'] },
  };
  const servedOnBoth = (edit: number) =>
    Promise.all(
      replicas.map((r) =>
        until(async () => {
          const a = await r.json<{ effective_guardrails: string[] }>(
            `/v1/resolve?namespace=large&team_alias=large-team&model=vendor-${edit}-7-x1-stable-2026`,
          );
          return a.effective_guardrails.includes(`edit-${edit}`);
        }, 20),
      ),
    );
  await createObjects(api, [policy, attachment]);
  await servedOnBoth(0);
  await idle(kube);
  const before = await rssMiB(leader);
  const followerBefore = await rssMiB(follower);
  const heapBefore = await heapUsedMiB(leader);
  for (let edit = 1; edit <= n; edit++) {
    await patchSpec(api, policy, largeSpec(edit));
    await servedOnBoth(edit);
  }
  await idle(kube);
  return {
    before,
    after: await rssMiB(leader),
    followerBefore,
    followerAfter: await rssMiB(follower),
    heapBefore,
    heapAfter: await heapUsedMiB(leader),
    bytes: JSON.stringify(largeSpec(n)).length,
  };
}

/** Waits until no write but Lease renewals reaches the API server for `quietMs`; returns the count. */
async function settled(kube: KubeApiServer, quietMs = 1_500): Promise<Map<string, number>> {
  let last = await apiserverWrites(kube);
  let since = performance.now();
  const deadline = performance.now() + TIMEOUT_MS;
  while (performance.now() < deadline) {
    await sleep(250);
    const now = await apiserverWrites(kube);
    if (totalWrites(writesBetween(last, now)) > 0) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return now;
  }
  throw new Error(`API writes did not settle within ${TIMEOUT_MS} ms`);
}

/** Waits until the API writes have settled, then `IDLE_MS` more. */
async function idle(kube: KubeApiServer): Promise<void> {
  await settled(kube);
  await sleep(IDLE_MS);
}

/** Polls `check` every `everyMs` until it is true (errors count as false). */
async function until(check: () => Promise<boolean>, everyMs: number): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`not done within ${TIMEOUT_MS} ms`);
}

async function statusKiB(r: RailyardProcess, field: string): Promise<number> {
  const status = await readFile(`/proc/${r.child.pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
}
const rssMiB = async (r: RailyardProcess) => (await statusKiB(r, 'VmRSS')) / 1024;
const peakMiB = async (r: RailyardProcess) => (await statusKiB(r, 'VmHWM')) / 1024;

/** `nodejs_heap_size_used_bytes` of `r`, in MiB. */
async function heapUsedMiB(r: RailyardProcess): Promise<number> {
  const text = await (await r.fetch('/metrics', { token: null })).text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_heap_size_used_bytes '));
  return Number(line?.split(' ')[1] ?? Number.NaN) / 2 ** 20;
}

function rows(m: {
  apply: Apply;
  edits: Edits;
  rss2k: number;
  large: Large;
  applyLarge: Apply;
  rssLarge: number;
  heapLarge: number;
  followerLarge: number;
  peak: number;
  memoryEnv: Record<string, string>;
  plan: KubernetesPlan;
}): Row[] {
  const two = '2,000 objects';
  const big = `${(m.plan.largePolicies * 2).toLocaleString('en')} objects`;
  const settings = Object.entries(m.memoryEnv)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const how = `real API server (v1.20) and two \`railyard serve --kubernetes\` replicas on this machine, with the Deployment's ${settings}`;
  const idleHow = `VmRSS in MiB after ${IDLE_MS / 1000} s without API writes`;
  const applyHow = (a: Apply) =>
    `${a.objects.toLocaleString('en')} creates through the API, 32 in flight, accepted by the API server after ${a.accepted.toFixed(1)} s; ${how}`;
  const editHow = `${m.edits.served.length} edits of different Policies, one at a time; ${how}`;
  const writes = Object.entries(m.edits.byKind)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const growth = ((m.large.after - m.large.before) / m.large.before) * 100;
  const followerGrowth = ((m.large.followerAfter - m.large.followerBefore) / m.large.followerBefore) * 100;
  return [
    {
      measurement: `Kubernetes, apply ${two}: both replicas serve them`,
      value: m.apply.served,
      unit: 's',
      target: { op: '<=', limit: 20 },
      detail: `from the first create until railyard_objects counts every object Ready on both replicas; ${applyHow(m.apply)}`,
    },
    {
      measurement: `Kubernetes, apply ${two}: every status written`,
      value: m.apply.statuses,
      unit: 's',
      target: { op: '<=', limit: 30 },
      detail: `from the first create until every object's status says Ready=True at its generation (listed every 500 ms); ${applyHow(m.apply)}`,
    },
    {
      measurement: `Kubernetes, one edit among ${two}: API writes caused (most of any edit)`,
      value: Math.max(...m.edits.writes),
      unit: 'writes',
      target: { op: '<=', limit: 10 },
      detail: `apiserver_request_total write verbs, less the edit itself and Lease renewals; in all: ${writes}; ${editHow}`,
    },
    {
      measurement: `Kubernetes, one edit among ${two}: accepted → new answer on both replicas, p50`,
      value: median(m.edits.served),
      unit: 'ms',
      target: { op: '<=', limit: 300 },
      detail: `from the API server answering the PATCH until GET /v1/resolve on both replicas (polled every ${POLL_MS} ms) carries it; max ${Math.max(...m.edits.served).toFixed(0)} ms; ${editHow}`,
    },
    {
      measurement: `Kubernetes, one edit among ${two}: accepted → status written, p50`,
      value: median(m.edits.statuses),
      unit: 'ms',
      target: { op: '<=', limit: 1000 },
      detail: `from the API server answering the PATCH until the Policy's status has its new generation (polled every 20 ms); p90 ${percentile(m.edits.statuses, 90).toFixed(0)} ms; ${editHow}`,
    },
    {
      measurement: `Kubernetes, leader RSS with ${two}`,
      value: m.rss2k,
      unit: 'MB',
      detail: `${idleHow}, after the apply and the edits (the 200 KB Policy of the next row present too); V8 heap in use ${m.large.heapBefore.toFixed(0)} MiB; ${how}`,
    },
    {
      measurement: `Kubernetes, leader RSS after ${m.plan.largeEdits} edits of a ${Math.round(m.large.bytes / 1000)} KB Policy, change from before`,
      value: growth,
      unit: '%',
      target: { op: '<=', limit: 10 },
      detail: `VmRSS ${m.large.before.toFixed(0)} → ${m.large.after.toFixed(0)} MiB (follower ${m.large.followerBefore.toFixed(0)} → ${m.large.followerAfter.toFixed(0)} MiB, ${followerGrowth.toFixed(1)}%; the leader's V8 heap in use ${m.large.heapBefore.toFixed(0)} → ${m.large.heapAfter.toFixed(0)} MiB), each after ${IDLE_MS / 1000} s without API writes; the history keeps the versions that fit in one ConfigMap (about 5 of these); each edit changes 1,000 model patterns and 32 pipeline messages and is waited for on both replicas; ${two} present; ${how}`,
    },
    {
      measurement: `Kubernetes, apply up to ${big}: both replicas serve them`,
      value: m.applyLarge.served,
      unit: 's',
      detail: `from the first of ${m.applyLarge.objects.toLocaleString('en')} more creates until both replicas serve all ${big}; ${applyHow(m.applyLarge)}`,
    },
    {
      measurement: `Kubernetes, apply up to ${big}: every status written`,
      value: m.applyLarge.statuses,
      unit: 's',
      detail: `as above, until every status is written; ${applyHow(m.applyLarge)}`,
    },
    {
      measurement: `Kubernetes, leader RSS with ${big}`,
      value: m.rssLarge,
      unit: 'MB',
      target: { op: '<=', limit: 256 },
      detail: `${idleHow} (follower: ${m.followerLarge.toFixed(0)} MiB); V8 heap in use ${m.heapLarge.toFixed(0)} MiB; ${how}`,
    },
    {
      measurement: 'Kubernetes, leader peak RSS over the run',
      value: m.peak,
      unit: 'MB',
      detail: `VmHWM in MiB: the most resident memory at any moment of the run (the ${big} apply); ${how}`,
    },
  ];
}
