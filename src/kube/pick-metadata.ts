import type { V1ObjectMeta } from '@kubernetes/client-node';

/**
 * The given fields of an object's metadata, those that are set: what an informer's `transform`
 * keeps of an object so its cache holds only what Railyard reads. Pure.
 */
export function pickMetadata<K extends keyof V1ObjectMeta>(
  metadata: V1ObjectMeta | undefined,
  fields: readonly K[],
): Pick<V1ObjectMeta, K> {
  const picked: Partial<V1ObjectMeta> = {};
  for (const f of fields) if (metadata?.[f] !== undefined) picked[f] = metadata[f];
  return picked as Pick<V1ObjectMeta, K>;
}
