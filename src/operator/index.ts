export { EventRecorder, type EventSpec, statusEvents, versionEvents } from './events.ts';
export { LEASE_NAME, Operator, type OperatorConfig, operatorConfig, podNamespace } from './operator.ts';
export { desiredStatus, StatusWriter, statusPatch } from './status-writer.ts';
