export { Authenticator, loadTokens, type Principal, type Role } from './auth.ts';
export { HttpError } from './errors.ts';
export { createHttpServer, type ServerDeps } from './server.ts';
