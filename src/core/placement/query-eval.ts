import { parseQuery } from './query-parser.js';
import {
  compareVersions,
  compilePattern,
  parseQueryDate,
  parseVersion,
  type QueryComparison,
  type QueryNode,
  type QueryOperator,
} from './query-syntax.js';

/**
 * What a cluster query can ask about a container instance. `InstanceSnapshot` is one (its extra
 * fields are optional there), so the placement pipeline evaluates constraints on its snapshot.
 */
export interface QueryInstanceView {
  /** Built-in and custom attributes; a valueless attribute maps to ''. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly agentConnected: boolean;
  /** The container agent's version (`versionInfo.agentVersion`), e.g. "1.14.5". */
  readonly agentVersion?: string;
  readonly ec2InstanceId?: string;
  /** Epoch ms. */
  readonly registeredAt?: number;
  /** Tasks RUNNING on the instance (absent: 0). */
  readonly runningTasksCount?: number;
  /** The groups of the tasks on the instance (`family:x`, `service:y`, custom); absent: none. */
  readonly taskGroups?: readonly string[];
}

export type QueryPredicate = (instance: QueryInstanceView) => boolean;

/**
 * Turns a parsed expression (or its text, parsed first — syntax errors throw) into a predicate.
 * Semantics, per subject:
 *
 * - `attribute:<name>`, `ec2InstanceId`: string comparison with the value. An instance without
 *   the attribute satisfies `!exists` and nothing else — `attribute:stack != prod` selects
 *   instances that have `stack` with another value, as ECS's own example describes it. The
 *   orderings compare numerically when both sides are numbers, else by character codes.
 * - `agentConnected`: the string `true` or `false`.
 * - `agentVersion`: dotted versions, part by part (1.9 < 1.14.5; 1.14 == 1.14.0).
 * - `registeredAt`: against the day (or second) the value names: `< 2018-02-13` is before that
 *   day starts, `== 2018-02-13` any time that day, `> 2018-02-13` from the next day on.
 * - `runningTasksCount`: numbers.
 * - `task:group`: the instance's task groups — `==`, `in`, `=~` hold when some task's group
 *   satisfies them, and `!=`, `!in`, `!~` are their negations: `task:group != database` is
 *   `not(task:group == database)`, true on an instance with no task at all. `exists`: some task
 *   has a group.
 * - `=~` / `!~`: the whole value must match the pattern (`t2.*` matches `t2.micro`, not `mt2.x`).
 */
export function compileQuery(query: QueryNode | string): QueryPredicate {
  return compile(typeof query === 'string' ? parseQuery(query) : query);
}

/** One-off evaluation; compile once with `compileQuery` to test many instances. */
export function matchesQuery(query: QueryNode | string, instance: QueryInstanceView): boolean {
  return compileQuery(query)(instance);
}

function compile(node: QueryNode): QueryPredicate {
  switch (node.kind) {
    case 'and': {
      const parts = node.operands.map(compile);
      return (i) => parts.every((p) => p(i));
    }
    case 'or': {
      const parts = node.operands.map(compile);
      return (i) => parts.some((p) => p(i));
    }
    case 'not': {
      const inner = compile(node.operand);
      return (i) => !inner(i);
    }
    case 'compare':
      return comparison(node);
  }
}

/** A test on one present value; `undefined` means the subject is absent. */
type ValueTest = (value: string) => boolean;

