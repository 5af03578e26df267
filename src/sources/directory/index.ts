export { DirectorySource, type DirectorySourceOptions, type DirectoryView } from './directory-source.ts';
