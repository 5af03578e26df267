export { Authenticator, CLUSTER_ROLE_GRANTS, type TokenVerifier } from './auth.ts';
export {
  createEnforcement,
  type EnforceOptions,
  LITELLM_PATH,
} from './enforce-routes.ts';
export { HttpError } from './errors.ts';
export { createFastRouteServer, createHttpServer } from './server.ts';
export { loadTokens } from './tokens.ts';
export {
  fromWireContext,
  toWireExplanation,
  toWirePipelineResult,
  toWireResolution,
  validatePipeline,
  type WireShadowReport,
} from './wire/index.ts';
