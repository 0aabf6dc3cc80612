import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fault } from '../../src/core/fault.js';
import { rejectReason } from '../../src/core/placement/filters.js';
import { place } from '../../src/core/placement/place.js';
import { matchesQuery, type QueryInstanceView } from '../../src/core/placement/query-eval.js';
import { parseQuery } from '../../src/core/placement/query-parser.js';
import { MAX_QUERY_LENGTH, QuerySyntaxError } from '../../src/core/placement/query-syntax.js';
import type { InstanceSnapshot, TaskDemand } from '../../src/core/placement/types.js';

const t2 = Date.UTC(2018, 1, 13, 10, 30, 0); // 2018-02-13T10:30:00Z
const host = (extra: Partial<QueryInstanceView> = {}): QueryInstanceView => ({
  attributes: {
    'ecs.instance-type': 't2.small',
    'ecs.availability-zone': 'us-east-1a',
    'ecs.os-type': 'linux',
    stack: 'prod',
    flag: '',
    disk: '100',
  },
  agentConnected: true,
  agentVersion: '1.14.5',
  ec2InstanceId: 'i-abcd1234',
  registeredAt: t2,
  runningTasksCount: 1,
  taskGroups: ['service:production', 'family:web'],
  ...extra,
});
const bare = host({ attributes: {}, taskGroups: [], runningTasksCount: 0 });
const g2 = host({ attributes: { 'ecs.instance-type': 'g2.2xlarge', 'ecs.availability-zone': 'us-east-1d' } });
const withoutVersion: QueryInstanceView = Object.fromEntries(
  Object.entries(host()).filter(([k]) => k !== 'agentVersion'),
) as unknown as QueryInstanceView;
const old = host({ agentVersion: '1.9.0', registeredAt: Date.UTC(2017, 5, 1), agentConnected: false });

describe("cluster query language: ECS's documented examples", () => {
  // docs: "Create expressions to define container instances for Amazon ECS tasks" (Example expressions)
  // and "Amazon ECS task placement constraints" (filtering / constraint examples).
  const table: [string, QueryInstanceView, boolean][] = [
    ['attribute:ecs.instance-type == t2.small', host(), true],
    ['attribute:ecs.instance-type == t2.small', g2, false],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', host(), true],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', g2, false],
    ['attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d', g2, false],
    [
      'attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d',
      host({ attributes: { 'ecs.instance-type': 'g2.8xlarge', 'ecs.availability-zone': 'us-east-1c' } }),
      true,
    ],
    ['task:group == service:production', host(), true],
    ['task:group == service:production', bare, false],
    ['not(task:group == database)', host(), true],
    ['not(task:group == database)', host({ taskGroups: ['database'] }), false],
    ['runningTasksCount == 1', host(), true],
    ['runningTasksCount == 1', bare, false],
    ['agentVersion < 1.14.5', host(), false],
    ['agentVersion < 1.14.5', old, true],
    ['registeredAt < 2018-02-13', host(), false],
    ['registeredAt < 2018-02-13', old, true],
    ["ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", host(), true],
    ["ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", host({ ec2InstanceId: 'i-0000' }), false],
    ['attribute:ecs.instance-type =~ t2.*', host(), true],
    ['attribute:ecs.instance-type =~ t2.*', g2, false],
    ['task:group == databases', host({ taskGroups: ['databases'] }), true],
    ['attribute:stack == prod', host(), true],
    ['attribute:stack != prod', host(), false],
    // "lists the instances with the custom attribute stack unless the attribute value is prod"
    ['attribute:stack != prod', bare, false],
    ['attribute:stack != prod', host({ attributes: { stack: 'dev' } }), true],
    ['attribute:ecs.instance-type in [t2.small, t2.medium]', host(), true],
    ['attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a', host(), true],
  ];
  for (const [expression, instance, expected] of table) {
    it(`${expression} → ${expected}`, () => assert.equal(matchesQuery(expression, instance), expected));
  }
});

