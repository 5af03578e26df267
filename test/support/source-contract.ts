/**
 * The `Source` contract (src/sources/source.ts), as one suite every implementation runs:
 * `runSourceContract({ newSource })`, the way Hono's routers share `runTest`. The harness writes
 * through the real backend (files in a folder, objects on a real API server); the suite only
 * reads the source.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { DeclaredInput, Key, Resource } from '../../src/engine/index.ts';
import type { Source } from '../../src/sources/index.ts';
import { eventually } from './railyard-process.ts';

type SourceHarness = {
  readonly source: Source;
  /** Creates or replaces Guardrail `name` (type keywords, `config.words: [word]`). */
  put(name: string, word: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** Writes a document Railyard refuses under the key it returns (other objects stay valid). */
  putRejected(name: string): Promise<Key>;
  /**
   * Makes what declares object `name` (written by `put`) unreadable as a whole, e.g. a file that no
   * longer parses; `put` makes it readable again. Where the backend cannot hold such a thing (an
   * API server refuses what it cannot parse), says why and checks that it refuses it instead.
   */
  readonly putUnreadable:
    | ((name: string) => Promise<void>)
    | { readonly impossible: string; readonly refused: (name: string) => Promise<void> };
  /** Cuts the source off its backend; `resume` gives it back. Absent where there is no outage. */
  readonly outage?: { interrupt(): Promise<void>; resume(): Promise<void> };
  close(): Promise<void>;
};

export type SourceContractOptions = {
  /** A harness whose backend holds the `seed` guardrails (name → word), not started yet. */
  readonly newSource: (seed: Readonly<Record<string, string>>) => Promise<SourceHarness>;
  /** How long a change may take to show (a real API server is slower than a folder). */
  readonly timeoutMs?: number;
  /** The harness can cut the source off its backend (`SourceHarness.outage`). */
  readonly outage?: boolean;
};

const guardrail = (view: DeclaredInput, name: string): Resource | undefined =>
  view.resources.find((r) => r.kind === 'Guardrail' && r.name === name);

const wordOf = (r: Resource | undefined): string | undefined =>
  r?.kind === 'Guardrail' ? ((r.spec.config as { words?: string[] }).words?.[0] ?? undefined) : undefined;

