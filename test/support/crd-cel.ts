/**
 * The CRDs' CEL rules (`x-kubernetes-validations`) outside an API server: each rule evaluated with
 * a real CEL implementation (@bufbuild/cel) on a value shaped the way the API server gives it to
 * CEL, and a static check that stands in for what the API server does when the CRD is created —
 * compiling each rule against the declarations it derives from the schema (only declared, typed
 * fields exist for CEL) and estimating its cost (every string and list a rule reaches must have a
 * `maxLength` or an `enum`, or a `maxItems`).
 */
import { type CelInput, isCelError, parse, run } from '@bufbuild/cel';
import type { CelRule, SchemaNode } from '../../src/schema/index.ts';

/** One rule and where it sits: `spec`, `spec.pipeline.steps[]`, … (`[]`: every item of a list). */
export type LocatedRule = { readonly path: string; readonly node: SchemaNode; readonly rule: CelRule };

/** Every rule of a schema, in schema order, with the path and node that carry it. */
export function celRules(node: SchemaNode, path = ''): LocatedRule[] {
  return [
    ...(node['x-kubernetes-validations'] ?? []).map((rule) => ({ path, node, rule })),
    ...Object.entries(node.properties ?? {}).flatMap(([name, child]) =>
      celRules(child, path === '' ? name : `${path}.${name}`),
    ),
    ...(node.items === undefined ? [] : celRules(node.items, `${path}[]`)),
  ];
}

/** The values a rule at `path` sees in `doc`: none when the field is absent (the rule does not run). */
export function valuesAt(doc: unknown, path: string): unknown[] {
  let values: unknown[] = [doc];
  for (const segment of path.split('.').filter((s) => s !== '')) {
    const list = segment.endsWith('[]');
    const name = list ? segment.slice(0, -2) : segment;
    values = values.flatMap((v) => {
      const child = isObject(v) ? v[name] : undefined;
      if (child === undefined || child === null) return [];
      if (!list) return [child];
      return Array.isArray(child) ? child : [];
    });
  }
  return values;
}

/**
 * `value` as the API server hands it to CEL under `node`: integers are CEL `int` (bigint), other
 * numbers `double`, objects maps, lists lists. Under `x-kubernetes-preserve-unknown-fields`
 * (undeclared fields) a whole JSON number is an `int`, as in the API server's unstructured JSON.
 */
export function toCel(value: unknown, node: SchemaNode | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => toCel(v, node?.items));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v, node?.properties?.[k])]));
  }
  if (typeof value === 'number') {
    const integer = node?.type === 'integer' || (node?.type === undefined && Number.isInteger(value));
    return integer ? BigInt(value) : value;
  }
  return value;
}

/** The verdict of one rule on one value: true (passes), false (fails), or the evaluation error. */
export function evaluate(rule: string, self: unknown): boolean | string {
  const result = run(rule, { self: self as CelInput });
  if (isCelError(result)) return `evaluation error: ${result.message}`;
  if (typeof result !== 'boolean') return `evaluation error: the rule gave ${String(result)}, not a bool`;
  return result;
}

/** What the API server would refuse about a rule when the CRD is created, as `path: problem`. */
export function ruleProblems(located: LocatedRule): string[] {
  const { path, node, rule } = located;
  const where = path === '' ? '<root>' : path;
  if (!hasCelType(node)) {
    return [`${where}: a rule on a node without a type (the API server cannot declare self)`];
  }
  let ast: ReturnType<typeof parse>;
  try {
    ast = parse(rule.rule);
  } catch (e) {
    return [`${where}: does not parse: ${(e as Error).message}`];
  }
  const walk = new Walk();
  // oldSelf: the value before an update, declared like self for transition rules.
  const self = { node, path: where };
  walk.expr(
    ast.expr,
    new Map([
      ['self', self],
      ['oldSelf', self],
    ]),
  );
  for (const reached of walk.reached) walk.problems.push(...boundProblems(reached));
  return [...new Set(walk.problems)];
}

/** Keys of a `x-kubernetes-validations` entry that Kubernetes 1.25 knows. */
export const RULE_KEYS_1_25 = ['rule', 'message'] as const;

type Typed = { readonly node: SchemaNode; readonly path: string };
type Expr = ReturnType<typeof parse>['expr'];
type Scope = ReadonlyMap<string, Typed | undefined>;

