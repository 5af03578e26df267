export { Authenticator, type Principal, type Role, type TokenVerifier } from './auth.ts';
export {
  createEnforcement,
  ENFORCE_DEFAULTS,
  type EnforceDeps,
  type Enforcement,
  type EnforceOptions,
  LITELLM_PATH,
  NAMESPACE_HEADER,
} from './enforce-routes.ts';
export { HttpError } from './errors.ts';
export { createFastRouteServer, createHttpServer, type ServerDeps } from './server.ts';
export { loadTokens } from './tokens.ts';
export {
  fromWireContext,
  toWireExplanation,
  toWirePipelineResult,
  toWireResolution,
  validatePipeline,
} from './wire/index.ts';
