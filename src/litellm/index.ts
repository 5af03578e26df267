export {
  type ImportNote,
  type ImportOptions,
  type ImportResult,
  importLitellmConfig,
  LITELLM_BUILT_INS,
} from './import.ts';