describe('cluster query language: every operator on every kind of subject', () => {
  const table: [string, QueryInstanceView, boolean][] = [
    // attribute: strings, numbers, existence, lists, patterns, word forms
    ['attribute:stack equals prod', host(), true],
    ['attribute:stack not_equals prod', host(), false],
    ['attribute:disk > 99', host(), true],
    ['attribute:disk greater_than 100', host(), false],
    ['attribute:disk >= 100', host(), true],
    ['attribute:disk < 9', host(), false], // numeric, not "100" < "9"
    ['attribute:disk <= 100', host(), true],
    ['attribute:stack > dev', host(), true], // strings compare by character codes
    ['attribute:stack less_than_equal prod', host(), true],
    ['attribute:flag exists', host(), true], // a valueless attribute exists
    ['attribute:stack exists', bare, false],
    ['attribute:stack !exists', bare, true],
    ['attribute:stack not_exists', host(), false],
    ['attribute:stack in [dev, prod]', host(), true],
    ['attribute:stack !in [dev, prod]', host(), false],
    ['attribute:stack not_in [dev]', host(), true],
    ['attribute:stack not_in [dev]', bare, false], // absent satisfies only !exists
    ['attribute:stack =~ pr.d', host(), true],
    ['attribute:stack matches pro', host(), false], // the whole value must match
    ['attribute:stack !~ dev|test', host(), true],
    ['attribute:stack not_matches "p.*"', host(), false],
    ['attribute:stack =~ dev', bare, false],
    ["attribute:ecs.instance-type =~ 't2\\.(micro|small)'", host(), true],
    ['attribute:ecs.instance-type =~ [tm][23]\\..*', host(), true], // brackets, commas: fine unquoted
    ['attribute:ecs.instance-type =~ t{1,2}2.small', host(), true],
    ['attribute:ecs.instance-type == t2.small]', host(), false],
    // ec2InstanceId
    ['ec2InstanceId == i-abcd1234', host(), true],
    ['ec2InstanceId != i-abcd1234', host(), false],
    ['ec2InstanceId not_in [i-1, i-2]', host(), true],
    ['ec2InstanceId =~ i-abcd.*', host(), true],
    ['ec2InstanceId !~ i-.*', host(), false],
    // agentConnected
    ['agentConnected == true', host(), true],
    ['agentConnected == false', old, true],
    ['agentConnected != TRUE', old, true],
    ['agentConnected in [false]', host(), false],
    ['agentConnected =~ t.*', host(), true],
    // agentVersion: part by part
    ['agentVersion == 1.14.5', host(), true],
    ['agentVersion > 1.9', host(), true],
    ['agentVersion >= 1.14.5.0', host(), true],
    ['agentVersion <= 1.14', host(), false],
    ['agentVersion != 1.14.5', host({ agentVersion: '1.14.5-beta' }), false],
    ['agentVersion < 2', withoutVersion, false],
    // registeredAt: the day (or second) the value names
    ['registeredAt == 2018-02-13', host(), true],
    ['registeredAt != 2018-02-13', host(), false],
    ['registeredAt > 2018-02-13', host(), false],
    ['registeredAt >= 2018-02-13', host(), true],
    ['registeredAt <= 2018-02-13', host(), true],
    ['registeredAt > 2018-02-12', host(), true],
    ['registeredAt == 2018-02-13T10:30:00Z', host(), true],
    ['registeredAt == 2018-02-13T10:30:00', host(), true],
    ['registeredAt == 2018-02-13T12:30:00+02:00', host(), true],
    ['registeredAt < 2018-02-13T10:30:01+00:00', host(), true],
    ['registeredAt greater_than_equal 2018-02-13T10:30:01Z', host(), false],
    // runningTasksCount
    ['runningTasksCount != 0', host(), true],
    ['runningTasksCount > 0', bare, false],
    ['runningTasksCount >= 1', host(), true],
    ['runningTasksCount < 3', host(), true],
    ['runningTasksCount <= 0', bare, true],
    // task:group: some task's group; negations are "no task's group"
    ['task:group == family:web', host(), true],
    ['task:group != family:web', host(), false],
    ['task:group != family:web', bare, true],
    ['task:group in [database, family:web]', host(), true],
    ['task:group !in [database, cache]', host(), true],
    ['task:group =~ service:.*', host(), true],
    ['task:group !~ service:.*', host(), false],
    ['task:group exists', host(), true],
    ['task:group !exists', bare, true],
  ];
  for (const [expression, instance, expected] of table) {
    it(`${expression} → ${expected}`, () => assert.equal(matchesQuery(expression, instance), expected));
  }
});

