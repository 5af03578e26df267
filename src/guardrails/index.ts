export { CHECK_POOL_DEFAULTS, CheckPool, type CheckPoolOptions } from './check-pool.ts';

export { compileGuardrail, createGuardrailRunner } from './runner.ts';
