import type { Express } from 'express';
import type { ServerDeps } from '../server.ts';
import { openApiDocument } from '../wire/index.ts';
import { registerAttachmentRoutes } from './attachments.ts';
import { registerLitellmPolicyRoutes } from './litellm-policy.ts';
import { registerPipelineRoutes } from './pipeline.ts';
import { registerPolicyCrudRoutes } from './policies.ts';
import { registerResolveRoutes } from './resolve.ts';
import { registerShadowRoutes } from './shadow.ts';
import { registerUsageRoutes } from './usage.ts';

/**
 * Registers every management route. Order matters: the named `/policies/...` routes come before
 * `/policies/{policy_id}` (registered last, by `registerPolicyCrudRoutes`, after its own named ones).
 */
export function registerPolicyRoutes(api: Express, deps: ServerDeps): void {
  registerResolveRoutes(api, deps);
  registerPipelineRoutes(api, deps);
  registerAttachmentRoutes(api, deps);
  registerLitellmPolicyRoutes(api, deps);
  registerUsageRoutes(api, deps);
  registerShadowRoutes(api, deps);
  registerPolicyCrudRoutes(api, deps);
  const document = openApiDocument();
  api.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
}
