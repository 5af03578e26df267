/** Random declared sets and edits over a small universe of names, for incremental-equals-full tests. */
import type { Resource } from '../../../src/engine/types.ts';

/** Small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMESPACES = ['a', 'b'];
const POLICIES = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
const GUARDRAILS = ['g0', 'g1', 'g2'];

const FLOORS = ['fl0', 'fl1'];

/**
 * A random object from a small universe, so that names collide: parents, cycles, duplicates,
 * catalogs, and floors (cluster-scoped) that make some policies' removals mandatory.
 */
export function randomResource(rnd: () => number, line: number): Resource {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const namespace = pick(NAMESPACES);
  const origin = { kind: 'file', path: `f${Math.floor(rnd() * 4)}.yaml`, line } as const;
  if (rnd() < 0.08) return randomFloor(rnd, pick, origin);
  const roll = rnd();
  if (roll < 0.55) {
    const add = GUARDRAILS.filter(() => rnd() < 0.4);
    return {
      kind: 'Policy',
      namespace,
      name: pick(POLICIES),
      origin,
      spec: {
        // Sometimes the name proxies know differs from the object's name: claims collide too.
        ...(rnd() < 0.25 ? { policyName: pick(POLICIES) } : {}),
        ...(rnd() < 0.6 ? { inherit: pick(POLICIES) } : {}),
        guardrails: { add, remove: rnd() < 0.2 ? [pick(GUARDRAILS)] : [] },
        ...(rnd() < 0.2
          ? {
              pipeline: {
                steps: [{ guardrail: pick(GUARDRAILS), onPass: 'allow', onFail: 'block', passData: false }],
              },
            }
          : {}),
        ...(rnd() < 0.1 ? { condition: { model: '(' } } : {}),
        // Sometimes a draft, sometimes in shadow (the status reports the version it names).
        versionStatus: rnd() < 0.15 ? 'draft' : 'production',
        ...(rnd() < 0.15 ? { shadow: { sampleRate: 0.5 } } : {}),
      },
    } as Resource;
  }
  if (roll < 0.8) {
    return {
      kind: 'PolicyAttachment',
      namespace,
      name: `at${Math.floor(rnd() * 4)}`,
      origin,
      spec: {
        policy: pick(POLICIES),
        teams: rnd() < 0.8 ? ['t'] : [],
        keys: [],
        models: [],
        tags: [],
        priority: 0,
      },
    };
  }
  return {
    kind: 'Guardrail',
    namespace,
    name: pick(GUARDRAILS),
    origin,
    spec: {
      ...(rnd() < 0.25 ? { guardrailName: pick(GUARDRAILS) } : {}),
      type: rnd() < 0.3 ? 'webhook' : 'pii',
      mode: 'pre_call',
      failurePolicy: 'closed',
      config: rnd() < 0.5 ? { url: 'https://x' } : {},
    },
  } as Resource;
}

/**
 * A floor over the namespaces by name, `*` or a label selector (an error where namespaces have no
 * labels), sometimes with no namespaces at all (an error).
 */
function randomFloor(
  rnd: () => number,
  pick: <T>(xs: readonly T[]) => T,
  origin: Resource['origin'],
): Resource {
  const roll = rnd();
  const namespaces = roll < 0.45 ? NAMESPACES.filter(() => rnd() < 0.6) : roll < 0.7 ? ['*'] : [];
  return {
    kind: 'GuardrailFloor',
    namespace: '',
    name: pick(FLOORS),
    origin,
    spec: {
      guardrails: [pick(GUARDRAILS), ...(rnd() < 0.3 ? [pick(GUARDRAILS)] : [])]
        .filter((g, i, all) => all.indexOf(g) === i)
        .sort(),
      namespaces,
      ...(roll >= 0.7 && rnd() < 0.8
        ? {
            namespaceSelector: {
              matchLabels: rnd() < 0.5 ? { tier: pick(['prod', 'dev']) } : {},
              matchExpressions: [],
            },
          }
        : {}),
    },
  };
}

/** Labels for the namespaces of the universe (and one more), changing with `rnd`. */
export function randomLabels(rnd: () => number): Map<string, Readonly<Record<string, string>>> {
  return new Map(
    [...NAMESPACES, 'c'].map((ns): [string, Readonly<Record<string, string>>] => [
      ns,
      rnd() < 0.5 ? { tier: rnd() < 0.5 ? 'prod' : 'dev' } : {},
    ]),
  );
}

/** One edit of the declared set: add, replace, remove or move an object. */
export function edit(rnd: () => number, resources: readonly Resource[], line: number): Resource[] {
  const out = [...resources];
  const i = Math.floor(rnd() * out.length);
  const roll = rnd();
  if (roll < 0.3 || out.length === 0) out.push(randomResource(rnd, line));
  else if (roll < 0.5) out[i] = randomResource(rnd, line);
  else if (roll < 0.7) out[i] = sameKeyVariant(rnd, out[i] as Resource, line);
  else if (roll < 0.9) out.splice(i, 1);
  else out.push(...out.splice(i, 1));
  return out;
}

/** A new object declared under `r`'s key (an edit of one object in place), where the kind allows. */
export function sameKeyVariant(rnd: () => number, r: Resource, line: number): Resource {
  for (let tries = 0; tries < 20; tries++) {
    const candidate = randomResource(rnd, line);
    if (candidate.kind === r.kind) return { ...candidate, namespace: r.namespace, name: r.name } as Resource;
  }
  return r;
}
