import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  pickBySourceIp,
  pickLeastOutstanding,
  pickRoundRobin,
  routableTargets,
  targetKey,
  type BalancedTarget,
  type Verdict,
} from '../../src/core/elbv2/balancing.js';
import type { ModelTargetGroup } from '../../src/core/elbv2/data-plane.js';
import { GroupPool } from '../../src/lb/pools.js';

/** Target selection (src/core/elbv2/balancing.ts) and the pools built on it (src/lb/pools.ts). */

const target = (n: number, over: Partial<BalancedTarget> = {}): BalancedTarget => ({
  id: `10.0.0.${n}`,
  port: 80,
  address: `10.0.0.${n}`,
  ...over,
});
const targets = (n: number): BalancedTarget[] => Array.from({ length: n }, (_, i) => target(i + 1));
const verdicts =
  (map: Record<string, Verdict>, otherwise: Verdict = 'healthy') =>
  (t: BalancedTarget): Verdict =>
    map[t.id] ?? otherwise;

describe('routable targets', () => {
  it('leaves out draining targets and targets without an address', () => {
    const all = [target(1), target(2, { drainUntil: 5 }), { id: 'i-3', port: 80 }];
    assert.deepEqual(
      routableTargets(all, () => 'healthy').map((t) => t.id),
      ['10.0.0.1'],
    );
  });
  it('routes only to healthy targets while one is healthy (initial and unhealthy wait)', () => {
    const v = verdicts({ '10.0.0.1': 'healthy', '10.0.0.2': 'initial', '10.0.0.3': 'unhealthy' });
    assert.deepEqual(
      routableTargets(targets(3), v).map((t) => t.id),
      ['10.0.0.1'],
    );
  });
  it('fails open to every target when none is healthy', () => {
    const v = verdicts({ '10.0.0.2': 'initial' }, 'unhealthy');
    assert.equal(routableTargets(targets(3), v).length, 3);
  });
  it('fails open, but never to a draining target', () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            draining: fc.boolean(),
            verdict: fc.constantFrom<Verdict>('initial', 'healthy', 'unhealthy'),
          }),
          {
            maxLength: 8,
          },
        ),
        (specs) => {
          const all = specs.map((s, i) => target(i, s.draining ? { drainUntil: 1 } : {}));
          const routable = routableTargets(all, (t) => specs[all.indexOf(t)]!.verdict);
          const live = specs.filter((s) => !s.draining);
          const expected = live.some((s) => s.verdict === 'healthy')
            ? live.filter((s) => s.verdict === 'healthy').length
            : live.length;
          return routable.length === expected && routable.every((t) => t.drainUntil === undefined);
        },
      ),
    ));
});

describe('round robin', () => {
  it('visits each routable target equally often', () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(100),
        (n, rounds, start) => {
          const all = targets(n);
          const seen = new Map<string, number>();
          let cursor = start;
          for (let i = 0; i < n * rounds; i++) {
            const choice = pickRoundRobin(all, cursor)!;
            cursor = choice.cursor;
            seen.set(choice.target.id, (seen.get(choice.target.id) ?? 0) + 1);
          }
          return seen.size === n && [...seen.values()].every((count) => count === rounds);
        },
      ),
    ));
  it('picks nothing from an empty group', () => assert.equal(pickRoundRobin([], 0), undefined));
});

describe('least outstanding requests', () => {
  it('never picks a target with more in flight than another routable one', () =>
    fc.assert(
      fc.property(fc.array(fc.nat(20), { minLength: 1, maxLength: 8 }), fc.nat(100), (loads, cursor) => {
        const all = targets(loads.length);
        const inFlight = (t: BalancedTarget): number => loads[all.indexOf(t)]!;
        const choice = pickLeastOutstanding(all, cursor, inFlight)!;
        return loads.every((load) => inFlight(choice.target) <= load);
      }),
    ));
  it('shares the load round robin among equally idle targets', () => {
    const all = targets(3);
    let cursor = 0;
    const ids = [0, 1, 2].map(() => {
      const choice = pickLeastOutstanding(all, cursor, () => 0)!;
      cursor = choice.cursor;
      return choice.target.id;
    });
    assert.equal(new Set(ids).size, 3);
  });
});

describe('source_ip stickiness', () => {
  it('sends a client to the same target every time', () => {
    const all = targets(5);
    const first = pickBySourceIp(all, '198.51.100.7');
    for (let i = 0; i < 10; i++) assert.equal(pickBySourceIp(all, '198.51.100.7'), first);
  });
  it('moves only the clients of a target that leaves', () =>
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 2, max: 8 }), fc.nat(7), (client, n, leaving) => {
        const all = targets(n);
        const before = pickBySourceIp(all, client)!;
        const gone = all[leaving % n]!;
        const after = pickBySourceIp(
          all.filter((t) => t !== gone),
          client,
        )!;
        return before === gone || targetKey(after) === targetKey(before);
      }),
    ));
});

describe('GroupPool', () => {
  const group = (over: Partial<ModelTargetGroup> = {}): ModelTargetGroup => ({
    arn: 'tg',
    name: 'tg',
    protocol: 'HTTP',
    port: 80,
    targetType: 'ip',
    healthCheck: {
      protocol: 'HTTP',
      port: 'traffic-port',
      enabled: true,
      intervalSeconds: 30,
      timeoutSeconds: 5,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
    },
    attributes: { 'load_balancing.algorithm.type': 'least_outstanding_requests' },
    deregistrationDelayMs: 0,
    targets: [
      { id: '10.0.0.1', port: 80, address: '10.0.0.1', registeredAt: 0 },
      { id: '10.0.0.2', port: 80, address: '10.0.0.2', registeredAt: 0 },
    ],
    ...over,
  });
  const allHealthy = { verdict: () => 'healthy' as const };

  it('keeps in-flight counts across a model update', () => {
    const pool = new GroupPool(group(), allHealthy);
    const busy = pool.pick()!;
    pool.begin(busy);
    pool.update(group());
    assert.equal(pool.inFlight(busy), 1);
    assert.notEqual(pool.pick()!.id, busy.id, 'the idle target gets the next request');
  });
  it('ends a request once, however often its end is called', () => {
    const pool = new GroupPool(group(), allHealthy);
    const endpoint = pool.pick()!;
    const end = pool.begin(endpoint);
    end();
    end();
    assert.equal(pool.inFlight(endpoint), 0);
  });
  it('stops picking a target once it drains, and no longer sticks to it', () => {
    const pool = new GroupPool(group(), allHealthy);
    pool.update(
      group({
        targets: [
          { id: '10.0.0.1', port: 80, address: '10.0.0.1', registeredAt: 0, drainUntil: 1 },
          { id: '10.0.0.2', port: 80, address: '10.0.0.2', registeredAt: 0 },
        ],
      }),
    );
    for (let i = 0; i < 4; i++) assert.equal(pool.pick()!.id, '10.0.0.2');
    assert.equal(pool.sticky('10.0.0.1', 80), undefined);
    assert.equal(pool.sticky('10.0.0.2', 80)?.address, '10.0.0.2');
  });
});