describe('cluster query language: joins, precedence and parentheses', () => {
  const T = 'runningTasksCount == 1'; // true on host()
  const F = 'runningTasksCount == 7'; // false on host()
  const table: [string, boolean][] = [
    [`${T} and ${F}`, false],
    [`${T} && ${T}`, true],
    [`${F} or ${T}`, true],
    [`${F} || ${F}`, false],
    [`not ${T}`, false],
    [`!${F}`, true],
    [`! (${F})`, true],
    [`not(not(${T}))`, true],
    [`NOT ${F} AND ${T}`, true],
    // and binds tighter than or
    [`${T} or ${T} and ${F}`, true],
    [`(${T} or ${T}) and ${F}`, false],
    [`${F} and ${T} or ${T}`, true],
    [`${F} and (${T} or ${T})`, false],
    // not binds tighter than and / or
    [`not ${T} or ${T}`, true],
    [`not (${T} or ${T})`, false],
    [`not ${F} and ${F}`, false],
    [`((${T}))`, true],
    ['runningTasksCount==1&&attribute:stack==prod||registeredAt<2000-01-01', true],
    ['attribute:stack in[prod]and(task:group exists)', true],
  ];
  for (const [expression, expected] of table) {
    it(`${expression} → ${expected}`, () => assert.equal(matchesQuery(expression, host()), expected));
  }

  it('builds flat and/or nodes, or above and', () => {
    const tree = parseQuery(`${T} or ${F} and ${T} and ${F}`);
    assert.equal(tree.kind, 'or');
    assert.equal(tree.kind === 'or' && tree.operands[1]?.kind, 'and');
    assert.equal(
      tree.kind === 'or' && tree.operands[1]?.kind === 'and' && tree.operands[1].operands.length,
      3,
    );
  });

  it('keeps values with spaces, quotes and keywords when quoted', () => {
    const view = host({ attributes: { note: 'a b', word: 'and', q: "it's" } });
    assert.equal(matchesQuery("attribute:note == 'a b'", view), true);
    assert.equal(matchesQuery('attribute:word == and', view), true);
    assert.equal(matchesQuery(`attribute:q == "it's"`, view), true);
  });

  it('evaluates a placement InstanceSnapshot directly', () => {
    const snapshot: InstanceSnapshot = {
      id: 'arn:x',
      status: 'ACTIVE',
      agentConnected: true,
      remainingCpu: 1024,
      remainingMemory: 1024,
      usedTcpPorts: [],
      usedUdpPorts: [],
      attributes: { 'ecs.os-type': 'linux' },
      ec2InstanceId: 'i-1',
    };
    assert.equal(matchesQuery('attribute:ecs.os-type == linux and ec2InstanceId == i-1', snapshot), true);
    assert.equal(matchesQuery('runningTasksCount == 0 and task:group !exists', snapshot), true);
  });
});

