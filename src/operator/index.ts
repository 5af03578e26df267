export { Operator, type OperatorConfig } from './operator.ts';
