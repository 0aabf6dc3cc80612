import type { ChildMemory } from './child.js';
import type { Call } from './fill.js';
import { Histogram } from './histogram.js';
import { table } from './report.js';

/** What bench/api-placement.ts measures per cluster size, and its Markdown tables. */
export interface Baseline {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

export interface RunningSample {
  /** ms since the fill started. */
  readonly ms: number;
  readonly running: number;
  readonly pending: number;
}

export interface PlacementCase {
  readonly instances: number;
  /** `split`: control plane and simulated hosts in two processes; `one`: both in one. */
  readonly mode: string;
  /** From starting the hosts until every one showed ACTIVE and connected. */
  readonly registerSeconds: number;
  readonly placed: number;
  readonly full: boolean;
  readonly fullDetail?: string;
  readonly partialCalls: number;
  readonly fillSeconds: number;
  readonly tasksPerSecond: number;
  readonly callsPerSecond: number;
  readonly runTaskP50: number;
  readonly runTaskP99: number;
  readonly runTaskMax: number;
  readonly runningAtFillEnd: number;
  readonly runningAtEnd: number;
  readonly pendingAtEnd: number;
  /** From the fill's end until DescribeClusters showed every placed task RUNNING; undefined: never did. */
  readonly allRunningAfterSeconds: number | undefined;
  readonly memoryIdle: ChildMemory;
  readonly memoryAtMilestone: ChildMemory | undefined;
  readonly memoryEnd: ChildMemory;
  readonly simMemoryEnd: ChildMemory | undefined;
  /** The control plane process's CPU time over the fill per task placed (µs). */
  readonly planeCpuUsPerTask: number;
  /** The simulated hosts' process's, when apart. */
  readonly simCpuUsPerTask: number | undefined;
  /** The bare node:http server answering a canned RunTask (count 10) answer. */
  readonly bare: Baseline;
  /** DescribeClusters on the same Berth, hosts connected, before the fill. */
  readonly describe: Baseline;
  /** Requests the control plane served per operation, during the fill and during the wait after it. */
  readonly fillRequests: Readonly<Record<string, number>>;
  readonly settleRequests: Readonly<Record<string, number>>;
  readonly calls: readonly Call[];
  readonly runningSamples: readonly RunningSample[];
  /** CPU profiles of the control plane taken (BENCH_PROFILE=1): the fill's, then the wait's. */
  readonly profiles: readonly string[];
}

const fixed = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
const ms = (n: number): string => fixed(n, n < 10 ? 2 : 1);
const mib = (bytes: number): string => fixed(bytes / 1024 / 1024);
const memory = (m: ChildMemory | undefined): string =>
  m === undefined ? 'n/a' : `${mib(m.rssBytes)} / ${mib(m.heapUsedBytes)}`;
const thousands = (n: number): string => n.toLocaleString('en-US');
/** Two significant digits: the ratios here span 0.0005 to 1. */
const ratio = (n: number): string => (Number.isFinite(n) ? n.toPrecision(2) : 'n/a');

export function caseTables(cases: readonly PlacementCase[], memoryAt: number): string {
  const main = table(
    [
      'Instances',
      'Hosts ready s',
      'Tasks placed',
      'Ended',
      'Fill s',
      'Tasks/s',
      'RunTask p50 / p99 ms',
      'RUNNING at fill end',
      'All RUNNING after s',
    ],
    cases.map((c) => [
      thousands(c.instances),
      fixed(c.registerSeconds, 1),
      thousands(c.placed),
      c.full ? 'full' : 'time limit',
      fixed(c.fillSeconds, 1),
      fixed(c.tasksPerSecond),
      `${ms(c.runTaskP50)} / ${ms(c.runTaskP99)}`,
      thousands(c.runningAtFillEnd),
      c.allRunningAfterSeconds === undefined
        ? `never (${thousands(c.runningAtEnd)})`
        : fixed(c.allRunningAfterSeconds, 1),
    ]),
  );
  const ratios = table(
    [
      'Instances',
      'Berth tasks/s',
      'Bare node:http, canned RunTask: tasks/s (p50 / p99 ms)',
      'Ratio',
      'Berth DescribeClusters req/s (p50 / p99 ms)',
      'RunTask calls/s ÷ DescribeClusters req/s',
    ],
    cases.map((c) => [
      thousands(c.instances),
      fixed(c.tasksPerSecond),
      `${fixed(c.bare.rps * 10)} (${ms(c.bare.p50)} / ${ms(c.bare.p99)})`,
      ratio(c.tasksPerSecond / (c.bare.rps * 10)),
      `${fixed(c.describe.rps)} (${ms(c.describe.p50)} / ${ms(c.describe.p99)})`,
      ratio(c.callsPerSecond / c.describe.rps),
    ]),
  );
  const resources = table(
    [
      'Instances',
      'Control plane RSS / heap MiB: idle',
      `at ${thousands(memoryAt)} tasks`,
      'at the end',
      'Control plane CPU µs per task',
      'Hosts process CPU µs per task',
      'Hosts process RSS / heap MiB at the end',
    ],
    cases.map((c) => [
      thousands(c.instances),
      memory(c.memoryIdle),
      memory(c.memoryAtMilestone),
      memory(c.memoryEnd),
      fixed(c.planeCpuUsPerTask),
      fixed(c.simCpuUsPerTask),
      memory(c.simMemoryEnd),
    ]),
  );
  return `${main}\n\n${ratios}\n\n${resources}`;
}

/** What the control plane served per task placed: RunTask, the agents' Polls and reports, the benchmark's checks. */
export function requestTable(cases: readonly PlacementCase[]): string {
  const operations = [
    ...new Set(cases.flatMap((c) => [...Object.keys(c.fillRequests), ...Object.keys(c.settleRequests)])),
  ].sort();
  return table(
    ['Operation', ...cases.map((c) => `${thousands(c.instances)} instances`)],
    operations.map((op) => [
      op,
      ...cases.map(
        (c) =>
          `${fixed((c.fillRequests[op] ?? 0) / c.placed, 2)} + ${fixed((c.settleRequests[op] ?? 0) / c.placed, 2)}`,
      ),
    ]),
  );
}

/** The fill cut into tenths of the tasks placed: throughput and RunTask latency in each. */
export function decileTable(c: PlacementCase): string {
  const total = c.calls.at(-1)?.placedSoFar ?? 0;
  const rows: string[][] = [];
  let from = 0;
  let previousEndMs = 0;
  for (let d = 1; d <= 10 && total > 0; d++) {
    const upTo = Math.ceil((total * d) / 10);
    const histogram = new Histogram();
    let lastEnd = previousEndMs;
    let placedTo = from;
    for (const call of c.calls) {
      if (call.placedSoFar <= from || call.placedSoFar > upTo) continue;
      histogram.record(call.latencyMs);
      lastEnd = Math.max(lastEnd, call.endMs);
      placedTo = Math.max(placedTo, call.placedSoFar);
    }
    if (histogram.count === 0) continue;
    const seconds = (lastEnd - previousEndMs) / 1000;
    rows.push([
      `${thousands(from)}–${thousands(placedTo)}`,
      fixed((placedTo - from) / seconds),
      ms(histogram.quantile(0.5)),
      ms(histogram.quantile(0.99)),
    ]);
    from = placedTo;
    previousEndMs = lastEnd;
  }
  return table(['Tasks placed', 'Tasks/s', 'RunTask p50 ms', 'RunTask p99 ms'], rows);
}
