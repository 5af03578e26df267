export { type CustomObject, GROUP, KubernetesSource, PLURALS, VERSION } from './kubernetes-source.ts';
