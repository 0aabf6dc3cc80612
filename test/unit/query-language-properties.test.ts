import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { matchesQuery, type QueryInstanceView } from '../../src/core/placement/query-eval.js';
import { formatQuery, parseQuery } from '../../src/core/placement/query-parser.js';
import {
  QuerySyntaxError,
  type QueryField,
  type QueryNode,
  type QueryOperator,
} from '../../src/core/placement/query-syntax.js';

// ---------------------------------------------------------------------------------------------
// Properties: printing and parsing round-trip, and the Boolean laws hold under evaluation.

const name = fc.constantFrom('stack', 'ecs.instance-type', 'ecs.availability-zone', 'a/b\\c', 'x_1-2');
const word = fc.stringMatching(/^[a-z0-9][a-z0-9.:@/-]{0,8}$/);
const anyValue = fc.oneof(word, fc.constantFrom('a b', 'x,y', '(p)', 'and', 'or', "it's", 'a&&b'));
const v = (text: string) => ({ text, position: 0 });
const cmp = (
  field: QueryField,
  attribute: string,
  operator: QueryOperator,
  values: readonly string[],
): QueryNode => ({
  kind: 'compare',
  field,
  ...(field === 'attribute' ? { attribute } : {}),
  operator,
  values: values.map(v),
  position: 0,
});
const anyOf = <T>(...xs: T[]) => fc.constantFrom(...xs);
const comparison: fc.Arbitrary<QueryNode> = fc.oneof(
  fc
    .tuple(name, anyOf<QueryOperator>('equals', 'not_equals', 'greater_than', 'less_than_equal'), anyValue)
    .map(([n, op, x]) => cmp('attribute', n, op, [x])),
  fc
    .tuple(anyOf<QueryField>('attribute', 'task:group'), name, anyOf<QueryOperator>('in', 'not_in'))
    .chain(([f, n, op]) => fc.array(anyValue, { minLength: 1, maxLength: 3 }).map((xs) => cmp(f, n, op, xs))),
  fc
    .tuple(anyOf<QueryField>('attribute', 'task:group'), name, anyOf<QueryOperator>('exists', 'not_exists'))
    .map(([f, n, op]) => cmp(f, n, op, [])),
  fc
    .tuple(anyOf<QueryOperator>('matches', 'not_matches'), anyOf('i-.*', 'i-abcd[0-9]+', '(x|y) z'))
    .map(([op, x]) => cmp('ec2InstanceId', '', op, [x])),
  fc
    .tuple(anyOf<QueryOperator>('equals', 'greater_than', 'less_than', 'greater_than_equal'), fc.nat(5))
    .map(([op, n]) => cmp('runningTasksCount', '', op, [String(n)])),
  fc
    .tuple(
      anyOf<QueryOperator>('equals', 'not_equals', 'less_than', 'greater_than'),
      anyOf('2018-02-13', '2018-02-13T10:30:00Z', '2017-01-01T00:00:00+05:30'),
    )
    .map(([op, x]) => cmp('registeredAt', '', op, [x])),
);

const tree: fc.Arbitrary<QueryNode> = fc.letrec<{ node: QueryNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    fc.record({ kind: fc.constant('not' as const), operand: tie('node'), position: fc.constant(0) }),
    fc.record({
      kind: fc.constantFrom('and' as const, 'or' as const),
      operands: fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
      position: fc.constant(0),
    }),
  ),
})).node;

/** The tree without positions, with the position-free fields in a stable form. */
function shape(node: QueryNode): unknown {
  switch (node.kind) {
    case 'compare':
      return [node.field, node.attribute ?? null, node.operator, node.values.map((x) => x.text)];
    case 'not':
      return ['not', shape(node.operand)];
    case 'and':
    case 'or':
      return [node.kind, node.operands.map(shape)];
  }
}

const view: fc.Arbitrary<QueryInstanceView> = fc.record({
  attributes: fc.dictionary(name, fc.oneof(word, fc.constant('')), { maxKeys: 3 }),
  agentConnected: fc.boolean(),
  ec2InstanceId: fc.constantFrom('i-abcd1234', 'x z', 'i-9'),
  registeredAt: fc.integer({ min: Date.UTC(2016, 0, 1), max: Date.UTC(2019, 0, 1) }),
  runningTasksCount: fc.nat(5),
  taskGroups: fc.array(word, { maxLength: 3 }),
});

describe('cluster query language: properties', () => {
  it('parses what formatQuery prints back to the same tree', () => {
    fc.assert(fc.property(tree, (t) => assert.deepEqual(shape(parseQuery(formatQuery(t))), shape(t))));
  });

  it('evaluates not, and, or as Boolean logic (De Morgan, double negation)', () => {
    fc.assert(
      fc.property(tree, tree, view, (a, b, i) => {
        const [pa, pb] = [formatQuery(a), formatQuery(b)];
        const ea = matchesQuery(pa, i);
        const eb = matchesQuery(pb, i);
        assert.equal(matchesQuery(`(${pa}) and (${pb})`, i), ea && eb);
        assert.equal(matchesQuery(`(${pa}) or (${pb})`, i), ea || eb);
        assert.equal(
          matchesQuery(`not((${pa}) and (${pb}))`, i),
          matchesQuery(`not(${pa}) or not(${pb})`, i),
        );
        assert.equal(matchesQuery(`not(not(${pa}))`, i), ea);
      }),
    );
  });

  it('makes each negated operator the complement of its positive where the attribute is present', () => {
    const pairs = [
      ['==', '!='],
      ['in', '!in'],
      ['=~', '!~'],
    ] as const;
    fc.assert(
      fc.property(name, word, view, fc.nat(pairs.length - 1), (n, x, i, k) => {
        const [pos, neg] = pairs[k] ?? pairs[0];
        const arg = pos === 'in' ? `[${x}]` : x;
        const yes = matchesQuery(`attribute:${n} ${pos} ${arg}`, i);
        const no = matchesQuery(`attribute:${n} ${neg} ${arg}`, i);
        if (i.attributes[n] === undefined) assert.deepEqual([yes, no], [false, false]);
        else assert.equal(yes, !no);
      }),
    );
  });

  it('never throws anything but a QuerySyntaxError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          parseQuery(text);
        } catch (e) {
          assert.ok(e instanceof QuerySyntaxError, `${JSON.stringify(text)}: ${String(e)}`);
          assert.ok(e.position >= 0 && e.position <= text.length, `${JSON.stringify(text)}: ${e.position}`);
        }
      }),
    );
  });
});
