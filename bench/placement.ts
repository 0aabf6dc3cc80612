import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { place } from '../src/core/placement/place.js';
import { prepareCluster, type PreparedCluster } from '../src/core/placement/prepared.js';
import { parseQuery } from '../src/core/placement/query-parser.js';
import type { InstanceSnapshot, PlacementStrategy, TaskDemand } from '../src/core/placement/types.js';
import { referencePlace } from '../test/support/reference-place.js';

/**
 * The placement engine's own speed (`npm run bench:placement`): placement decisions per second of
 * the pure engine (`core/placement/place`) on simulated clusters of 1,000 / 5,000 / 10,000
 * instances in 3 zones with mixed sizes, placing single tasks (count 1), RunTask-sized batches
 * (count 10) and service-sized ones (count 100) until the task budget is spent, each call on the
 * snapshot the previous one left — exact ECS semantics, every instance evaluated, no sampling.
 *
 * Two ways of calling the engine are measured: on a `PreparedCluster` carried from call to call
 * (`prepareCluster(plan.instances, previous)`, what a caller that keeps its snapshot does), and on
 * the bare snapshot array (columns built in every call).
 *
 * Baseline, measured in the same run on the same clusters: the plainly written engine the indexed
 * one replaced (test/support/reference-place.ts; test/unit/placement-fast.test.ts proves both
 * give the same plans, and this benchmark checks that every run placed exactly as it did). The
 * ratio is the speed-up of the engine Berth runs.
 *
 * Environment: BENCH_SIZES (default "1000,5000,10000"), BENCH_TASKS (tasks placed per case,
 * default 1000), BENCH_REPEATS (default 3; the median is reported), BENCH_CASES (a substring of
 * the case names to run only those).
 */
const sizes = (process.env.BENCH_SIZES ?? '1000,5000,10000').split(',').map(Number);
const taskBudget = Number(process.env.BENCH_TASKS ?? 1000);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const only = process.env.BENCH_CASES ?? '';
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const SIZES = [
  { type: 'small', cpu: 2048, memory: 3800 },
  { type: 'medium', cpu: 4096, memory: 7700 },
  { type: 'large', cpu: 8192, memory: 15600 },
];
const DEMAND: TaskDemand = { cpu: 256, memory: 512, tcpPorts: [], udpPorts: [], requiredAttributes: [] };
const MEMBER_OF: TaskDemand = {
  ...DEMAND,
  memberOf: [parseQuery('attribute:ecs.instance-type in [medium, large]')],
};
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
const SPREAD = 'spread(zone) then binpack(memory)';
const WITH_MEMBER_OF = 'the same with memberOf(instance-type in [medium, large])';
const CASES: readonly Case[] = [
  { name: `${SPREAD}, single tasks`, strategies: ZONE_THEN_MEMORY, demand: DEMAND, batch: 1 },
  { name: `${SPREAD}, calls of 10`, strategies: ZONE_THEN_MEMORY, demand: DEMAND, batch: 10 },
  { name: `${WITH_MEMBER_OF}, single tasks`, strategies: ZONE_THEN_MEMORY, demand: MEMBER_OF, batch: 1 },
  { name: `${WITH_MEMBER_OF}, calls of 10`, strategies: ZONE_THEN_MEMORY, demand: MEMBER_OF, batch: 10 },
  { name: 'random (RunTask default), calls of 10', strategies: [], demand: DEMAND, batch: 10 },
  { name: `${SPREAD}, calls of 100`, strategies: ZONE_THEN_MEMORY, demand: DEMAND, batch: 100 },
].filter((c) => c.name.includes(only));

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

/** One placement call on the cluster as the last call left it; returns the plan's instances. */
type Engine = (
  instances: readonly InstanceSnapshot[],
  c: Case,
  count: number,
  seed: string,
) => { placements: readonly string[]; unplaced: number; instances: readonly InstanceSnapshot[] };

/** The engine on a PreparedCluster that follows the plans from call to call. */
function preparedEngine(): Engine {
  let prepared: PreparedCluster | undefined;
  return (instances, c, count, seed) => {
    prepared = prepareCluster(instances, prepared);
    return place(prepared, c.demand, count, c.strategies, seed);
  };
}

const ENGINES: readonly { readonly name: string; readonly make: () => Engine }[] = [
  { name: 'prepared', make: preparedEngine },
  { name: 'snapshot', make: () => (i, c, count, seed) => place(i, c.demand, count, c.strategies, seed) },
  {
    name: 'reference',
    make: () => (i, c, count, seed) => referencePlace(i, c.demand, count, c.strategies, seed),
  },
];

/** Places batches until the budget is spent; returns every placement, in order. */
function fill(engine: Engine, instances: InstanceSnapshot[], c: Case): string[] {
  let snapshot: readonly InstanceSnapshot[] = instances;
  const placed: string[] = [];
  for (let call = 0; placed.length < taskBudget; call++) {
    const plan = engine(snapshot, c, Math.min(c.batch, taskBudget - placed.length), `seed-${call}`);
    placed.push(...plan.placements);
    snapshot = plan.instances;
    if (plan.unplaced > 0) break;
  }
  return placed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const rate = (x: number): string => Math.round(x).toLocaleString('en-US');
const rows: string[] = [];
for (const n of sizes) {
  for (const c of CASES) {
    const rates = ENGINES.map(() => [] as number[]);
    // Alternate the engines so a burst of background load lands on all of them.
    for (let r = 0; r < repeats; r++) {
      const plans = ENGINES.map((e, k) => {
        const instances = cluster(n);
        const engine = e.make();
        const start = performance.now();
        const placed = fill(engine, instances, c);
        rates[k]!.push(placed.length / ((performance.now() - start) / 1000));
        return placed;
      });
      for (const [k, placed] of plans.entries())
        if (JSON.stringify(placed) !== JSON.stringify(plans.at(-1)))
          throw new Error(`${ENGINES[k]!.name} placed differently from the reference engine: ${n} ${c.name}`);
    }
    const [prepared, snapshot, reference] = rates.map(median) as [number, number, number];
    rows.push(
      `| ${n.toLocaleString('en-US')} | ${c.name} | ${rate(prepared)} | ${rate(snapshot)} | ${rate(reference)} | ${(prepared / reference).toFixed(1)} | ${(1e6 / prepared).toFixed(1)} µs |`,
    );
    process.stderr.write(
      `${n} ${c.name}: prepared ${rate(prepared)}/s, snapshot ${rate(snapshot)}/s, reference ${rate(reference)}/s\n`,
    );
  }
}

process.stdout.write(
  [
    `Placement engine, ${taskBudget} tasks per case (cpu ${DEMAND.cpu}, memory ${DEMAND.memory}), median of ${repeats}; load average ${loadavg()[0]?.toFixed(1)}`,
    '',
    '| instances | case | placements/s (prepared) | placements/s (snapshot array) | reference engine placements/s | speed-up (prepared) | per placement (prepared) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
