export { toDocument } from './convert.ts';
export { type CelRule, crds, type SchemaNode, schemaValidator } from './crds.ts';
export { childPath, DNS_SUBDOMAIN, fieldPath, validateDocument } from './validate-document.ts';
