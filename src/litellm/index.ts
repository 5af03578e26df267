export { importLitellmConfig } from './import.ts';
