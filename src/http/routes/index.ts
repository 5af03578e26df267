import type { Express } from 'express';
import type { ServerDeps } from '../server.ts';
import { registerResolveRoutes } from './resolve.ts';

export function registerPolicyRoutes(api: Express, deps: ServerDeps): void {
  registerResolveRoutes(api, deps);
}
