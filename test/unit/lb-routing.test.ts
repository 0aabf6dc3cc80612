import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ModelRule } from '../../src/core/elbv2/data-plane.js';
import {
  chooseTargetGroup,
  matchRule,
  redirectLocation,
  type RequestView,
} from '../../src/core/elbv2/routing.js';
import type { ForwardConfig, RedirectConfig, RuleCondition } from '../../src/core/elbv2/types.js';

/** ELB's rule matching, redirect URLs and weighted forwarding (src/core/elbv2/routing.ts), as tables. */

const request = (over: Partial<RequestView> = {}): RequestView => ({
  method: 'GET',
  host: 'example.com',
  path: '/',
  query: [],
  headers: {},
  sourceIp: '203.0.113.9',
  ...over,
});

const rule = (arn: string, ...conditions: RuleCondition[]): ModelRule => ({
  arn,
  priority: 1,
  isDefault: false,
  conditions,
  actions: [],
});
const matches = (condition: RuleCondition, req: RequestView): boolean =>
  matchRule([rule('r', condition)], req) !== undefined;

const host = (...values: string[]): RuleCondition => ({
  Field: 'host-header',
  HostHeaderConfig: { Values: values },
});
const path = (...values: string[]): RuleCondition => ({
  Field: 'path-pattern',
  PathPatternConfig: { Values: values },
});
const header = (name: string, ...values: string[]): RuleCondition => ({
  Field: 'http-header',
  HttpHeaderConfig: { HttpHeaderName: name, Values: values },
});
const method = (...values: string[]): RuleCondition => ({
  Field: 'http-request-method',
  HttpRequestMethodConfig: { Values: values },
});
const query = (...values: { Key?: string; Value: string }[]): RuleCondition => ({
  Field: 'query-string',
  QueryStringConfig: { Values: values },
});
const sourceIp = (...values: string[]): RuleCondition => ({
  Field: 'source-ip',
  SourceIpConfig: { Values: values },
});

type Case = [string, RuleCondition, Partial<RequestView>, boolean];

const cases: Case[] = [
  ['host: exact, any case, port ignored', host('example.com'), { host: 'EXAMPLE.com:8080' }, true],
  ['host: another host', host('example.com'), { host: 'example.org' }, false],
  ['host: *.example.com matches a subdomain', host('*.example.com'), { host: 'www.example.com' }, true],
  ['host: *.example.com needs the dot', host('*.example.com'), { host: 'example.com' }, false],
  ['host: ? is exactly one character', host('?.example.com'), { host: 'ab.example.com' }, false],
  ['host: one of several values', host('a.com', 'example.com'), {}, true],
  ['path: /img/* matches below /img', path('/img/*'), { path: '/img/a/b.png' }, true],
  ['path: case-sensitive', path('/img/*'), { path: '/IMG/a.png' }, false],
  ['path: /img/* does not match /img', path('/img/*'), { path: '/img' }, false],
  ['path: /img/*/pics', path('/img/*/pics'), { path: '/img/2024/pics' }, true],
  ['path: escaped \\* is literal', path('/a\\*'), { path: '/ab' }, false],
  ['path: escaped \\* matches *', path('/a\\*'), { path: '/a*' }, true],
  [
    'header: name and value case-insensitive, wildcards',
    header('User-Agent', '*Chrome*', '*Safari*'),
    { headers: { 'user-agent': 'Mozilla/5.0 CHROME/120' } },
    true,
  ],
  ['header: absent header', header('User-Agent', '*'), {}, false],
  ['header: repeated header, any value', header('x-v', 'b'), { headers: { 'x-v': ['a', 'b'] } }, true],
  ['method: exact', method('GET', 'HEAD'), { method: 'HEAD' }, true],
  ['method: case-sensitive', method('GET'), { method: 'get' }, false],
  [
    'query: key/value, value any case',
    query({ Key: 'version', Value: 'v1' }),
    { query: new URLSearchParams('version=V1') },
    true,
  ],
  [
    'query: key must match',
    query({ Key: 'version', Value: 'v1' }),
    { query: new URLSearchParams('v=v1') },
    false,
  ],
  [
    'query: value under any key',
    query({ Value: '*example*' }),
    { query: new URLSearchParams('a=myExample') },
    true,
  ],
  ['query: key wildcard', query({ Key: 'ver*', Value: '?' }), { query: [['version', '2']] }, true],
  ['query: none', query({ Value: 'x' }), {}, false],
  ['source-ip: in the block', sourceIp('192.0.2.0/24'), { sourceIp: '192.0.2.7' }, true],
  ['source-ip: IPv4-mapped client', sourceIp('192.0.2.0/24'), { sourceIp: '::ffff:192.0.2.7' }, true],
  ['source-ip: outside the block', sourceIp('192.0.2.0/24'), { sourceIp: '192.0.3.1' }, false],
  ['source-ip: /32', sourceIp('10.0.0.1/32', '10.0.0.2/32'), { sourceIp: '10.0.0.2' }, true],
  ['source-ip: /0 matches all', sourceIp('0.0.0.0/0'), { sourceIp: '198.51.100.1' }, true],
  ['source-ip: IPv6 block, IPv4 client', sourceIp('2001:db8::/32'), { sourceIp: '192.0.2.7' }, false],
];

