import type { Origin } from './types.ts';

/** Where an object is defined, for messages: `policies/a.yaml:3`, `Kubernetes object ns/name`. */
export function describeOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'file':
      return `${origin.path}:${origin.line}`;
    case 'kubernetes':
      return origin.namespace === ''
        ? `Kubernetes object ${origin.name}`
        : `Kubernetes object ${origin.namespace}/${origin.name}`;
    case 'api':
      return 'the HTTP API';
  }
}
