import type { Express } from 'express';
import { registerOpenApiRoute } from '../openapi.ts';
import type { ServerDeps } from '../server.ts';
import { registerAttachmentRoutes } from './attachments.ts';
import { registerPipelineRoutes } from './pipeline.ts';
import { registerPolicyCrudRoutes } from './policies.ts';
import { registerResolveRoutes } from './resolve.ts';

/**
 * Registers every management route. Order matters: the named `/policies/...` routes come before
 * `/policies/{policy_id}` (registered last, by `registerPolicyCrudRoutes`, after its own named ones).
 */
export function registerPolicyRoutes(api: Express, deps: ServerDeps): void {
  registerResolveRoutes(api, deps);
  registerPipelineRoutes(api, deps);
  registerAttachmentRoutes(api, deps);
  registerPolicyCrudRoutes(api, deps);
  registerOpenApiRoute(api);
}
