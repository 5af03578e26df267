export * from './blast-radius.ts';
export * from './comma-list.ts';
export * from './compare.ts';
export * from './condition.ts';
export * from './context-limits.ts';
export * from './declared-pass.ts';
export {
  type DeclaredInput,
  type DeclaredState,
  emptyDeclaredState,
  historyKey,
  type PassOptions,
  type ReconcileChange,
} from './declared-state.ts';
export * from './digest.ts';
export * from './duration.ts';
export * from './errors.ts';
export * from './explain.ts';
export * from './floor.ts';
export * from './history-retention.ts';
export * from './index-build.ts';
export * from './index-entries.ts';
export * from './index-lookup.ts';
export * from './index-types.ts';
export * from './inherit.ts';
export * from './label-selector.ts';
export * from './match.ts';
export * from './names.ts';
export * from './origin.ts';
export * from './pipeline.ts';
export * from './resolve.ts';
export * from './resource-key.ts';
export * from './shadow.ts';
export * from './status.ts';
export * from './types.ts';
export * from './validate.ts';
export { CEL_MESSAGES } from './validate-rules.ts';
export * from './versions.ts';
export * from './versions-api.ts';
export * from './versions-declared.ts';
