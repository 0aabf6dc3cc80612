import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stopOrder, type StopCandidate } from '../../src/core/placement/stop-order.js';
import type { InstanceSnapshot } from '../../src/core/placement/types.js';

/** Scale-in runs the placement strategies backwards (src/core/placement/stop-order.ts). */
const instance = (
  id: string,
  zone: string,
  groupTasks: number,
  remainingMemory = 1000,
): InstanceSnapshot => ({
  id,
  status: 'ACTIVE',
  agentConnected: true,
  remainingCpu: 1000,
  remainingMemory,
  usedTcpPorts: [],
  usedUdpPorts: [],
  attributes: { 'ecs.availability-zone': zone },
  groupTasks,
});
const task = (arn: string, on: InstanceSnapshot): StopCandidate => ({
  taskArn: arn,
  instance: on,
  cpu: 10,
  memory: 100,
});

describe('the scale-in order', () => {
  it('spread over zones: stops from the zone with the most tasks until the zones are even', () => {
    const a = instance('a', 'zone-a', 3);
    const b = instance('b', 'zone-b', 1);
    const c = instance('c', 'zone-c', 1);
    const order = stopOrder(
      [task('a1', a), task('a2', a), task('a3', a), task('b1', b), task('c1', c)],
      [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
      'seed',
    );
    assert.deepEqual(order.slice(0, 2), ['a1', 'a2']);
    assert.deepEqual(new Set(order.slice(2)), new Set(['a3', 'b1', 'c1']));
  });

  it('binpack on memory: stops on the emptiest instance first, freeing it', () => {
    const full = instance('full', 'z', 2, 100);
    const empty = instance('empty', 'z', 2, 3000);
    const order = stopOrder(
      [task('f1', full), task('f2', full), task('e1', empty), task('e2', empty)],
      [{ type: 'binpack', field: 'memory' }],
      'seed',
    );
    assert.deepEqual(order.slice(0, 2), ['e1', 'e2']);
  });

  it('without strategies keeps the zones balanced, as ECS scales in by default', () => {
    const a = instance('a', 'zone-a', 2);
    const b = instance('b', 'zone-b', 1);
    assert.equal(stopOrder([task('b1', b), task('a1', a), task('a2', a)], [], 'seed')[0], 'a1');
  });

  it('gives every candidate exactly once', () => {
    const a = instance('a', 'zone-a', 2);
    const order = stopOrder([task('x', a), task('y', a)], [{ type: 'random' }], 'seed');
    assert.deepEqual([...order].sort(), ['x', 'y']);
  });
});
