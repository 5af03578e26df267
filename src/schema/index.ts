export { API_VERSION, DEFAULTS, toDocument } from './convert.ts';
export { type CelRule, type Crd, crds, type SchemaNode, schemaValidator } from './crds.ts';
export { childPath, DNS_SUBDOMAIN, fieldPath, validateDocument } from './validate-document.ts';
