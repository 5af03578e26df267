/** The attachment writes of LiteLLM's `/policies` management API. */
import {
  type AttachmentRecord,
  type AttachmentSpec,
  describeOrigin,
  historyKey,
  productionVersion,
  type Resource,
  type Result,
  resourceKey,
  validateResources,
} from '../engine/index.ts';
import { fail, ok } from './api-result.ts';
import { unchanged, type WriteScope, write } from './api-write.ts';

/** The attachment fields a client sends; lists default to empty, priority to 0. */
export type AttachmentInput = Omit<AttachmentSpec, 'priority'> & { readonly priority?: number };

/**
 * `POST /policies/attachments`: rejects an attachment without selectors (`unprocessable`, as the
 * reference's body validator) and one whose policy has no production version in the namespace
 * (`not_found`; declared policies count, unlike LiteLLM's DB-only check).
 */
export function createAttachment(
  scope: WriteScope,
  input: AttachmentInput,
): Promise<Result<AttachmentRecord>> {
  return write(scope, (state, env) => {
    const spec: AttachmentSpec = { ...input, priority: input.priority ?? 0 };
    const resource: Resource = {
      kind: 'PolicyAttachment',
      namespace: scope.namespace,
      name: 'new',
      origin: { kind: 'api' },
      spec,
    };
    const errors = (validateResources([resource]).get(resourceKey(resource)) ?? []).filter(
      (i) => i.severity === 'error',
    );
    if (errors.length > 0) {
      return unchanged(
        fail('unprocessable', errors.map((i) => `${i.path}: ${i.message}`).join('; '), errors),
      );
    }
    const history = state.histories.get(historyKey(scope.namespace, spec.policy));
    if (!history?.active || !productionVersion(history)) {
      return unchanged(fail('not_found', `Policy '${spec.policy}' not found. Create the policy first.`));
    }
    const record: AttachmentRecord = {
      attachmentId: env.newId(),
      namespace: scope.namespace,
      spec,
      origin: { kind: 'api' },
      createdAt: env.now,
      updatedAt: env.now,
      createdBy: env.actor,
      updatedBy: env.actor,
    };
    return { attachments: new Map(state.attachments).set(record.attachmentId, record), result: ok(record) };
  });
}

/** `DELETE /policies/attachments/{id}`: API-created ones only; a declared one answers `read_only`. */
export function deleteAttachment(scope: WriteScope, attachmentId: string): Promise<Result<{ id: string }>> {
  return write(scope, (state) => {
    const own = state.attachments.get(attachmentId);
    if (own && own.namespace === scope.namespace) {
      const attachments = new Map(state.attachments);
      attachments.delete(attachmentId);
      return { attachments, result: ok({ id: attachmentId }) };
    }
    const declared = scope.registry
      .snapshot()
      .namespaces.get(scope.namespace)
      ?.attachments.find((a) => a.attachmentId === attachmentId);
    if (declared) {
      return unchanged(
        fail(
          'read_only',
          `Attachment '${attachmentId}' is defined in ${describeOrigin(declared.origin)} and can only be removed there`,
        ),
      );
    }
    return unchanged(fail('not_found', `Attachment with ID ${attachmentId} not found`));
  });
}