export function runSourceContract(name: string, o: SourceContractOptions): void {
  const timeoutMs = o.timeoutMs ?? 5_000;
  describe(`Source contract: ${name}`, () => {
    const open: { harness: SourceHarness; stop: AbortController }[] = [];
    afterEach(async () => {
      for (const { harness, stop } of open.splice(0)) {
        stop.abort();
        await harness.source.stop();
        await harness.close();
      }
    });

    /** Starts a source over `seed`; `views` records the view after every `changed` call. */
    async function started(seed: Record<string, string>) {
      const harness = await o.newSource(seed);
      const stop = new AbortController();
      open.push({ harness, stop });
      const views: DeclaredInput[] = [];
      await harness.source.start(() => views.push(harness.source.view()), stop.signal);
      /** Waits for any notification so far or later whose view passes `check`. */
      const until = (check: (view: DeclaredInput) => boolean): Promise<DeclaredInput> =>
        eventually(async () => views.find(check), timeoutMs);
      /**
       * Runs `write`, then waits for a notification whose view passes `check`, counting from before
       * the write: the source may see a change before the write call itself returns.
       */
      const writeThenSee = async (
        write: () => Promise<unknown>,
        check: (view: DeclaredInput) => boolean,
      ): Promise<DeclaredInput> => {
        const from = views.length;
        await write();
        return eventually(async () => views.slice(from).find(check), timeoutMs);
      };
      return { harness, source: harness.source, views, until, writeThenSee };
    }

    test('initial list: synced, notified, every object in the view', async () => {
      const { source, until } = await started({ alpha: 'a1', beta: 'b1' });
      await until((v) => guardrail(v, 'alpha') !== undefined && guardrail(v, 'beta') !== undefined);
      expect(source.synced()).toBe(true);
      expect(wordOf(guardrail(source.view(), 'alpha'))).toBe('a1');
      expect(source.trouble()).toBeUndefined();
    });

    test('add, change and delete are each notified and in the next view', async () => {
      const { harness, source, until, writeThenSee } = await started({ alpha: 'a1', beta: 'b1' });
      await until((v) => guardrail(v, 'beta') !== undefined);
      const betaBefore = guardrail(source.view(), 'beta');

      await writeThenSee(
        () => harness.put('gamma', 'g1'),
        (v) => wordOf(guardrail(v, 'gamma')) === 'g1',
      );
      const changed = await writeThenSee(
        () => harness.put('alpha', 'a2'),
        (v) => wordOf(guardrail(v, 'alpha')) === 'a2',
      );
      // An object whose content did not change keeps its identity.
      expect(guardrail(changed, 'beta')).toBe(betaBefore);

      const removed = await writeThenSee(
        () => harness.remove('beta'),
        (v) => guardrail(v, 'beta') === undefined,
      );
      expect(wordOf(guardrail(removed, 'alpha'))).toBe('a2');
      expect(wordOf(guardrail(removed, 'gamma'))).toBe('g1');
    });

    test('a refused document is rejected under its key and disturbs nothing; fixing it recovers', async () => {
      const { harness, source, until, writeThenSee } = await started({ alpha: 'a1' });
      await until((v) => guardrail(v, 'alpha') !== undefined);
      const alpha = guardrail(source.view(), 'alpha');

      let key: Key | undefined;
      const refused = await writeThenSee(
        async () => {
          key = await harness.putRejected('broken');
        },
        (v) => v.rejected.some((r) => r.key?.kind === key?.kind && r.key?.name === key?.name),
      );
      expect(guardrail(refused, 'alpha')).toBe(alpha);
      const entry = refused.rejected.find((r) => r.key?.name === key?.name);
      expect(entry?.issues.length).toBeGreaterThan(0);

      const fixed = await writeThenSee(
        async () => {
          await harness.remove('broken');
          await harness.put('broken', 'fixed');
        },
        (v) =>
          wordOf(guardrail(v, 'broken')) === 'fixed' && !v.rejected.some((r) => r.key?.name === 'broken'),
      );
      expect(fixed.rejected.some((r) => r.key?.name === 'broken')).toBe(false);
      expect(guardrail(fixed, 'alpha')).toBe(alpha);
    });

    test('writes to one object are seen in order: no view goes back to older content', async () => {
      const { harness, views, until } = await started({ alpha: 'w0' });
      await until((v) => guardrail(v, 'alpha') !== undefined);
      const words = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
      for (const w of words) await harness.put('alpha', w);
      await until((v) => wordOf(guardrail(v, 'alpha')) === 'w6');
      const seen = views.map((v) => wordOf(guardrail(v, 'alpha'))).filter((w) => w !== undefined);
      const order = seen.map((w) => ['w0', ...words].indexOf(w as string));
      expect(order.every((n, i) => i === 0 || n >= (order[i - 1] as number))).toBe(true);
      expect(seen.at(-1)).toBe('w6');
    });

    test('view() is stable between changes and never throws', async () => {
      const { source, until } = await started({ alpha: 'a1', beta: 'b1' });
      await until((v) => guardrail(v, 'beta') !== undefined);
      const first = source.view();
      const second = source.view();
      expect(second.resources.length).toBe(first.resources.length);
      second.resources.forEach((r, i) => {
        expect(r).toBe(first.resources[i]);
      });
    });

    test('an unreadable document never makes an object vanish; reading it again recovers', async (ctx) => {
      const { harness, source, until, writeThenSee } = await started({ alpha: 'a1', beta: 'b1' });
      const putUnreadable = harness.putUnreadable;
      if (typeof putUnreadable !== 'function') {
        // The backend cannot hold an unreadable document: what is checked is that it refuses one.
        await putUnreadable.refused('beta');
        return ctx.skip(putUnreadable.impossible);
      }
      await until((v) => guardrail(v, 'beta') !== undefined);
      const before = source.view();
      const unreadable = await writeThenSee(
        () => putUnreadable('beta'),
        (v) => v.rejected.length > 0,
      );
      // Each object is still there at its last content, or rejected under its own key.
      for (const name of ['alpha', 'beta']) {
        const kept = guardrail(unreadable, name) === guardrail(before, name);
        const named = unreadable.rejected.some((r) => r.key?.name === name);
        expect(kept || named, name).toBe(true);
      }
      const fixed = await writeThenSee(
        () => harness.put('beta', 'b2'),
        (v) => wordOf(guardrail(v, 'beta')) === 'b2' && v.rejected.length === 0,
      );
      expect(wordOf(guardrail(fixed, 'alpha'))).toBe('a1');
    });

    // A folder is always there; only backends that can be cut off run this case.
    if (o.outage) {
      test('losing the backend keeps the last view and says so; recovery catches up', async () => {
        const { harness, source, until, writeThenSee } = await started({ alpha: 'a1' });
        const outage = harness.outage;
        if (!outage)
          throw new Error('the harness must provide outage when the contract is run with outage: true');
        await until((v) => guardrail(v, 'alpha') !== undefined);
        await outage.interrupt();
        await eventually(async () => source.trouble(), timeoutMs);
        expect(wordOf(guardrail(source.view(), 'alpha'))).toBe('a1');
        await harness.put('during', 'd1');
        await writeThenSee(
          () => outage.resume(),
          (v) => wordOf(guardrail(v, 'during')) === 'd1',
        );
        await eventually(async () => (source.trouble() === undefined ? true : undefined), timeoutMs);
        expect(wordOf(guardrail(source.view(), 'alpha'))).toBe('a1');
      });
    }
  });
}
