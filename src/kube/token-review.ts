/**
 * ServiceAccount (and any cluster) tokens for the HTTP API, as kube-rbac-proxy checks them: a
 * TokenReview says who the token is, SubjectAccessReviews say what RBAC lets it do. Each role is
 * granted by one verb on `policies.railyard.dev` (the caller's table, e.g. reader = `get`), so
 * access is granted with an ordinary (Cluster)RoleBinding. Railyard's own ServiceAccount needs
 * `create` on `tokenreviews` and `subjectaccessreviews` (manifests/rbac.yaml). With `audiences`, a
 * token must also have been issued for one of them (`kubectl create token <sa> --audience railyard`).
 */
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER, kubeError } from './client.ts';

/** A role, and the verb on `policies.railyard.dev` that grants it. */
type RoleGrant<R extends string> = { readonly role: R; readonly verb: string };

export type TokenReviewOptions<R extends string> = {
  readonly grants: readonly RoleGrant<R>[];
  /**
   * Audiences a token must be issued for, as client-go's webhook token authenticator checks them:
   * when set, the TokenReview carries them as `spec.audiences`, and a token is accepted only when
   * the review is authenticated and its `status.audiences` include one of them. Empty: no
   * audiences are asked for (the API server checks its own).
   */
  readonly audiences: readonly string[];
};

/** Who a token is, and the roles RBAC grants it; undefined for a token the API server refuses. */
export function tokenReviewVerifier<R extends string>(
  kc: KubeConfig,
  o: TokenReviewOptions<R>,
): (token: string) => Promise<{ name: string; roles: R[] } | undefined> {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const audiences = [...o.audiences];
  return async (token) => {
    const review = await authn
      .createTokenReview({
        fieldManager: FIELD_MANAGER,
        body: { spec: { token, ...(audiences.length > 0 ? { audiences } : {}) } },
      })
      .catch(failed);
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) return undefined;
    if (audiences.length > 0 && !review.status.audiences?.some((a) => audiences.includes(a)))
      return undefined;
    const allowed = await Promise.all(
      o.grants.map(async ({ verb }) => {
        const sar = await authz
          .createSubjectAccessReview({
            fieldManager: FIELD_MANAGER,
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
    return { name: user.username, roles: o.grants.filter((_, i) => allowed[i]).map((a) => a.role) };
  };
}

/** A failed review call as an error naming the API's answer. */
function failed(e: unknown): never {
  const err = kubeError(e);
  throw new Error(`${err.code}${err.reason ? ` ${err.reason}` : ''}: ${err.message}`);
}