describe('cluster query language: errors point at the offending character', () => {
  // [expression, 0-based position, part of the message]
  const table: [string, number, string][] = [
    ['', 0, 'the expression is empty'],
    ['   ', 0, 'the expression is empty'],
    ['attribute:ecs.instance-type ==', 30, "expected a value after '==' at character 31"],
    ['attribute:ecs.instance-type == ', 31, "expected a value after '=='"],
    ['runningTasksCount == )', 21, "expected a value after '==' at character 22, found ')'"],
    ['instanceId == i-1', 0, "unknown subject 'instanceId' at character 1"],
    [
      '== x',
      0,
      "expected a subject (attribute:<name>, task:group, agentConnected, agentVersion, ec2InstanceId, registeredAt or runningTasksCount) at character 1, found '=='",
    ],
    ['attribute: == x', 10, "expected an attribute name after 'attribute:' at character 11"],
    ['attribute:a:b == x', 11, "':' at character 12 cannot be part of an attribute name"],
    [`attribute:${'a'.repeat(129)} exists`, 10, 'at most 128'],
    ['attribute:a = b', 12, "found '=' (equality is '==')"],
    [
      'attribute:a',
      11,
      "expected an operator (==, !=, >, >=, <, <=, exists, !exists, in, !in, =~ or !~) after 'attribute:a' at character 12, found the end of the expression",
    ],
    ['attribute:a like b', 12, "found 'like'"],
    ['attribute:a inside [b]', 12, "found 'inside'"],
    [
      'ec2InstanceId > i-1',
      14,
      "'>' at character 15 does not apply to ec2InstanceId; use one of ==, !=, in, !in, =~, !~",
    ],
    ['runningTasksCount =~ 1.*', 18, 'does not apply to runningTasksCount'],
    ['agentConnected exists', 15, 'does not apply to agentConnected'],
    ['task:group >= a', 11, 'does not apply to task:group'],
    ['runningTasksCount > many', 20, "'many' at character 21 is not a whole number"],
    ['runningTasksCount > -1', 20, 'is not a whole number'],
    ['agentVersion < latest', 15, 'is not a version'],
    ['registeredAt < 2018-13-01', 15, "'2018-13-01' at character 16 is not a date"],
    ['registeredAt < 2018-02-30', 15, 'is not a date'],
    ['registeredAt < 2018-02-13T25:00:00Z', 15, 'is not a date'],
    ['registeredAt < yesterday', 15, 'is not a date'],
    ['agentConnected == yes', 18, 'is neither true nor false'],
    [
      'attribute:a in (x, y)',
      15,
      "expected '[' to open the list of values after 'in' at character 16, found '('",
    ],
    ['attribute:a in x', 15, "expected '['"],
    ['attribute:a in []', 16, "expected a value in the list after '[' at character 17, found ']'"],
    ['attribute:a in [x,]', 18, "expected a value in the list after ','"],
    ['attribute:a in [x y]', 18, "expected ',' or ']' in the list at character 19, found 'y'"],
    [
      'attribute:a in [x, y',
      20,
      "the list opened at character 16 is never closed: expected ']' at character 21",
    ],
    ["attribute:a == 'x", 15, 'the quote at character 16 is never closed'],
    ["attribute:a == ''", 15, 'empty value'],
    ['attribute:a exists x', 19, "'exists' takes no value, but 'x' follows at character 20"],
    [
      'attribute:a == b c',
      17,
      "expected 'and', 'or' or the end of the expression at character 18, found 'c' (quote a value",
    ],
    ['attribute:a == b and', 20, "expected an expression after 'and' at character 21"],
    ['attribute:a == b ||', 19, "expected an expression after '||'"],
    ['attribute:a == b and or x', 21, "unknown subject 'or'"],
    ['not', 3, "expected an expression after 'not' at character 4"],
    ['!', 1, "expected an expression after '!'"],
    ['(attribute:a == b', 17, "the '(' at character 1 is never closed: expected ')' at character 18"],
    ['attribute:a == b)', 16, "unexpected ')' at character 17: there is no '(' to close"],
    ['()', 1, "expected an expression inside '()'"],
    [
      '(attribute:a == b) attribute:c == d',
      19,
      "expected 'and', 'or' or the end of the expression at character 20",
    ],
    ['attribute:a =~ t2.(', 18, "found '(' (quote a value"],
    ["attribute:a =~ 't2.('", 16, 'is not a valid pattern'],
    ["attribute:a =~ '(a+)+'", 20, 'repeats a group that repeats at character 21'],
    ["attribute:a !~ 'x(b*c)*'", 22, 'repeats a group that repeats at character 23'],
  ];
  for (const [expression, position, message] of table) {
    it(`${JSON.stringify(expression)} → ${position}: ${message}`, () => {
      assert.throws(
        () => parseQuery(expression),
        (e: unknown) => {
          assert.ok(e instanceof QuerySyntaxError, String(e));
          assert.ok(e instanceof Fault);
          assert.equal(e.code, 'InvalidParameterException');
          assert.ok(e.message.includes(message), `message: ${e.message}`);
          assert.equal(e.position, position, e.message);
          return true;
        },
      );
    });
  }

  it(`takes ${MAX_QUERY_LENGTH} characters and refuses more, pointing past the limit`, () => {
    const clause = 'attribute:stack == prod';
    let long = clause;
    while (long.length + ' or '.length + clause.length <= MAX_QUERY_LENGTH) long += ` or ${clause}`;
    long = long.padEnd(MAX_QUERY_LENGTH, ' ');
    assert.equal(long.length, MAX_QUERY_LENGTH);
    assert.equal(matchesQuery(long, host()), true);
    assert.throws(
      () => parseQuery(`${long}x`),
      (e: unknown) =>
        e instanceof QuerySyntaxError && e.position === MAX_QUERY_LENGTH && /2001 characters/.test(e.message),
    );
  });

  it('takes deep nesting up to the length limit without overflowing the stack', () => {
    const depth = 985;
    assert.equal(
      matchesQuery(`${'('.repeat(depth)}runningTasksCount == 1${')'.repeat(depth)}`, host()),
      true,
    );
    assert.equal(matchesQuery(`${'!'.repeat(1970)}runningTasksCount == 1`, host()), true);
  });
});

