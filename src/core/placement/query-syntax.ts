import { Fault } from '../fault.js';

/**
 * The ECS cluster query language's syntax tree and vocabulary (the language of `memberOf`
 * placement constraints and ListContainerInstances' `filter`):
 *
 *   subject operator [argument]       e.g. attribute:ecs.instance-type =~ t2.*
 *
 * joined with `and`/`&&`, `or`/`||`, `not`/`!` and parentheses. The parser (query-parser.ts) builds
 * this tree, the evaluator (query-eval.ts) runs it against an instance. Plain readonly data: a
 * tree can be stored, compared and printed back (`formatQuery`).
 */

/** ECS's PlacementConstraint.expression limit. */
export const MAX_QUERY_LENGTH = 2000;
/** ECS's limit on attribute names (container-instance attribute rules). */
export const MAX_ATTRIBUTE_NAME_LENGTH = 128;

export type QueryField =
  | 'attribute'
  | 'task:group'
  | 'agentConnected'
  | 'agentVersion'
  | 'ec2InstanceId'
  | 'registeredAt'
  | 'runningTasksCount';

/** Operators by their word names; each also has a symbol form (`OPERATOR_SYMBOLS`) except `exists`/`in`. */
export type QueryOperator =
  | 'equals'
  | 'not_equals'
  | 'greater_than'
  | 'greater_than_equal'
  | 'less_than'
  | 'less_than_equal'
  | 'exists'
  | 'not_exists'
  | 'in'
  | 'not_in'
  | 'matches'
  | 'not_matches';

export const OPERATOR_SYMBOLS: Readonly<Record<QueryOperator, string>> = {
  equals: '==',
  not_equals: '!=',
  greater_than: '>',
  greater_than_equal: '>=',
  less_than: '<',
  less_than_equal: '<=',
  exists: 'exists',
  not_exists: '!exists',
  in: 'in',
  not_in: '!in',
  matches: '=~',
  not_matches: '!~',
};

export const ALL_OPERATORS = Object.keys(OPERATOR_SYMBOLS) as QueryOperator[];

const EQUALITY: readonly QueryOperator[] = ['equals', 'not_equals'];
const ORDER: readonly QueryOperator[] = [
  'greater_than',
  'greater_than_equal',
  'less_than',
  'less_than_equal',
];
const LISTS_AND_PATTERNS: readonly QueryOperator[] = ['in', 'not_in', 'matches', 'not_matches'];
const EXISTENCE: readonly QueryOperator[] = ['exists', 'not_exists'];

/**
 * The operators each subject takes. The built-in fields' lists are ECS's documented "Valid
 * operators"; ECS lists none for `attribute:` (all apply) or `task:group` (Berth takes every
 * operator but the orderings, which mean nothing for group names).
 */
export const FIELD_OPERATORS: Readonly<Record<QueryField, readonly QueryOperator[]>> = {
  attribute: ALL_OPERATORS,
  'task:group': [...EQUALITY, ...LISTS_AND_PATTERNS, ...EXISTENCE],
  agentConnected: [...EQUALITY, ...LISTS_AND_PATTERNS],
  ec2InstanceId: [...EQUALITY, ...LISTS_AND_PATTERNS],
  agentVersion: [...EQUALITY, ...ORDER],
  registeredAt: [...EQUALITY, ...ORDER],
  runningTasksCount: [...EQUALITY, ...ORDER],
};

/** The subjects that are one fixed word (everything but `attribute:<name>`). */
export const FIXED_FIELDS: readonly QueryField[] = [
  'task:group',
  'agentConnected',
  'agentVersion',
  'ec2InstanceId',
  'registeredAt',
  'runningTasksCount',
];

export const SUBJECT_LIST =
  'attribute:<name>, task:group, agentConnected, agentVersion, ec2InstanceId, registeredAt or runningTasksCount';

/** A value as written (quotes removed), and where it starts in the expression. */
export interface QueryValue {
  readonly text: string;
  readonly position: number;
}

export interface QueryComparison {
  readonly kind: 'compare';
  readonly field: QueryField;
  /** The attribute's name, for `attribute:<name>` only. */
  readonly attribute?: string;
  readonly operator: QueryOperator;
  /** None for exists/!exists, one or more for in/!in, exactly one otherwise. */
  readonly values: readonly QueryValue[];
  /** Where the subject starts. */
  readonly position: number;
}

export interface QueryJunction {
  readonly kind: 'and' | 'or';
  /** Two or more. */
  readonly operands: readonly QueryNode[];
  readonly position: number;
}

export interface QueryNegation {
  readonly kind: 'not';
  readonly operand: QueryNode;
  readonly position: number;
}

export type QueryNode = QueryComparison | QueryJunction | QueryNegation;

/**
 * An expression ECS would refuse: an InvalidParameterException whose message says what was
 * expected and where. `position` is the 0-based index of the offending character (the length of
 * the expression when something is missing at its end); messages count characters from 1, as a
 * reader does ("at character 1" is the first character).
 */
export class QuerySyntaxError extends Fault {
  constructor(
    readonly detail: string,
    readonly position: number,
  ) {
    super('InvalidParameterException', `Invalid query expression: ${detail}`);
  }
}

/** "at character N" for a 0-based position. */
export const at = (position: number): string => `at character ${position + 1}`;

// ---------------------------------------------------------------------------------------------
// Typed arguments, shared by the parser (to refuse bad ones) and the evaluator (to compare).

