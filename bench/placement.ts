import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { place } from '../src/core/placement/place.js';
import { parseQuery } from '../src/core/placement/query-parser.js';
import type { InstanceSnapshot, PlacementStrategy, TaskDemand } from '../src/core/placement/types.js';
import { referencePlace } from '../test/support/reference-place.js';

/**
 * The placement engine's own speed (`npm run bench:placement`): placement decisions per second of
 * the pure engine (`core/placement/place`) on simulated clusters of 1,000 / 5,000 / 10,000
 * instances in 3 zones with mixed sizes, placing RunTask-sized batches (count 10; one case also
 * in service-sized batches of 100) until the task budget is spent — exact ECS semantics, every
 * instance evaluated, no sampling.
 *
 * Baseline, measured in the same run on the same clusters: the plainly written engine the indexed
 * one replaced (test/support/reference-place.ts; test/unit/placement-fast.test.ts proves both
 * give the same plans). The ratio is the speed-up of the engine Berth runs.
 *
 * Environment: BENCH_SIZES (default "1000,5000,10000"), BENCH_TASKS (tasks placed per case,
 * default 1000), BENCH_REPEATS (default 3; the median is reported).
 */
const sizes = (process.env.BENCH_SIZES ?? '1000,5000,10000').split(',').map(Number);
const taskBudget = Number(process.env.BENCH_TASKS ?? 1000);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const SIZES = [
  { type: 'small', cpu: 2048, memory: 3800 },
  { type: 'medium', cpu: 4096, memory: 7700 },
  { type: 'large', cpu: 8192, memory: 15600 },
];
const DEMAND: TaskDemand = { cpu: 256, memory: 512, tcpPorts: [], udpPorts: [], requiredAttributes: [] };
const ZONE_THEN_MEMORY: readonly PlacementStrategy[] = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'binpack', field: 'memory' },
];

interface Case {
  readonly name: string;
  readonly strategies: readonly PlacementStrategy[];
  readonly demand: TaskDemand;
  /** Tasks per place() call: 10 is RunTask's most; a service places more at once. */
  readonly batch: number;
}
const CASES: readonly Case[] = [
  { name: 'spread(zone) then binpack(memory)', strategies: ZONE_THEN_MEMORY, demand: DEMAND, batch: 10 },
  {
    name: 'the same with memberOf(instance-type in [medium, large])',
    strategies: ZONE_THEN_MEMORY,
    demand: { ...DEMAND, memberOf: [parseQuery('attribute:ecs.instance-type in [medium, large]')] },
    batch: 10,
  },
  { name: 'random (RunTask default)', strategies: [], demand: DEMAND, batch: 10 },
  {
    name: 'spread(zone) then binpack(memory), batches of 100',
    strategies: ZONE_THEN_MEMORY,
    demand: DEMAND,
    batch: 100,
  },
];

function cluster(n: number): InstanceSnapshot[] {
  return Array.from({ length: n }, (_, i) => {
    const size = SIZES[i % SIZES.length]!;
    return {
      id: `arn:aws:ecs:us-east-1:000000000000:container-instance/sim/${i.toString(16).padStart(32, '0')}`,
      status: 'ACTIVE',
      agentConnected: true,
      remainingCpu: size.cpu,
      remainingMemory: size.memory,
      usedTcpPorts: [22, 2375, 2376, 51678, 51679],
      usedUdpPorts: [],
      attributes: {
        'ecs.availability-zone': ZONES[i % ZONES.length]!,
        'ecs.instance-type': size.type,
        'ecs.os-type': 'linux',
      },
    };
  });
}

type Engine = typeof place;

/** Places batches with `engine`, feeding each plan's instances to the next call. */
function fill(engine: Engine, instances: InstanceSnapshot[], c: Case): number {
  let snapshot: readonly InstanceSnapshot[] = instances;
  let placed = 0;
  for (let call = 0; placed < taskBudget; call++) {
    const plan = engine(
      snapshot,
      c.demand,
      Math.min(c.batch, taskBudget - placed),
      c.strategies,
      `seed-${call}`,
    );
    placed += plan.placements.length;
    snapshot = plan.instances;
    if (plan.unplaced > 0) break;
  }
  return placed;
}

function timed(run: () => number): { placed: number; perSecond: number } {
  const start = performance.now();
  const placed = run();
  const seconds = (performance.now() - start) / 1000;
  return { placed, perSecond: placed / seconds };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const rows: string[] = [];
for (const n of sizes) {
  for (const c of CASES) {
    const engine: number[] = [];
    const floor: number[] = [];
    // Alternate the two so a burst of background load lands on both.
    for (let r = 0; r < repeats; r++) {
      engine.push(timed(() => fill(place, cluster(n), c)).perSecond);
      floor.push(timed(() => fill(referencePlace, cluster(n), c)).perSecond);
    }
    const e = median(engine);
    const f = median(floor);
    rows.push(
      `| ${n.toLocaleString('en-US')} | ${c.name} | ${Math.round(e).toLocaleString('en-US')} | ${Math.round(f).toLocaleString('en-US')} | ${(e / f).toFixed(3)} | ${(1e6 / e).toFixed(0)} µs |`,
    );
    process.stderr.write(`${n} ${c.name}: ${Math.round(e)}/s (reference engine ${Math.round(f)}/s)\n`);
  }
}

process.stdout.write(
  [
    `Placement engine, ${taskBudget} tasks per case (cpu ${DEMAND.cpu}, memory ${DEMAND.memory}), median of ${repeats}; load average ${loadavg()[0]?.toFixed(1)}`,
    '',
    '| instances | case | placements/s | reference engine placements/s | speed-up | per placement |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
