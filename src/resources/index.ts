export {
  CLI_KINDS,
  type ExtraDocument,
  type LoadedFile,
  listResourceFiles,
  loadTree,
  resourcesFromText,
  specialFileIssue,
  unreadFile,
} from './load-tree.ts';
export {
  oversizeIssue,
  type ReadDocument,
  type ReadIssue,
  readDocuments,
  YAML_LIMIT_FLAGS,
  YAML_LIMITS,
  type YamlLimits,
} from './read-documents.ts';