/**
 * ECS's registeredAt formats: 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z,
 * 2018-06-18T22:28:28 (UTC) and 2018-06-18. The value names an interval — a whole day or a whole
 * second — so `registeredAt == 2018-06-18` holds all day long: [start, end) in epoch ms.
 */
export function parseQueryDate(text: string): { readonly start: number; readonly end: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(Z|([+-])(\d{2}):(\d{2}))?)?$/.exec(text);
  if (!m) return undefined;
  const part = (k: number): number => Number(m[k] ?? 0);
  const [year, month, day, hour, minute, second] = [part(1), part(2), part(3), part(4), part(5), part(6)];
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(base);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return undefined;
  let offset = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[8] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const start = base - offset;
  return { start, end: start + (m[4] === undefined ? 86_400_000 : 1000) };
}

/** An agent version's numeric parts: `1.14.5` → [1, 14, 5]; a suffix (`-beta`, ` (abc)`) is ignored. */
export function parseVersion(text: string, strict: boolean): number[] | undefined {
  const m = (strict ? /^(\d+(?:\.\d+)*)$/ : /^v?(\d+(?:\.\d+)*)/).exec(text.trim());
  return m?.[1] === undefined ? undefined : m[1].split('.').map(Number);
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `=~` patterns match the whole value, as Java's `String.matches` does (`t2.*` is "t2" then anything). */
export function compilePattern(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/**
 * A quantified group that itself holds a quantifier — `(a+)+`, `(x*)*`, `(\d+){2,}` — can take
 * exponential time to fail; the control plane evaluates patterns for every instance, so such
 * patterns are refused. Returns the 0-based offset of the outer quantifier, or -1.
 */
export function nestedQuantifier(source: string): number {
  const groups: boolean[] = [];
  let inner = false; // a quantifier seen in the innermost open group (or at top level)
  for (let k = 0; k < source.length; k++) {
    const c = source[k];
    if (c === '\\') {
      k++;
    } else if (c === '[') {
      for (k++; k < source.length && source[k] !== ']'; k++) if (source[k] === '\\') k++;
    } else if (c === '(') {
      groups.push(inner);
      inner = false;
    } else if (c === ')') {
      const quantified = /^[*+{]/.test(source.slice(k + 1));
      if (quantified && inner) return k + 1;
      inner = (groups.pop() ?? false) || inner || quantified;
    } else if (c === '*' || c === '+' || c === '{') {
      inner = true;
    }
  }
  return -1;
}

/** Refuses a value its subject cannot be compared with. */
export function checkQueryValue(field: QueryField, operator: QueryOperator, value: QueryValue): void {
  const fail = (what: string): never => {
    throw new QuerySyntaxError(`'${value.text}' ${at(value.position)} ${what}`, value.position);
  };
  if (operator === 'matches' || operator === 'not_matches') {
    const nested = nestedQuantifier(value.text);
    if (nested >= 0) {
      const p = value.position + nested;
      throw new QuerySyntaxError(
        `the pattern '${value.text}' repeats a group that repeats ${at(p)}; patterns like (a+)+ are not allowed`,
        p,
      );
    }
    try {
      compilePattern(value.text);
    } catch (e) {
      fail(`is not a valid pattern: ${(e as Error).message}`);
    }
    return;
  }
  switch (field) {
    case 'runningTasksCount':
      if (!/^\d+$/.test(value.text)) fail('is not a whole number; runningTasksCount compares with one');
      return;
    case 'agentVersion':
      if (!parseVersion(value.text, true))
        fail('is not a version; agentVersion compares with one like 1.14.5');
      return;
    case 'registeredAt':
      if (!parseQueryDate(value.text)) {
        fail(
          'is not a date; registeredAt compares with 2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00',
        );
      }
      return;
    case 'agentConnected':
      if (!/^(true|false)$/i.test(value.text))
        fail('is neither true nor false; agentConnected is one of them');
      return;
    case 'attribute':
    case 'task:group':
    case 'ec2InstanceId':
      return;
  }
}

/**
 * The expression for a tree, in canonical form (symbol operators, lower-case joins, parentheses
 * only where precedence needs them): `parseQuery(formatQuery(t))` gives `t` back, positions aside.
 */
export function formatQuery(node: QueryNode): string {
  switch (node.kind) {
    case 'compare': {
      const subject = node.field === 'attribute' ? `attribute:${node.attribute ?? ''}` : node.field;
      const op = OPERATOR_SYMBOLS[node.operator];
      if (node.operator === 'in' || node.operator === 'not_in') {
        return `${subject} ${op} [${node.values.map((v) => quoteValue(v.text)).join(', ')}]`;
      }
      const value = node.values[0];
      return value === undefined ? `${subject} ${op}` : `${subject} ${op} ${quoteValue(value.text)}`;
    }
    case 'not':
      return `not(${formatQuery(node.operand)})`;
    case 'and':
    case 'or':
      return node.operands
        .map((o) =>
          o.kind === 'or' || (o.kind === 'and' && node.kind === 'and')
            ? `(${formatQuery(o)})`
            : formatQuery(o),
        )
        .join(` ${node.kind} `);
  }
}

function quoteValue(text: string): string {
  if (!/[\s()[\],'"]/.test(text) && !text.includes('&&') && !text.includes('||')) return text;
  return text.includes("'") ? `"${text}"` : `'${text}'`;
}
