export {
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
  readDocuments,
  YAML_LIMITS,
  type YamlLimits,
} from './read-documents.ts';
