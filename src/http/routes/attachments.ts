/**
 * LiteLLM's attachment routes. `/policies/attachments/list` is registered before
 * `/policies/attachments/{attachment_id}`, and all of them before `/policies/{policy_id}`.
 */
import type { Express, Request } from 'express';
import { type AttachmentInput, estimateAttachmentImpact, policyApi } from '../../registry/index.ts';
import type { ServerDeps } from '../server.ts';
import {
  ATTACHMENT_CHECKED_LATER,
  bodyParser,
  POLICY_ATTACHMENT_CREATE_REQUEST,
  toWireAttachment,
  toWireImpact,
} from '../wire/index.ts';
import { queryParam, readView, valueOrThrow, writeScope } from './policies.ts';

const parseAttachment = bodyParser(POLICY_ATTACHMENT_CREATE_REQUEST, ATTACHMENT_CHECKED_LATER);

function attachmentInput(body: ReturnType<typeof parseAttachment>): AttachmentInput {
  return {
    policy: body.policy_name,
    ...(body.scope ? { scope: body.scope } : {}),
    teams: body.teams ?? [],
    keys: body.keys ?? [],
    models: body.models ?? [],
    tags: body.tags ?? [],
    ...(typeof body.priority === 'number' ? { priority: body.priority } : {}),
  };
}

export function registerAttachmentRoutes(api: Express, deps: ServerDeps): void {
  const ns = (req: Request) => queryParam(req, 'namespace');

  api.get('/policies/attachments/list', (req, res) => {
    const attachments = policyApi.listAttachments(readView(deps, ns(req))).map(toWireAttachment);
    res.json({ attachments, total_count: attachments.length });
  });

  api.post('/policies/attachments', async (req, res) => {
    const created = await policyApi.createAttachment(
      writeScope(deps, res, ns(req)),
      attachmentInput(parseAttachment(req.body ?? {})),
    );
    res.json(toWireAttachment(valueOrThrow(created)));
  });

  api.post('/policies/attachments/estimate-impact', (req, res) => {
    const input = attachmentInput(parseAttachment(req.body ?? {}));
    const view = readView(deps, ns(req));
    const namespace = view?.namespace ?? ns(req) ?? deps.defaultNamespace;
    res.json(toWireImpact(estimateAttachmentImpact(view, namespace, input)));
  });

  api.get('/policies/attachments/:attachment_id', (req, res) => {
    const found = policyApi.getAttachment(readView(deps, ns(req)), req.params.attachment_id);
    res.json(toWireAttachment(valueOrThrow(found)));
  });

  api.delete('/policies/attachments/:attachment_id', async (req, res) => {
    const id = req.params.attachment_id;
    valueOrThrow(await policyApi.deleteAttachment(writeScope(deps, res, ns(req)), id));
    res.json({ message: `Attachment ${id} deleted successfully` });
  });
}