function comparison(node: QueryComparison): QueryPredicate {
  const { operator } = node;
  switch (node.field) {
    case 'attribute': {
      const name = node.attribute ?? '';
      return single((i) => i.attributes[name], operator, stringTest(node, compareStrings));
    }
    case 'ec2InstanceId':
      return single((i) => i.ec2InstanceId, operator, stringTest(node, compareStrings));
    case 'agentConnected':
      return single((i) => String(i.agentConnected), operator, stringTest(node, compareStrings, true));
    case 'runningTasksCount': {
      const n = Number(node.values[0]?.text);
      return (i) => order(operator, (i.runningTasksCount ?? 0) - n);
    }
    case 'agentVersion': {
      const want = parseVersion(node.values[0]?.text ?? '', true) ?? [];
      return (i) => {
        const have = i.agentVersion === undefined ? undefined : parseVersion(i.agentVersion, false);
        return have !== undefined && order(operator, compareVersions(have, want));
      };
    }
    case 'registeredAt': {
      const span = parseQueryDate(node.values[0]?.text ?? '') ?? { start: NaN, end: NaN };
      return (i) => i.registeredAt !== undefined && inSpan(operator, i.registeredAt, span);
    }
    case 'task:group': {
      const positive = positiveOf(operator);
      const test = stringTest({ ...node, operator: positive }, compareStrings);
      return (i) => {
        const groups = i.taskGroups ?? [];
        if (operator === 'exists') return groups.length > 0;
        if (operator === 'not_exists') return groups.length === 0;
        const some = groups.some(test);
        return positive === operator ? some : !some;
      };
    }
  }
}

/** A single-valued subject: absent satisfies only `!exists`. */
function single(
  get: (i: QueryInstanceView) => string | undefined,
  operator: QueryOperator,
  test: ValueTest,
): QueryPredicate {
  if (operator === 'exists') return (i) => get(i) !== undefined;
  if (operator === 'not_exists') return (i) => get(i) === undefined;
  return (i) => {
    const v = get(i);
    return v !== undefined && test(v);
  };
}

/** The operator's test on a present string value. */
function stringTest(
  node: QueryComparison,
  compare: (a: string, b: string) => number,
  foldCase = false,
): ValueTest {
  const fold = (s: string): string => (foldCase ? s.toLowerCase() : s);
  const texts = node.values.map((v) => fold(v.text));
  const first = texts[0] ?? '';
  switch (node.operator) {
    case 'equals':
      return (v) => fold(v) === first;
    case 'not_equals':
      return (v) => fold(v) !== first;
    case 'in':
      return (v) => texts.includes(fold(v));
    case 'not_in':
      return (v) => !texts.includes(fold(v));
    case 'matches': {
      const re = compilePattern(node.values[0]?.text ?? '');
      return (v) => re.test(v);
    }
    case 'not_matches': {
      const re = compilePattern(node.values[0]?.text ?? '');
      return (v) => !re.test(v);
    }
    case 'greater_than':
    case 'greater_than_equal':
    case 'less_than':
    case 'less_than_equal':
      return (v) => order(node.operator, compare(fold(v), first));
    case 'exists':
      return () => true;
    case 'not_exists':
      return () => false;
  }
}

const NUMBER = /^-?\d+(\.\d+)?$/;

function compareStrings(a: string, b: string): number {
  if (NUMBER.test(a) && NUMBER.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `difference` (have − want) satisfies an equality or ordering operator. */
function order(operator: QueryOperator, difference: number): boolean {
  switch (operator) {
    case 'equals':
      return difference === 0;
    case 'not_equals':
      return difference !== 0;
    case 'greater_than':
      return difference > 0;
    case 'greater_than_equal':
      return difference >= 0;
    case 'less_than':
      return difference < 0;
    case 'less_than_equal':
      return difference <= 0;
    case 'exists':
    case 'not_exists':
    case 'in':
    case 'not_in':
    case 'matches':
    case 'not_matches':
      return false; // the parser lets none of these reach a numeric subject
  }
}

function inSpan(operator: QueryOperator, t: number, span: { start: number; end: number }): boolean {
  switch (operator) {
    case 'equals':
      return t >= span.start && t < span.end;
    case 'not_equals':
      return t < span.start || t >= span.end;
    case 'greater_than':
      return t >= span.end;
    case 'greater_than_equal':
      return t >= span.start;
    case 'less_than':
      return t < span.start;
    case 'less_than_equal':
      return t < span.end;
    case 'exists':
    case 'not_exists':
    case 'in':
    case 'not_in':
    case 'matches':
    case 'not_matches':
      return false;
  }
}

function positiveOf(operator: QueryOperator): QueryOperator {
  if (operator === 'not_equals') return 'equals';
  if (operator === 'not_in') return 'in';
  if (operator === 'not_matches') return 'matches';
  return operator;
}