/** CEL type names a rule may use as values (`type(x) == string`). */
const TYPE_NAMES = new Set([
  'bool',
  'bytes',
  'double',
  'dyn',
  'int',
  'list',
  'map',
  'null_type',
  'string',
  'type',
  'uint',
]);

/**
 * A walk of the parsed rule that gives each sub-expression the schema node it reads, if any, the
 * way the API server's compiler types `self` and its fields from the structural schema.
 */
class Walk {
  readonly problems: string[] = [];
  /** Every schema node the rule reads. */
  readonly reached: Typed[] = [];

  expr(e: Expr | undefined, scope: Scope): Typed | undefined {
    const kind = e?.exprKind;
    switch (kind?.case) {
      case 'identExpr': {
        const name = kind.value.name;
        if (scope.has(name)) return this.reach(scope.get(name));
        if (!TYPE_NAMES.has(name)) this.problems.push(`undeclared reference to '${name}'`);
        return undefined;
      }
      case 'selectExpr': {
        const operand = this.expr(kind.value.operand, scope);
        return operand === undefined ? undefined : this.reach(this.field(operand, kind.value.field));
      }
      case 'callExpr': {
        const target = this.expr(kind.value.target, scope);
        const args = kind.value.args.map((a) => this.expr(a, scope));
        if (kind.value.function === '_[_]' && target === undefined) return this.index(args[0]);
        return undefined;
      }
      case 'listExpr':
        for (const element of kind.value.elements) this.expr(element, scope);
        return undefined;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') this.expr(entry.keyKind.value, scope);
          this.expr(entry.value, scope);
        }
        return undefined;
      case 'comprehensionExpr': {
        const c = kind.value;
        const range = this.expr(c.iterRange, scope);
        this.expr(c.accuInit, scope);
        const inner = new Map(scope);
        inner.set(c.iterVar, range === undefined ? undefined : this.element(range));
        if (c.iterVar2 !== '') inner.set(c.iterVar2, undefined);
        inner.set(c.accuVar, undefined);
        this.expr(c.loopCondition, inner);
        this.expr(c.loopStep, inner);
        this.expr(c.result, new Map([...scope, [c.accuVar, undefined]]));
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private reach(t: Typed | undefined): Typed | undefined {
    if (t !== undefined) this.reached.push(t);
    return t;
  }

  /** `operand.name` (or `has(operand.name)`): a declared, typed property, or a problem. */
  private field(operand: Typed, name: string): Typed | undefined {
    const path = `${operand.path}.${name}`;
    const child = operand.node.properties?.[name];
    if (operand.node.type === 'object' && child !== undefined) {
      if (hasCelType(child)) return { node: child, path };
      this.problems.push(`${path}: has no type, so CEL cannot read it (unable to declare it)`);
      return undefined;
    }
    this.problems.push(
      `${operand.path}: undefined field '${name}' (only declared, typed fields exist for CEL)`,
    );
    return undefined;
  }

  /** The element a comprehension over `range` binds: a list's item, a map's key (a string). */
  private element(range: Typed): Typed | undefined {
    return range.node.type === 'array' && range.node.items !== undefined
      ? { node: range.node.items, path: `${range.path}[]` }
      : undefined;
  }

  private index(list: Typed | undefined): Typed | undefined {
    return list === undefined ? undefined : this.reach(this.element(list));
  }
}

function hasCelType(node: SchemaNode): boolean {
  return node.type !== undefined || node['x-kubernetes-int-or-string'] === true;
}

/**
 * The cost estimator's inputs: a string the rule reads needs a `maxLength` (or an `enum`, whose
 * longest value bounds it), a list a `maxItems`, and the items of such a list count as read.
 */
function boundProblems(t: Typed): string[] {
  const { node, path } = t;
  if (node.type === 'string' && node.maxLength === undefined && node.enum === undefined) {
    return [`${path}: a string a rule reads needs maxLength (or enum) for the cost estimate`];
  }
  if (node.type === 'array') {
    const own =
      node.maxItems === undefined
        ? [`${path}: a list a rule reads needs maxItems for the cost estimate`]
        : [];
    return node.items === undefined
      ? own
      : [...own, ...boundProblems({ node: node.items, path: `${path}[]` })];
  }
  return [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
