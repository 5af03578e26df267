/** What `railyard diff` found, in the shape every output format renders. */
import type { ContextImpact } from '../../engine/index.ts';
import type { ObjectChange } from './diff-objects.ts';
import type { StageChange } from './diff-versions.ts';

export const DIFF_FORMATS = ['text', 'json', 'markdown'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

/** An object the head side declares but the reconcile refused: the base version keeps serving. */
type InvalidObject = {
  readonly object: string;
  readonly at: string;
  readonly issues: readonly string[];
};

export type DiffReport = {
  readonly base: string;
  readonly head: string;
  readonly objects: readonly (ObjectChange & { readonly at: string })[];
  readonly versions: readonly StageChange[];
  readonly blastRadius: readonly ContextImpact[];
  readonly invalid: readonly InvalidObject[];
  /** Policies of the head side whose removal of a guardrail a floor makes mandatory has no effect. */
  readonly ignoredRemovals: readonly {
    readonly object: string;
    readonly at: string;
    readonly message: string;
  }[];
  /** Contexts that lose a guardrail named by `--fail-on-removal`. */
  readonly violations: readonly {
    readonly namespace: string;
    readonly context: string;
    readonly guardrail: string;
  }[];
};
