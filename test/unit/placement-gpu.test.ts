import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rejectReason } from '../../src/core/placement/filters.js';
import { gpuAssignments } from '../../src/core/placement/gpus.js';
import { place, take } from '../../src/core/placement/place.js';
import type { InstanceSnapshot, TaskDemand } from '../../src/core/placement/types.js';

/**
 * GPUs and the task-attachment (ENI) limit in placement: the filters with ECS's reasons
 * (`RESOURCE:GPU`, `RESOURCE:ENI`), `take` by GPU id, and the ids each task of a plan gets.
 */
const host = (id: string, extra: Partial<InstanceSnapshot> = {}): InstanceSnapshot => ({
  id,
  status: 'ACTIVE',
  agentConnected: true,
  remainingCpu: 4096,
  remainingMemory: 8192,
  usedTcpPorts: [],
  usedUdpPorts: [],
  attributes: {},
  ...extra,
});
const demand = (extra: Partial<TaskDemand> = {}): TaskDemand => ({
  cpu: 256,
  memory: 512,
  tcpPorts: [],
  udpPorts: [],
  requiredAttributes: [],
  ...extra,
});

describe('GPU and ENI filters', () => {
  const table: [string, InstanceSnapshot, TaskDemand, string | undefined][] = [
    ['a task without GPUs goes on a host without GPUs', host('a'), demand(), undefined],
    ['a GPU task is refused by a host without GPUs', host('a'), demand({ gpus: 1 }), 'RESOURCE:GPU'],
    [
      'a GPU task fits the free GPUs exactly',
      host('a', { gpuIds: ['g0', 'g1'] }),
      demand({ gpus: 2 }),
      undefined,
    ],
    [
      'a task asking for more GPUs than are free is refused',
      host('a', { gpuIds: ['g0'] }),
      demand({ gpus: 2 }),
      'RESOURCE:GPU',
    ],
    [
      'GPUs are checked before CPU: a host short of both counts as short of GPUs',
      host('a', { remainingCpu: 0 }),
      demand({ gpus: 1 }),
      'RESOURCE:GPU',
    ],
    [
      'status still comes first: a draining GPU host is DRAINING',
      host('a', { status: 'DRAINING', gpuIds: ['g0'] }),
      demand({ gpus: 1 }),
      'DRAINING',
    ],
    [
      'a task with an attachment goes on a host with no ENI limit',
      host('a'),
      demand({ attachments: 1 }),
      undefined,
    ],
    [
      'a task with an attachment takes the last free attachment point',
      host('a', { remainingAttachments: 1 }),
      demand({ attachments: 1 }),
      undefined,
    ],
    [
      'a host whose attachment points are used refuses with RESOURCE:ENI',
      host('a', { remainingAttachments: 0 }),
      demand({ attachments: 1 }),
      'RESOURCE:ENI',
    ],
    [
      'a bridge/host/none task (no attachments) ignores the ENI limit',
      host('a', { remainingAttachments: 0 }),
      demand(),
      undefined,
    ],
  ];
  for (const [name, instance, wanted, reason] of table) {
    it(name, () => assert.equal(rejectReason(instance, wanted), reason));
  }
});

describe('take', () => {
  it('takes the first free GPU ids, in the instance order', () => {
    const after = take(host('a', { gpuIds: ['g0', 'g1', 'g2'] }), demand({ gpus: 2 }));
    assert.deepEqual(after.gpuIds, ['g2']);
  });
  it('leaves GPUs alone for a task without GPUs', () => {
    const after = take(host('a', { gpuIds: ['g0'] }), demand());
    assert.deepEqual(after.gpuIds, ['g0']);
  });
  it('counts attachments down, and an instance without a limit keeps having none', () => {
    assert.equal(
      take(host('a', { remainingAttachments: 3 }), demand({ attachments: 1 })).remainingAttachments,
      2,
    );
    assert.equal(take(host('a'), demand({ attachments: 1 })).remainingAttachments, undefined);
  });
});