describe('rule conditions (ELB documented examples)', () => {
  for (const [name, condition, over, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'}: ${name}`, () =>
      assert.equal(matches(condition, request(over)), expected));
  }
});

describe('rules', () => {
  const rules: ModelRule[] = [
    rule('api', host('api.example.com'), path('/v1/*')),
    rule('images', path('/img/*')),
    { arn: 'default', isDefault: true, conditions: [], actions: [] },
  ];
  it('needs every condition of a rule to hold (AND across conditions)', () => {
    assert.equal(matchRule(rules, request({ host: 'api.example.com', path: '/v1/x' }))?.arn, 'api');
    assert.equal(matchRule(rules, request({ host: 'www.example.com', path: '/v1/x' }))?.arn, 'default');
  });
  it('takes the first matching rule by priority, the default rule last', () => {
    assert.equal(matchRule(rules, request({ path: '/img/a.png' }))?.arn, 'images');
    assert.equal(matchRule(rules, request({ path: '/other' }))?.arn, 'default');
  });
});

describe('redirect Location', () => {
  const toHttps: RedirectConfig = {
    Protocol: 'HTTPS',
    Port: '443',
    Host: '#{host}',
    Path: '/#{path}',
    Query: '#{query}',
    StatusCode: 'HTTP_301',
  };
  const source = { protocol: 'http' as const, host: 'example.com', port: 80, path: '/a/b', query: 'x=1' };
  it('keeps host, path and query with the default placeholders', () =>
    assert.deepEqual(redirectLocation(toHttps, source), {
      status: 301,
      location: 'https://example.com:443/a/b?x=1',
    }));
  it('leaves off ? when the query is empty', () =>
    assert.equal(
      redirectLocation(toHttps, { ...source, query: '' }).location,
      'https://example.com:443/a/b',
    ));
  it('fills placeholders in a new path and host, with 302', () =>
    assert.deepEqual(
      redirectLocation(
        {
          ...toHttps,
          Protocol: '#{protocol}',
          Port: '#{port}',
          Host: 'new.#{host}',
          Path: '/v2/#{path}',
          StatusCode: 'HTTP_302',
        },
        source,
      ),
      { status: 302, location: 'http://new.example.com:80/v2/a/b?x=1' },
    ));
});

describe('weighted forwarding', () => {
  const forward = (...weights: number[]): ForwardConfig => ({
    TargetGroups: weights.map((Weight, i) => ({ TargetGroupArn: `tg${i}`, Weight })),
    TargetGroupStickinessConfig: { Enabled: false },
  });
  it('splits [0, 1) by weight', () => {
    assert.equal(chooseTargetGroup(forward(1, 3), 0.2), 'tg0');
    assert.equal(chooseTargetGroup(forward(1, 3), 0.3), 'tg1');
    assert.equal(chooseTargetGroup(forward(1, 3), 0.999999), 'tg1');
  });
  it('chooses none when every weight is 0', () =>
    assert.equal(chooseTargetGroup(forward(0, 0), 0.5), undefined));
  it('never chooses a group of weight 0', () =>
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (weights, random) => {
          const chosen = chooseTargetGroup(forward(...weights), random);
          if (weights.every((w) => w === 0)) return chosen === undefined;
          return chosen !== undefined && (weights[Number(chosen.slice(2))] ?? 0) > 0;
        },
      ),
    ));
});
