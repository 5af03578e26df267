export {
  type DeclaredInput,
  type DeclaredState,
  emptyDeclaredState,
  historyKey,
  type PassOptions,
  type ReconcileChange,
  reconcileDeclared,
} from './declared.ts';
export { type Handler, type Outcome, retryDelay, WorkQueue } from './queue.ts';
export {
  type ConditionType,
  condition,
  isReady,
  type ObjectStatus,
  type PolicyStatusDetail,
  renderIssue,
  type StatusCondition,
} from './status.ts';