describe('GPU placement', () => {
  const cluster = [host('gpu-a', { gpuIds: ['a0', 'a1'] }), host('gpu-b', { gpuIds: ['b0'] }), host('plain')];

  it('puts GPU tasks only on GPU hosts, each on its own GPUs, and explains the rest', () => {
    const plan = place(cluster, demand({ gpus: 1 }), 4, [], 'seed');
    assert.equal(plan.placements.length, 3);
    assert.ok(plan.placements.every((id) => id !== 'plain'));
    const ids = gpuAssignments(cluster, plan.placements, demand({ gpus: 1 })).flat();
    assert.deepEqual([...ids].sort(), ['a0', 'a1', 'b0']);
    assert.equal(plan.unplaced, 1);
    assert.equal(plan.failure?.reason, 'RESOURCE:GPU');
    assert.equal(plan.failure?.detail, '3 instances: RESOURCE:GPU');
  });

  it('gives the tasks of one call on one instance consecutive, distinct GPUs', () => {
    const one = [host('gpu-a', { gpuIds: ['a0', 'a1', 'a2', 'a3'] })];
    const wanted = demand({ gpus: 2 });
    const plan = place(one, wanted, 2, [], 'seed');
    assert.deepEqual(gpuAssignments(one, plan.placements, wanted), [
      ['a0', 'a1'],
      ['a2', 'a3'],
    ]);
    assert.deepEqual(plan.instances[0]?.gpuIds, []);
  });

  it('gives tasks without GPUs no ids', () => {
    assert.deepEqual(gpuAssignments(cluster, ['plain', 'gpu-a'], demand()), [[], []]);
  });

  it('refuses to assign GPUs the snapshot does not have (a plan from another snapshot)', () => {
    assert.throws(() => gpuAssignments(cluster, ['plain'], demand({ gpus: 1 })), /fewer than 1 free GPUs/);
  });

  it('with an ENI limit, places at most that many tasks with attachments per host', () => {
    const limited = [host('a', { remainingAttachments: 2 }), host('b', { remainingAttachments: 1 })];
    const plan = place(limited, demand({ attachments: 1 }), 5, [], 'seed');
    assert.equal(plan.placements.filter((id) => id === 'a').length, 2);
    assert.equal(plan.placements.filter((id) => id === 'b').length, 1);
    assert.equal(plan.unplaced, 2);
    assert.equal(plan.failure?.reason, 'RESOURCE:ENI');
  });
});

describe('GPU placement properties', () => {
  const gpuHost = fc.record({ gpus: fc.integer({ min: 0, max: 4 }), cpu: fc.integer({ min: 0, max: 4096 }) });

  it('never assigns one GPU id to two tasks and never more GPUs than registered', () => {
    fc.assert(
      fc.property(
        fc.array(gpuHost, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom('random' as const, 'binpack' as const, 'spread' as const),
        fc.string(),
        (hosts, gpusPerTask, count, strategy, seed) => {
          const snapshot = hosts.map((h, k) =>
            host(`h${k}`, {
              remainingCpu: h.cpu,
              gpuIds: Array.from({ length: h.gpus }, (_, g) => `h${k}-gpu${g}`),
            }),
          );
          const wanted = demand({ gpus: gpusPerTask });
          const field = strategy === 'binpack' ? 'memory' : strategy === 'spread' ? 'instanceId' : undefined;
          const plan = place(
            snapshot,
            wanted,
            count,
            [{ type: strategy, ...(field ? { field } : {}) }],
            seed,
          );
          const assigned = gpuAssignments(snapshot, plan.placements, wanted);
          const all = assigned.flat();
          // Distinct ids, each one of the host the task went to, the count each task asked for.
          assert.equal(new Set(all).size, all.length);
          assigned.forEach((ids, t) => {
            assert.equal(ids.length, gpusPerTask);
            for (const id of ids) assert.ok(id.startsWith(`${plan.placements[t]}-`));
          });
          // Never more GPUs of a host than it registered, and the plan's view agrees with the ids.
          snapshot.forEach((h, k) => {
            const taken = all.filter((id) => id.startsWith(`${h.id}-`)).length;
            assert.ok(taken <= (h.gpuIds ?? []).length);
            assert.equal(plan.instances[k]?.gpuIds?.length, (h.gpuIds ?? []).length - taken);
          });
          // Every task was placed, or none of the hosts had the GPUs (or CPU) for one more.
          if (plan.unplaced > 0) {
            for (const h of plan.instances) assert.notEqual(rejectReason(h, wanted), undefined);
          }
        },
      ),
    );
  });
});
