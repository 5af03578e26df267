/**
 * ServiceAccount (and any cluster) tokens for the HTTP API, as kube-rbac-proxy checks them: a
 * TokenReview says who the token is, SubjectAccessReviews say what RBAC lets it do. Reader means
 * `get` on `policies.railyard.dev`, admin means `create` there, so access is granted with an
 * ordinary (Cluster)RoleBinding. Railyard's own ServiceAccount needs `create` on `tokenreviews`
 * and `subjectaccessreviews` (manifests/rbac.yaml).
 */
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Role, TokenVerifier } from '../http/index.ts';
import { kubeError } from './client.ts';

const ACCESS: readonly { readonly role: Role; readonly verb: string }[] = [
  { role: 'reader', verb: 'get' },
  { role: 'admin', verb: 'create' },
];

export function tokenReviewVerifier(kc: KubeConfig): TokenVerifier {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return async (token) => {
    const review = await authn.createTokenReview({ body: { spec: { token } } }).catch(failed);
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) return undefined;
    const allowed = await Promise.all(
      ACCESS.map(async ({ verb }) => {
        const sar = await authz
          .createSubjectAccessReview({
            body: {
              spec: {
                user: user.username,
                ...(user.groups ? { groups: user.groups } : {}),
                ...(user.uid ? { uid: user.uid } : {}),
                ...(user.extra ? { extra: user.extra } : {}),
                resourceAttributes: { group: 'railyard.dev', resource: 'policies', verb },
              },
            },
          })
          .catch(failed);
        return sar.status?.allowed === true;
      }),
    );
    return { name: user.username, roles: ACCESS.filter((_, i) => allowed[i]).map((a) => a.role) };
  };
}

/** A failed review call as an error naming the API's answer. */
function failed(e: unknown): never {
  const err = kubeError(e);
  throw new Error(`${err.code}${err.reason ? ` ${err.reason}` : ''}: ${err.message}`);
}
