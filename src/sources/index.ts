export { DirectorySource, type DirectorySourceOptions } from './directory/index.ts';
export type { Source, SourceTrouble } from './source.ts';
