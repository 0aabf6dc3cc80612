import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { place } from '../../src/core/placement/place.js';
import type { InstanceSnapshot, PlacementStrategy, TaskDemand } from '../../src/core/placement/types.js';
import { referencePlace } from '../support/reference-place.js';

/**
 * The placement engine reads typed arrays built once per call (src/core/placement/place.ts). Its
 * plans must be exactly those of the plainly written engine it replaced (test/support/
 * reference-place.ts): same instances in the same task order, same refusals and counts.
 */
const ZONES = ['a', 'b', 'c'] as const;

const instanceArb = (index: number): fc.Arbitrary<InstanceSnapshot> =>
  fc
    .record({
      status: fc.constantFrom('ACTIVE', 'ACTIVE', 'ACTIVE', 'DRAINING', 'INACTIVE'),
      agentConnected: fc.boolean().map((b) => b || index % 7 !== 0),
      cpu: fc.integer({ min: 0, max: 8 }).map((k) => k * 256),
      memory: fc.integer({ min: 0, max: 8 }).map((k) => k * 256),
      zone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }),
      disk: fc.constantFrom('ssd', 'hdd'),
      port80: fc.boolean(),
      groupTasks: fc.integer({ min: 0, max: 3 }),
    })
    .map((r): InstanceSnapshot => ({
      id: `arn:aws:ecs:us-east-1:000000000000:container-instance/c/${index.toString(16).padStart(4, '0')}`,
      status: r.status,
      agentConnected: r.agentConnected,
      remainingCpu: r.cpu,
      remainingMemory: r.memory,
      usedTcpPorts: r.port80 ? [80] : [],
      usedUdpPorts: [],
      attributes: { disk: r.disk, ...(r.zone !== undefined ? { 'ecs.availability-zone': r.zone } : {}) },
      groupTasks: r.groupTasks,
    }));

const clusterArb = fc
  .integer({ min: 0, max: 40 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => instanceArb(i))));

const strategyArb: fc.Arbitrary<PlacementStrategy> = fc.constantFrom<PlacementStrategy>(
  { type: 'random' },
  { type: 'binpack', field: 'cpu' },
  { type: 'binpack', field: 'memory' },
  { type: 'spread', field: 'instanceId' },
  { type: 'spread', field: 'host' },
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'spread', field: 'attribute:disk' },
);

const demandArb: fc.Arbitrary<TaskDemand> = fc.record({
  cpu: fc.integer({ min: 0, max: 4 }).map((k) => k * 256),
  memory: fc.integer({ min: 1, max: 4 }).map((k) => k * 256),
  tcpPorts: fc.constantFrom([], [], [80]),
  udpPorts: fc.constant([]),
  requiredAttributes: fc.constant([]),
  distinctInstance: fc.boolean(),
});

describe('the indexed placement engine', () => {
  it('gives exactly the plans of the reference engine', () => {
    fc.assert(
      fc.property(
        clusterArb,
        demandArb,
        fc.integer({ min: 1, max: 10 }),
        fc.array(strategyArb, { maxLength: 5 }),
        fc.string({ maxLength: 8 }),
        (cluster, demand, count, strategies, seed) => {
          const fast = place(cluster, demand, count, strategies, seed);
          const reference = referencePlace(cluster, demand, count, strategies, seed);
          assert.deepEqual(fast.placements, reference.placements);
          assert.equal(fast.unplaced, reference.unplaced);
          assert.deepEqual(fast.failure, reference.failure);
          assert.deepEqual(fast.evaluations, reference.evaluations);
          assert.deepEqual(fast.instances, reference.instances);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives the same plan whatever the order of the snapshot', () => {
    fc.assert(
      fc.property(
        clusterArb,
        demandArb,
        fc.array(strategyArb, { maxLength: 3 }),
        fc.string({ maxLength: 8 }),
        (cluster, demand, strategies, seed) => {
          const reversed = [...cluster].reverse();
          assert.deepEqual(
            place(reversed, demand, 10, strategies, seed).placements,
            place(cluster, demand, 10, strategies, seed).placements,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
