import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Fault } from '../../src/core/fault.js';
import { rejectReason } from '../../src/core/placement/filters.js';
import { place } from '../../src/core/placement/place.js';
import { checkStrategies } from '../../src/core/placement/strategies.js';
import type { InstanceSnapshot, PlacementStrategy, TaskDemand } from '../../src/core/placement/types.js';

const host = (id: string, extra: Partial<InstanceSnapshot> = {}): InstanceSnapshot => ({
  id,
  status: 'ACTIVE',
  agentConnected: true,
  remainingCpu: 2048,
  remainingMemory: 4096,
  usedTcpPorts: [22, 2375, 2376, 51678, 51679],
  usedUdpPorts: [],
  attributes: { 'ecs.os-type': 'linux' },
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
const count = (ids: readonly string[]): Record<string, number> =>
  ids.reduce<Record<string, number>>((m, id) => ({ ...m, [id]: (m[id] ?? 0) + 1 }), {});

describe('placement filters', () => {
  const table: [string, InstanceSnapshot, TaskDemand, string | undefined][] = [
    ['places no task on a DRAINING instance', host('a', { status: 'DRAINING' }), demand(), 'DRAINING'],
    ['places no task on an INACTIVE instance', host('a', { status: 'INACTIVE' }), demand(), 'INACTIVE'],
    [
      'rejects an instance whose agent is disconnected with AGENT',
      host('a', { agentConnected: false }),
      demand(),
      'AGENT',
    ],
    ['rejects too little CPU with RESOURCE:CPU', host('a', { remainingCpu: 100 }), demand(), 'RESOURCE:CPU'],
    [
      'rejects too little memory with RESOURCE:MEMORY',
      host('a', { remainingMemory: 100 }),
      demand(),
      'RESOURCE:MEMORY',
    ],
    [
      'rejects a taken static TCP port with RESOURCE:PORTS',
      host('a', { usedTcpPorts: [80] }),
      demand({ tcpPorts: [80] }),
      'RESOURCE:PORTS',
    ],
    [
      'rejects a taken static UDP port with RESOURCE:PORTS_UDP',
      host('a', { usedUdpPorts: [53] }),
      demand({ udpPorts: [53] }),
      'RESOURCE:PORTS_UDP',
    ],
    [
      'does not confuse a TCP port with the same UDP port',
      host('a', { usedTcpPorts: [53] }),
      demand({ udpPorts: [53] }),
      undefined,
    ],
    [
      'rejects a missing required attribute with ATTRIBUTE',
      host('a'),
      demand({ requiredAttributes: [{ name: 'ecs.capability.task-eni' }] }),
      'ATTRIBUTE',
    ],
    [
      'rejects a required attribute with another value',
      host('a'),
      demand({ requiredAttributes: [{ name: 'ecs.os-type', value: 'windows' }] }),
      'ATTRIBUTE',
    ],
    [
      'accepts a present required attribute',
      host('a'),
      demand({ requiredAttributes: [{ name: 'ecs.os-type', value: 'linux' }] }),
      undefined,
    ],
    [
      'fits a task that uses exactly what is left',
      host('a', { remainingCpu: 256, remainingMemory: 512 }),
      demand(),
      undefined,
    ],
    [
      'counts a draining, full instance as DRAINING (first failed check)',
      host('a', { status: 'DRAINING', remainingMemory: 0 }),
      demand(),
      'DRAINING',
    ],
  ];
  for (const [name, instance, d, expected] of table) {
    it(name, () => assert.equal(rejectReason(instance, d), expected));
  }
});

describe('place', () => {
  it('places no task on a DRAINING instance', () => {
    const plan = place([host('a', { status: 'DRAINING' }), host('b')], demand(), 3, [], 'seed');
    assert.deepEqual(plan.placements, ['b', 'b', 'b']);
  });

  it('never over-commits one instance within a call and explains the rest', () => {
    const plan = place([host('a', { remainingMemory: 1024 })], demand(), 3, [], 'seed');
    assert.deepEqual(plan.placements, ['a', 'a']);
    assert.equal(plan.unplaced, 1);
    assert.equal(plan.failure?.reason, 'RESOURCE:MEMORY');
    assert.deepEqual(plan.failure?.rejections, [{ instanceId: 'a', reason: 'RESOURCE:MEMORY' }]);
    assert.equal(plan.instances[0]?.remainingMemory, 0);
  });

  it('gives a second task with the same static port another instance, then RESOURCE:PORTS', () => {
    const plan = place([host('a'), host('b')], demand({ tcpPorts: [8080] }), 3, [], 'seed');
    assert.deepEqual([...plan.placements].sort(), ['a', 'b']);
    assert.equal(plan.failure?.reason, 'RESOURCE:PORTS');
  });

  it('counts every rejected instance by reason, most common first', () => {
    const plan = place(
      [
        host('m1', { remainingMemory: 10 }),
        host('m2', { remainingMemory: 10 }),
        host('m3', { remainingMemory: 10 }),
        host('g1', { agentConnected: false }),
        host('g2', { agentConnected: false }),
        host('d1', { status: 'DRAINING' }),
      ],
      demand(),
      2,
      [],
      'seed',
    );
    assert.equal(plan.unplaced, 2);
    assert.equal(plan.failure?.reason, 'RESOURCE:MEMORY');
    assert.equal(
      plan.failure?.detail,
      '3 instances: RESOURCE:MEMORY; 2 instances: AGENT; 1 instance: DRAINING',
    );
    assert.deepEqual(plan.evaluations[0]?.rejected, { 'RESOURCE:MEMORY': 3, AGENT: 2, DRAINING: 1 });
  });

  it('reports NO_INSTANCES for an empty cluster', () => {
    const plan = place([], demand(), 1, [], 'seed');
    assert.equal(plan.failure?.reason, 'NO_INSTANCES');
  });

  it('binpacks on memory: fills the instance with the least memory left first', () => {
    const plan = place(
      [
        host('big', { remainingMemory: 8192 }),
        host('small', { remainingMemory: 1024 }),
        host('mid', { remainingMemory: 2048 }),
      ],
      demand(),
      4,
      [{ type: 'binpack', field: 'memory' }],
      'seed',
    );
    assert.deepEqual(plan.placements, ['small', 'small', 'mid', 'mid']);
  });

  it('spreads across three zones, then binpacks memory inside each zone (ECS documented example)', () => {
    const zone = (id: string, az: string, mem: number): InstanceSnapshot =>
      host(id, { remainingMemory: mem, attributes: { 'ecs.availability-zone': az } });
    const snapshot = [
      zone('a-big', 'us-east-1a', 8192),
      zone('a-small', 'us-east-1a', 2048),
      zone('b-big', 'us-east-1b', 8192),
      zone('b-small', 'us-east-1b', 2048),
      zone('c-only', 'us-east-1c', 4096),
    ];
    const plan = place(
      snapshot,
      demand(),
      6,
      [
        { type: 'spread', field: 'attribute:ecs.availability-zone' },
        { type: 'binpack', field: 'memory' },
      ],
      'seed',
    );
    const byZone = count(plan.placements.map((id) => id.split('-')[0] ?? ''));
    assert.deepEqual(byZone, { a: 2, b: 2, c: 2 });
    assert.ok(!plan.placements.includes('a-big') && !plan.placements.includes('b-big'));
  });

  it('spreads by instanceId one task per instance before doubling up', () => {
    const plan = place(
      [host('a'), host('b'), host('c')],
      demand(),
      4,
      [{ type: 'spread', field: 'instanceId' }],
      's',
    );
    const c = count(plan.placements);
    assert.deepEqual(Object.values(c).sort(), [1, 1, 2]);
  });

  it('spread counts tasks of the group already running', () => {
    const plan = place(
      [host('a', { groupTasks: 2 }), host('b')],
      demand(),
      2,
      [{ type: 'spread', field: 'instanceId' }],
      's',
    );
    assert.deepEqual(plan.placements, ['b', 'b']);
  });

  it('replays the same random placement from the same seed, and differs by seed', () => {
    const hosts = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => host(id));
    const one = place(hosts, demand(), 5, [{ type: 'random' }], 'task-1').placements;
    assert.deepEqual(place(hosts, demand(), 5, [{ type: 'random' }], 'task-1').placements, one);
    const others = ['task-2', 'task-3', 'task-4'].map(
      (s) => place(hosts, demand(), 5, [{ type: 'random' }], s).placements,
    );
    assert.ok(others.some((p) => p.join() !== one.join()));
  });

  it('refuses strategies ECS refuses', () => {
    const code = (s: PlacementStrategy[]): string => {
      try {
        checkStrategies(s);
        return 'accepted';
      } catch (e) {
        assert.ok(e instanceof Fault);
        return e.code;
      }
    };
    assert.equal(code([{ type: 'binpack', field: 'disk' }]), 'InvalidParameterException');
    assert.equal(code([{ type: 'spread' }]), 'InvalidParameterException');
    assert.equal(
      code(Array.from({ length: 6 }, () => ({ type: 'random' as const }))),
      'InvalidParameterException',
    );
    assert.equal(
      code([
        { type: 'spread', field: 'host' },
        { type: 'binpack', field: 'CPU' },
      ]),
      'accepted',
    );
  });

  it('does not modify the snapshot it was given', () => {
    const snapshot = Object.freeze([Object.freeze(host('a'))]);
    place(snapshot, demand({ tcpPorts: [80] }), 1, [], 's');
    assert.equal(snapshot[0]?.remainingMemory, 4096);
    assert.ok(!snapshot[0]?.usedTcpPorts.includes(80));
  });
});

describe('distinctInstance', () => {
  it('puts each task of the group on its own instance, then refuses with ECS reason', () => {
    const cluster = [host('a'), host('b'), host('c', { groupTasks: 1 })];
    const plan = place(
      cluster,
      demand({ distinctInstance: true }),
      3,
      [{ type: 'binpack', field: 'memory' }],
      's',
    );
    assert.deepEqual([...plan.placements].sort(), ['a', 'b'], 'c already holds a task of the group');
    assert.equal(plan.unplaced, 1);
    assert.equal(plan.failure?.reason, 'DistinctInstance placement constraint unsatisfied.');
    assert.equal(plan.failure?.detail, '3 instances: DistinctInstance placement constraint unsatisfied.');
  });

  it('never co-locates two tasks of the group, whatever the strategies (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom<PlacementStrategy[]>(
          [],
          [{ type: 'binpack', field: 'memory' }],
          [{ type: 'spread', field: 'instanceId' }],
        ),
        (n, already, count_, strategies) => {
          const cluster = Array.from({ length: n }, (_, k) =>
            host(`i-${k}`, { groupTasks: already[k] ?? 0 }),
          );
          const plan = place(cluster, demand({ distinctInstance: true }), count_, strategies, 'seed');
          const free = cluster.filter((i) => (i.groupTasks ?? 0) === 0).map((i) => i.id);
          assert.equal(new Set(plan.placements).size, plan.placements.length, 'two tasks on one instance');
          for (const id of plan.placements) assert.ok(free.includes(id), `${id} already held one`);
          assert.equal(plan.placements.length, Math.min(count_, free.length));
        },
      ),
    );
  });
});