describe('memberOf placement constraints in the placement filters', () => {
  const node = (id: string, extra: Partial<InstanceSnapshot> = {}): InstanceSnapshot => ({
    id,
    status: 'ACTIVE',
    agentConnected: true,
    remainingCpu: 1024,
    remainingMemory: 1024,
    usedTcpPorts: [],
    usedUdpPorts: [],
    attributes: { 'ecs.instance-type': 't2.small' },
    ...extra,
  });
  const demand = (...expressions: string[]): TaskDemand => ({
    cpu: 128,
    memory: 128,
    tcpPorts: [],
    udpPorts: [],
    requiredAttributes: [],
    memberOf: expressions.map(parseQuery),
  });

  it("rejects an instance outside the group with ECS's reason, after ATTRIBUTE and before resources", () => {
    const reason = 'MemberOf placement constraint unsatisfied.';
    assert.equal(rejectReason(node('a'), demand('attribute:ecs.instance-type =~ t2.*')), undefined);
    assert.equal(rejectReason(node('a'), demand('attribute:ecs.instance-type =~ g2.*')), reason);
    assert.equal(rejectReason(node('a'), demand('runningTasksCount == 0', 'task:group == db')), reason);
    assert.equal(rejectReason(node('a', { remainingCpu: 0 }), demand('task:group == db')), reason);
    assert.equal(rejectReason(node('a', { agentConnected: false }), demand('task:group == db')), 'AGENT');
  });

  it('places only on members, and reports the reason when none is one', () => {
    const instances = [node('a'), node('b', { attributes: { 'ecs.instance-type': 'g2.2xlarge' } })];
    const plan = place(instances, demand('attribute:ecs.instance-type =~ g2.*'), 3, [], 'seed');
    assert.deepEqual(plan.placements, ['b', 'b', 'b']);
    const none = place(instances, demand('attribute:ecs.instance-type == m5.large'), 1, [], 'seed');
    assert.equal(none.unplaced, 1);
    assert.equal(none.failure?.reason, 'MemberOf placement constraint unsatisfied.');
  });
});
