export {
  CLI_KINDS,
  type ExtraDocument,
  type LoadedFile,
  listResourceFiles,
  loadTree,
  resourcesFromText,
} from './load-tree.ts';
export { type ReadDocument, type ReadIssue, readDocuments } from './read-documents.ts';
