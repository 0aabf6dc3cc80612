import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { place } from '../src/core/placement/place.js';
import { rejectReason } from '../src/core/placement/filters.js';
import type { InstanceSnapshot, PlacementStrategy, TaskDemand } from '../src/core/placement/types.js';

/**
 * The placement engine's own speed (`npm run bench:placement`): placement decisions per second of
 * the pure engine (`core/placement/place`) on simulated clusters of 1,000 / 5,000 / 10,000
 * instances in 3 zones with mixed sizes, placing RunTask-sized batches (count 10) until the
 * cluster is full or the task budget is spent — exact ECS semantics, every instance evaluated.
 *
 * Baseline, measured in the same run on the same clusters: a first-fit scan (the first instance
 * with room takes the task; no strategy) — the least any placer that looks at every instance can
 * do. The ratio says how much the exact strategy chain costs over that floor.
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
const BATCH = 10;

interface Case {
  readonly name: string;
  readonly strategies: readonly PlacementStrategy[];
}
const CASES: readonly Case[] = [
  {
    name: 'spread(zone) then binpack(memory)',
    strategies: [
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
      { type: 'binpack', field: 'memory' },
    ],
  },
  { name: 'random (RunTask default)', strategies: [] },
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

/** Places batches with the exact engine, feeding each plan's instances to the next call. */
function exact(instances: InstanceSnapshot[], strategies: readonly PlacementStrategy[]): number {
  let snapshot: readonly InstanceSnapshot[] = instances;
  let placed = 0;
  for (let call = 0; placed < taskBudget; call++) {
    const plan = place(snapshot, DEMAND, Math.min(BATCH, taskBudget - placed), strategies, `seed-${call}`);
    placed += plan.placements.length;
    snapshot = plan.instances;
    if (plan.unplaced > 0) break;
  }
  return placed;
}

/** First fit over the same filters: the floor for a placer that looks at every instance. */
function firstFit(instances: InstanceSnapshot[]): number {
  const work = instances.map((i) => ({ ...i }));
  let placed = 0;
  while (placed < taskBudget) {
    const index = work.findIndex((i) => rejectReason(i, DEMAND) === undefined);
    if (index < 0) break;
    const i = work[index]!;
    work[index] = {
      ...i,
      remainingCpu: i.remainingCpu - DEMAND.cpu,
      remainingMemory: i.remainingMemory - DEMAND.memory,
    };
    placed++;
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
      engine.push(timed(() => exact(cluster(n), c.strategies)).perSecond);
      floor.push(timed(() => firstFit(cluster(n))).perSecond);
    }
    const e = median(engine);
    const f = median(floor);
    rows.push(
      `| ${n.toLocaleString('en-US')} | ${c.name} | ${Math.round(e).toLocaleString('en-US')} | ${Math.round(f).toLocaleString('en-US')} | ${(e / f).toFixed(3)} | ${(1e6 / e).toFixed(0)} µs |`,
    );
    process.stderr.write(`${n} ${c.name}: ${Math.round(e)}/s (first fit ${Math.round(f)}/s)\n`);
  }
}

process.stdout.write(
  [
    `Placement engine, ${taskBudget} tasks per case in batches of ${BATCH} (cpu ${DEMAND.cpu}, memory ${DEMAND.memory}), median of ${repeats}; load average ${loadavg()[0]?.toFixed(1)}`,
    '',
    '| instances | strategy | placements/s | first-fit placements/s | ratio | per placement |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
