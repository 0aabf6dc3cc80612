/**
 * The prepared placement path (core/placement/prepared.ts) across chained calls: a PreparedCluster
 * carried from call to call, with outside edits, reordered snapshots, cache trimming, GPUs, ENIs,
 * ports, memberOf and required attributes in between, places exactly as the reference engine does.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { place } from '../../src/core/placement/place.js';
import { prepareCluster, type PreparedCluster } from '../../src/core/placement/prepared.js';
import { parseQuery } from '../../src/core/placement/query-parser.js';
import type { InstanceSnapshot, PlacementStrategy, TaskDemand } from '../../src/core/placement/types.js';
import { referencePlace } from '../support/reference-place.js';

const ZONES = ['a', 'b', 'c'] as const;
const instanceArb = (index: number) =>
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
      gpus: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      eni: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    })
    .map((r): InstanceSnapshot => ({
      id: `arn:c/${index.toString(16).padStart(4, '0')}`,
      status: r.status,
      agentConnected: r.agentConnected,
      remainingCpu: r.cpu,
      remainingMemory: r.memory,
      usedTcpPorts: r.port80 ? [80] : [],
      usedUdpPorts: [],
      attributes: { disk: r.disk, ...(r.zone !== undefined ? { 'ecs.availability-zone': r.zone } : {}) },
      groupTasks: r.groupTasks,
      ...(r.gpus !== undefined ? { gpuIds: Array.from({ length: r.gpus }, (_, g) => `g${g}`) } : {}),
      ...(r.eni !== undefined ? { remainingAttachments: r.eni } : {}),
    }));
const clusterArb = fc
  .integer({ min: 0, max: 40 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => instanceArb(i))));
const strategyArb = fc.constantFrom<PlacementStrategy>(
  { type: 'random' },
  { type: 'binpack', field: 'cpu' },
  { type: 'binpack', field: 'memory' },
  { type: 'spread', field: 'instanceId' },
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'spread', field: 'attribute:disk' },
);
const Q = [parseQuery('attribute:disk == ssd'), parseQuery('attribute:ecs.availability-zone in [a, b]')];
const demandArb = fc.record({
  cpu: fc.integer({ min: 0, max: 4 }).map((k) => k * 256),
  memory: fc.integer({ min: 1, max: 4 }).map((k) => k * 256),
  tcpPorts: fc.constantFrom([], [], [80]),
  udpPorts: fc.constant([]),
  requiredAttributes: fc.constantFrom(
    [],
    [{ name: 'ecs.availability-zone' }],
    [{ name: 'disk', value: 'hdd' }],
  ),
  distinctInstance: fc.boolean(),
  gpus: fc.constantFrom(0, 0, 1),
  attachments: fc.constantFrom(0, 1),
  memberOf: fc.oneof(
    fc.constantFrom([], [Q[0]!], [Q[1]!], [parseQuery('attribute:disk == ssd')]),
    fc.nat({ max: 60 }).map((k) => [parseQuery(`runningTasksCount < ${k} or attribute:disk == hdd`)]),
  ),
}) as fc.Arbitrary<TaskDemand>;
// A sequence of calls; between calls, sometimes an outside edit of an instance (as the cache would).
const editArb = fc.option(
  fc.record({
    at: fc.nat(),
    memory: fc.integer({ min: 0, max: 8 }).map((k) => k * 256),
    zone: fc.constantFrom(...ZONES),
    drain: fc.boolean(),
    reverse: fc.boolean(),
  }),
  { nil: undefined },
);

/** Each call on the cluster prepared from the last plan (edited in between) places as the reference. */
function chainsPlaceAsTheReference(calls: { minLength: number; maxLength: number }, numRuns: number): void {
  fc.assert(
    fc.property(
      clusterArb,
      fc.array(
        fc.tuple(
          demandArb,
          fc.integer({ min: 0, max: 6 }),
          fc.array(strategyArb, { maxLength: 3 }),
          fc.string({ maxLength: 4 }),
          editArb,
        ),
        calls,
      ),
      (cluster, chain) => {
        let snap: readonly InstanceSnapshot[] = cluster;
        let prepared: PreparedCluster | undefined;
        for (const [demand, count, strategies, seed, edit] of chain) {
          prepared = prepareCluster(snap, prepared);
          const fast = place(prepared, demand, count, strategies, seed);
          const ref = referencePlace(snap, demand, count, strategies, seed);
          assert.deepEqual(fast, ref);
          // and the same prepared cluster again gives the same plan (it was restored)
          assert.deepEqual(place(prepared, demand, count, strategies, seed), ref);
          snap = fast.instances;
          if (edit !== undefined && snap.length > 0) {
            const i = edit.at % snap.length;
            const copy = snap.slice();
            const old = copy[i]!;
            copy[i] = {
              ...old,
              remainingMemory: edit.memory,
              attributes: { ...old.attributes, 'ecs.availability-zone': edit.zone },
              ...(edit.drain ? { status: 'DRAINING' } : {}),
            };
            snap = edit.reverse ? copy.reverse() : copy;
          }
        }
      },
    ),
    { numRuns },
  );
}

it('chained prepared calls place as the reference', () => {
  chainsPlaceAsTheReference({ minLength: 1, maxLength: 6 }, 1500);
});

it('long chains (caches trimmed) place as the reference', () => {
  chainsPlaceAsTheReference({ minLength: 40, maxLength: 90 }, 60);
});