describe('placement properties', () => {
  const instanceArb = (id: string, zones: readonly string[]): fc.Arbitrary<InstanceSnapshot> =>
    fc
      .record({
        status: fc.constantFrom('ACTIVE', 'ACTIVE', 'ACTIVE', 'DRAINING' as const),
        agentConnected: fc.boolean(),
        remainingCpu: fc.integer({ min: 0, max: 4096 }),
        remainingMemory: fc.integer({ min: 0, max: 8192 }),
        usedTcpPorts: fc.uniqueArray(fc.constantFrom(80, 443, 8080, 9000), { maxLength: 2 }),
        zone: fc.constantFrom(...zones),
      })
      .map(({ zone, ...r }) => ({
        ...r,
        id,
        usedUdpPorts: [],
        attributes: { 'ecs.availability-zone': zone },
      }));
  const clusterArb = fc
    .integer({ min: 1, max: 12 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, k) => instanceArb(`i-${k}`, ['a', 'b', 'c']))));
  const demandArb: fc.Arbitrary<TaskDemand> = fc.record({
    cpu: fc.integer({ min: 0, max: 1024 }),
    memory: fc.integer({ min: 1, max: 2048 }),
    tcpPorts: fc.uniqueArray(fc.constantFrom(80, 443, 8080), { maxLength: 2 }),
    udpPorts: fc.constant([]),
    requiredAttributes: fc.constant([]),
  });
  const strategyArb: fc.Arbitrary<PlacementStrategy[]> = fc.array(
    fc.constantFrom<PlacementStrategy>(
      { type: 'random' },
      { type: 'binpack', field: 'cpu' },
      { type: 'binpack', field: 'memory' },
      { type: 'spread', field: 'instanceId' },
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
    ),
    { maxLength: 3 },
  );

  it('never exceeds any instance CPU or memory and never reuses a static host port on one instance', () => {
    fc.assert(
      fc.property(
        clusterArb,
        demandArb,
        fc.integer({ min: 1, max: 20 }),
        strategyArb,
        fc.string(),
        (cluster, d, n, s, seed) => {
          const plan = place(cluster, d, n, s, seed);
          const placed = count(plan.placements);
          for (const inst of cluster) {
            const k = placed[inst.id] ?? 0;
            if (k === 0) continue;
            assert.ok(inst.status === 'ACTIVE' && inst.agentConnected);
            assert.ok(k * d.cpu <= inst.remainingCpu, 'cpu');
            assert.ok(k * d.memory <= inst.remainingMemory, 'memory');
            if (d.tcpPorts.length) assert.equal(k, 1, 'a static port twice on one instance');
            assert.ok(!d.tcpPorts.some((p) => inst.usedTcpPorts.includes(p)));
          }
          assert.equal(plan.placements.length + plan.unplaced, n);
          for (const after of plan.instances)
            assert.ok(after.remainingCpu >= 0 && after.remainingMemory >= 0);
          for (const ev of plan.evaluations) {
            const rejected = Object.values(ev.rejected).reduce((a, b) => a + b, 0);
            assert.equal(
              ev.feasible + rejected,
              cluster.length,
              'every instance is feasible or rejected with a reason',
            );
          }
        },
      ),
    );
  });

  it('binpack never picks an instance with more of the resource left than another feasible one', () => {
    fc.assert(
      fc.property(
        clusterArb,
        demandArb,
        fc.constantFrom('cpu', 'memory'),
        fc.string(),
        (cluster, d, field, seed) => {
          const plan = place(cluster, d, 1, [{ type: 'binpack', field }], seed);
          const chosen = plan.placements[0];
          if (chosen === undefined) return;
          const left = (i: InstanceSnapshot): number =>
            field === 'cpu' ? i.remainingCpu : i.remainingMemory;
          const pick = cluster.find((i) => i.id === chosen) as InstanceSnapshot;
          for (const other of cluster) {
            if (rejectReason(other, d) === undefined) assert.ok(left(pick) <= left(other));
          }
        },
      ),
    );
  });

  it('spread over k values never differs by more than 1 when capacity allows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 40 }),
        fc.string(),
        (k, perValue, n, seed) => {
          const zones = Array.from({ length: k }, (_, z) => `z${z}`);
          const cluster = zones.flatMap((z) =>
            Array.from({ length: perValue }, (_, j) =>
              host(`${z}-${j}`, { remainingCpu: 1e6, remainingMemory: 1e6, attributes: { zone: z } }),
            ),
          );
          const plan = place(cluster, demand(), n, [{ type: 'spread', field: 'attribute:zone' }], seed);
          assert.equal(plan.unplaced, 0);
          const byZone = count(plan.placements.map((id) => id.split('-')[0] ?? ''));
          const counts = zones.map((z) => byZone[z] ?? 0);
          assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, JSON.stringify(counts));
        },
      ),
    );
  });
});
