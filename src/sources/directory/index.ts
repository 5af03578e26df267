export { DirectorySource, type DirectorySourceOptions } from './directory-source.ts';
