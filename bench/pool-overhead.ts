/**
 * What the guardrail worker pool costs a decision, in-process (no HTTP, so the figure is the
 * pool's and not the network's): `benchmarkCall()`'s 2 KB pre-call on `examples/` decided by
 * `createDecider` with no pool, with the pool at its default (the 2 KB content stays on the event
 * loop, below `inlineChars`), and with the pool forced (`inlineChars: 0`, every check handed to a
 * thread). Each variant: 300 decisions of warm-up, then `decisions` timed one after another.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDecider } from '../src/enforce/index.ts';
import { CheckPool } from '../src/guardrails/index.ts';
import { Registry } from '../src/registry/index.ts';
import { resourcesFromText } from '../src/resources/index.ts';
import { createMemoryStore } from '../src/store/index.ts';
import { benchmarkCall } from './benchmark-call.ts';
import type { Row } from './report.ts';
import { median, percentile } from './stats.ts';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');

async function examplesRegistry(): Promise<Registry> {
  const app = new Registry({ store: createMemoryStore() });
  await app.load();
  const names = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml'));
  const files = await Promise.all(
    names.map(async (f) =>
      resourcesFromText(join(EXAMPLES, f), await readFile(join(EXAMPLES, f), 'utf8'), 'default'),
    ),
  );
  await app.applyDeclared({ resources: files.flatMap((f) => f.resources), rejected: [] });
  app.markSynced();
  return app;
}

export async function measurePoolOverhead(decisions: number): Promise<Row[]> {
  const app = await examplesRegistry();
  const input = benchmarkCall().decision;
  const pools = {
    inline: new CheckPool({ threads: 1 }),
    forced: new CheckPool({ threads: 1, inlineChars: 0 }),
  };
  try {
    const variants = {
      'no pool': undefined,
      'pool, default threshold': pools.inline,
      'pool, every check offloaded': pools.forced,
    };
    const rows: Row[] = [];
    for (const [name, pool] of Object.entries(variants)) {
      const decide = createDecider({
        snapshot: () => app.snapshot(),
        synced: () => true,
        defaultNamespace: 'default',
        ...(pool ? { pool } : {}),
      });
      const times: number[] = [];
      for (let i = 0; i < 300 + decisions; i++) {
        const started = performance.now();
        const d = await decide(input);
        if (d.verdict.kind !== 'mask')
          throw new Error(`the benchmark decision was ${d.verdict.kind}, not mask`);
        if (i >= 300) times.push(performance.now() - started);
      }
      const how = `${decisions} sequential decisions of benchmarkCall()'s 2 KB pre-call on examples/ (healthcare-team: PII-mask + injection pipeline, PHI regex, secrets), in-process, after 300 of warm-up`;
      rows.push(
        { measurement: `decision in-process, ${name}: p50`, value: median(times), unit: 'ms', detail: how },
        {
          measurement: `decision in-process, ${name}: p99`,
          value: percentile(times, 99),
          unit: 'ms',
          detail: how,
        },
      );
    }
    return rows;
  } finally {
    await Promise.all(Object.values(pools).map((p) => p.destroy()));
  }
}
