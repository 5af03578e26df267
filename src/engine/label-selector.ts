/**
 * Kubernetes label selectors (`metav1.LabelSelector`), as the API server reads them: every
 * `matchLabels` pair and every `matchExpressions` requirement must hold; an empty selector matches
 * everything. Pure.
 */
import type { LabelSelector, Labels } from './types.ts';

/** Whether `labels` satisfy `selector` (Kubernetes semantics; `NotIn` and `DoesNotExist` hold for an absent key). */
export function matchesLabelSelector(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** True when the selector reads labels at all: an empty one matches every namespace without them. */
export function selectorNeedsLabels(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels).length > 0 || selector.matchExpressions.length > 0;
}
