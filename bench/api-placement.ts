import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startChild, type ChildMemory, type ServerChild } from './lib/child.js';
import { ECS_TARGET_PREFIX, SignedClient } from './lib/client.js';
import { fill } from './lib/fill.js';
import { Histogram } from './lib/histogram.js';
import { runSlice } from './lib/load.js';
import {
  caseTables,
  decileTable,
  requestTable,
  type Baseline,
  type PlacementCase,
  type RunningSample,
} from './lib/placement-report.js';

/**
 * End-to-end placement through the API (`npm run bench:api-placement`): on `berth sim` clusters of
 * 1,000 and 5,000 simulated hosts (real agents over the fake runtime) in 3 zones with mixed sizes,
 * 16 clients loop RunTask (count 10, spread over zones then binpack on memory) until a call
 * places nothing; then the benchmark waits until every placed task is RUNNING on its simulated
 * host. Reported: tasks placed per second, RunTask latency, how far the agents followed, the
 * control plane's memory (idle, at BENCH_MEMORY_AT tasks, at the end) and CPU per task, and the
 * cost against how full the cluster was. See docs/benchmarks.md.
 *
 * Baselines, in the same run: the bare node:http server of serve-baseline.ts answering the bytes of
 * a real RunTask answer (the floor for this request and answer through this client), and
 * DescribeClusters on the same Berth with the same hosts connected (Berth's own floor per request).
 *
 * Environment:
 *   BENCH_SIZES             instance counts (default "1000,5000")
 *   BENCH_HOST_SIZES        host sizes, cpu:memory (default "2048:3800,4096:7700,8192:15600")
 *   BENCH_ZONES             availability zones (default "zone-a,zone-b,zone-c")
 *   BENCH_CLIENTS           concurrent RunTask clients (default 16)
 *   BENCH_SIM               `split` (default): the control plane and the simulated hosts in two
 *                           processes; `one`: both in the one `berth sim` process
 *   BENCH_MEMORY_AT         tasks placed at which the control plane's memory is read (default 100000)
 *   BENCH_TIME_LIMIT        seconds a fill may take before it is stopped, not full (default 1800)
 *   BENCH_BASELINE_SECONDS  seconds per baseline measurement (default 3)
 *   BENCH_SETTLE_SECONDS    seconds to wait for every task to be RUNNING (default 300)
 *   BENCH_PROFILE=1         V8 CPU profiles of the control plane: over each fill, and over the
 *                           wait for every task to be RUNNING (bench/results/profiles)
 */
const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');
const env = process.env;
const instanceCounts = (env.BENCH_SIZES ?? '1000,5000').split(',').map(Number);
const hostSizes = env.BENCH_HOST_SIZES ?? '2048:3800,4096:7700,8192:15600';
const zones = (env.BENCH_ZONES ?? 'zone-a,zone-b,zone-c').split(',');
const clients = Number(env.BENCH_CLIENTS ?? 16);
const mode = env.BENCH_SIM ?? 'split';
const memoryAt = Number(env.BENCH_MEMORY_AT ?? 100_000);
const timeLimitS = Number(env.BENCH_TIME_LIMIT ?? 1800);
const baselineS = Number(env.BENCH_BASELINE_SECONDS ?? 3);
const settleS = Number(env.BENCH_SETTLE_SECONDS ?? 300);
const profile = env.BENCH_PROFILE === '1';
if (
  instanceCounts.some((n) => !Number.isInteger(n) || n < 1) ||
  !Number.isInteger(clients) ||
  clients < 1 ||
  (mode !== 'split' && mode !== 'one') ||
  !(timeLimitS > 0 && baselineS > 0 && settleS > 0 && memoryAt > 0)
) {
  throw new Error('bad BENCH_* settings (see the comment at the top of bench/api-placement.ts)');
}

const CLUSTER = 'bench-placement';
const FAMILY = 'bench-placement';
const COUNT = 10;
const RUN_TASK = JSON.stringify({
  cluster: CLUSTER,
  taskDefinition: FAMILY,
  count: COUNT,
  placementStrategy: [
    { type: 'spread', field: 'attribute:ecs.availability-zone' },
    { type: 'binpack', field: 'memory' },
  ],
});
const DESCRIBE_CLUSTER = JSON.stringify({ clusters: [CLUSTER] });
/** Sampling the RUNNING count costs one DescribeClusters per period: nothing next to the fill. */
const RUNNING_SAMPLE_MS = 2_000;
/** How often the wait for every task to be RUNNING asks; its DescribeClusters are served too. */
const SETTLE_CHECK_MS = 1_000;
/** A progress line every this many samples. */
const PROGRESS_EVERY = 15;

const log = (message: string): void => void process.stderr.write(`${message}\n`);

interface Key {
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}
interface PlaneInfo extends Key {
  readonly port: number;
  readonly pid: number;
}
interface SimInfo extends Partial<Key> {
  readonly endpoint: string;
  readonly instances: number;
  readonly pid: number;
  readonly registerMs: number;
}

async function ok(client: SignedClient, operation: string, body: string): Promise<Record<string, unknown>> {
  const reply = await client.call(operation, body);
  const text = reply.body.toString('utf8');
  if (reply.status !== 200) throw new Error(`${operation} answered ${reply.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** The cluster's RUNNING and PENDING task counts, as DescribeClusters shows them. */
async function counts(client: SignedClient): Promise<{ running: number; pending: number }> {
  const answer = await ok(client, 'DescribeClusters', DESCRIBE_CLUSTER);
  const cluster = (answer.clusters as { runningTasksCount?: number; pendingTasksCount?: number }[])[0];
  return { running: cluster?.runningTasksCount ?? 0, pending: cluster?.pendingTasksCount ?? 0 };
}

/** `clients` closed-loop workers sending `operation` for `seconds`: requests/s and latency. */
async function closedLoop(client: SignedClient, operation: string, body: string): Promise<Baseline> {
  const histogram = new Histogram();
  const send = async (): Promise<void> => void (await ok(client, operation, body));
  await runSlice({ concurrency: clients, durationMs: 500, send }); // warm-up
  const started = performance.now();
  const slice = await runSlice({ concurrency: clients, durationMs: baselineS * 1000, send, histogram });
  if (slice.errors > 0)
    throw new Error(`${operation}: ${slice.errors} failed, first: ${slice.firstError ?? ''}`);
  const seconds = Math.min(performance.now() - started, baselineS * 1000) / 1000;
  return { rps: slice.completed / seconds, p50: histogram.quantile(0.5), p99: histogram.quantile(0.99) };
}

/** The bare node:http server answering `body` to RunTask, measured through the same client. */
async function bareBaseline(key: Key, answer: { contentType: string; body: string }): Promise<Baseline> {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-placement-'));
  const file = join(scratch, 'responses.json');
  writeFileSync(file, JSON.stringify({ [`${ECS_TARGET_PREFIX}.RunTask`]: answer }));
  const bare = await startChild<{ port: number }>(join(here, 'serve-baseline.ts'), [file]);
  const client = new SignedClient({
    port: bare.info.port,
    region: key.region,
    credentials: key,
    maxSockets: clients,
  });
  try {
    return await closedLoop(client, 'RunTask', RUN_TASK);
  } finally {
    client.close();
    await bare.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The control plane (and, split, the simulated hosts in a process of their own), all connected. */
async function startCluster(instances: number): Promise<{
  plane: ServerChild<unknown>;
  sim: ServerChild<SimInfo>;
  port: number;
  key: Key;
}> {
  const fleet = { instances, zones, sizes: hostSizes, cluster: CLUSTER };
  const simScript = join(here, 'serve-sim.ts');
  if (mode === 'one') {
    const sim = await startChild<SimInfo>(simScript, [JSON.stringify(fleet)], ['--expose-gc']);
    const { region, accessKeyId, secretAccessKey } = sim.info;
    if (!region || !accessKeyId || !secretAccessKey) throw new Error('berth sim printed no key');
    const port = Number(new URL(sim.info.endpoint).port);
    return { plane: sim, sim, port, key: { region, accessKeyId, secretAccessKey } };
  }
  const plane = await startChild<PlaneInfo>(join(here, 'serve-berth.ts'), [], ['--expose-gc']);
  const key = plane.info;
  try {
    const attach = {
      endpoint: `http://127.0.0.1:${plane.info.port}`,
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
    };
    const sim = await startChild<SimInfo>(simScript, [JSON.stringify({ ...fleet, attach })], ['--expose-gc']);
    return { plane, sim, port: plane.info.port, key };
  } catch (err) {
    await plane.stop();
    throw err;
  }
}

async function runCase(instances: number, stamp: string): Promise<PlacementCase> {
  log(
    `\n${instances} simulated hosts (${mode === 'split' ? 'control plane and hosts apart' : 'one process'})…`,
  );
  const { plane, sim, port, key } = await startCluster(instances);
  const client = new SignedClient({ port, region: key.region, credentials: key, maxSockets: clients });
  const watcher = new SignedClient({ port, region: key.region, credentials: key, maxSockets: 1 });
  try {
    log(`  ${sim.info.instances} hosts connected in ${(sim.info.registerMs / 1000).toFixed(1)} s`);
    const memoryIdle = await plane.memory();
    await ok(
      client,
      'RegisterTaskDefinition',
      JSON.stringify({
        family: FAMILY,
        cpu: '256',
        memory: '512',
        // Any image: the simulated hosts' registry serves every one.
        containerDefinitions: [{ name: 'app', image: 'bench/app:1', essential: true }],
      }),
    );
    // One real answer: the bytes the bare baseline will answer (its 10 tasks count as placed).
    const first = await client.call('RunTask', RUN_TASK);
    const firstText = first.body.toString('utf8');
    const firstPlaced = ((JSON.parse(firstText) as { tasks?: unknown[] }).tasks ?? []).length;
    if (first.status !== 200 || firstPlaced !== COUNT)
      throw new Error(`the first RunTask: ${firstText.slice(0, 500)}`);
    const bare = await bareBaseline(key, {
      contentType: String(first.headers['content-type']),
      body: firstText,
    });
    log(`  bare node:http, canned RunTask answer: ${bare.rps.toFixed(0)} calls/s`);
    const describe = await closedLoop(client, 'DescribeClusters', DESCRIBE_CLUSTER);
    log(`  Berth DescribeClusters: ${describe.rps.toFixed(0)} req/s`);

    log(`  filling with ${clients} clients, RunTask count ${COUNT}…`);
    const samples: RunningSample[] = [];
    const fillStart = performance.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sleep(RUNNING_SAMPLE_MS);
        if (!sampling) break;
        const sample = { ms: performance.now() - fillStart, ...(await counts(watcher)) };
        samples.push(sample);
        if (samples.length % PROGRESS_EVERY === 0) {
          const placedNow = sample.running + sample.pending;
          log(`    ${(sample.ms / 1000).toFixed(0)} s: ${placedNow} tasks placed, ${sample.running} RUNNING`);
        }
      }
    })();
    const requests = async (): Promise<Record<string, number>> =>
      JSON.parse(await plane.command('requests')) as Record<string, number>;
    await requests(); // from here on
    let memoryAtMilestone: ChildMemory | undefined;
    const [planeCpu0, simCpu0] = await Promise.all([plane.cpuUs(), sim.cpuUs()]);
    if (profile) await plane.command('profile start');
    const result = await fill({
      client,
      body: RUN_TASK,
      clients,
      timeLimitMs: timeLimitS * 1000,
      milestone: {
        at: memoryAt - firstPlaced,
        reached: async () => {
          memoryAtMilestone = await plane.memory();
        },
      },
    }).finally(() => (sampling = false));
    const [planeCpu1, simCpu1] = await Promise.all([plane.cpuUs(), sim.cpuUs()]);
    const fillRequests = await requests();
    const profiles: string[] = [];
    const profileStop = async (phase: string): Promise<void> => {
      if (!profile) return;
      mkdirSync(join(resultsDir, 'profiles'), { recursive: true });
      const file = join(resultsDir, 'profiles', `api-placement-${instances}-${phase}-${stamp}.cpuprofile`);
      await plane.command(`profile stop ${file}`);
      profiles.push(file);
    };
    await profileStop('fill');
    await sampler;
    const placed = firstPlaced + result.placed;
    const atFillEnd = await counts(watcher);
    log(
      `  placed ${placed} in ${(result.ms / 1000).toFixed(1)} s (${result.full ? 'full' : 'time limit'}); ` +
        `${atFillEnd.running} RUNNING at the end of the fill`,
    );

    // The agents follow: every placed task must reach RUNNING on its simulated host.
    if (profile) await plane.command('profile start');
    const settleStart = performance.now();
    let settled = atFillEnd;
    while (settled.running < placed && performance.now() - settleStart < settleS * 1000) {
      await sleep(SETTLE_CHECK_MS);
      settled = await counts(watcher);
    }
    const settleMs = performance.now() - settleStart;
    const settleRequests = await requests();
    await profileStop('settle');
    log(`  ${settled.running} of ${placed} RUNNING ${(settleMs / 1000).toFixed(1)} s after the fill`);
    const memoryEnd = await plane.memory();
    const simMemoryEnd = mode === 'split' ? await sim.memory() : undefined;
    return {
      instances,
      mode,
      registerSeconds: sim.info.registerMs / 1000,
      placed,
      full: result.full,
      ...(result.fullDetail !== undefined ? { fullDetail: result.fullDetail } : {}),
      partialCalls: result.partialCalls,
      fillSeconds: result.ms / 1000,
      tasksPerSecond: result.placed / (result.ms / 1000),
      callsPerSecond: result.calls.length / (result.ms / 1000),
      runTaskP50: result.histogram.quantile(0.5),
      runTaskP99: result.histogram.quantile(0.99),
      runTaskMax: result.histogram.maxMs,
      runningAtFillEnd: atFillEnd.running,
      runningAtEnd: settled.running,
      pendingAtEnd: settled.pending,
      allRunningAfterSeconds: settled.running >= placed ? settleMs / 1000 : undefined,
      memoryIdle,
      memoryAtMilestone,
      memoryEnd,
      simMemoryEnd,
      planeCpuUsPerTask: (planeCpu1 - planeCpu0) / result.placed,
      simCpuUsPerTask: mode === 'split' ? (simCpu1 - simCpu0) / result.placed : undefined,
      bare,
      describe,
      fillRequests,
      settleRequests,
      calls: result.calls,
      runningSamples: samples,
      profiles,
    };
  } finally {
    client.close();
    watcher.close();
    await sim.stop();
    if (plane !== sim) await plane.stop();
  }
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(resultsDir, { recursive: true });
  const loadAtStart = loadavg();
  const cases: PlacementCase[] = [];
  for (const instances of instanceCounts) cases.push(await runCase(instances, stamp));
  const tables = caseTables(cases, memoryAt);
  const deciles = cases.map((c) => `${c.instances} instances:\n\n${decileTable(c)}`).join('\n\n');
  const served = requestTable(cases);
  process.stdout.write(
    `\n${tables}\n\nRequests the control plane served per task placed (during the fill + during the wait):\n\n` +
      `${served}\n\nCost as the cluster fills (tenths of the tasks placed):\n\n${deciles}\n\n`,
  );
  const report = {
    date: new Date().toISOString(),
    machine: {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadavgAtStart: loadAtStart,
      loadavgAtEnd: loadavg(),
    },
    settings: {
      hostSizes,
      zones,
      clients,
      count: COUNT,
      mode,
      memoryAt,
      timeLimitS,
      baselineS,
      store: 'sqlite',
    },
    cases,
    tables,
    requestTable: served,
    deciles,
  };
  const file = join(resultsDir, `api-placement-${stamp}.json`);
  writeFileSync(file, JSON.stringify(report) + '\n');
  writeFileSync(join(resultsDir, 'api-placement-latest.json'), JSON.stringify(report) + '\n');
  log(`results: ${file}`);
  if (cases.some((c) => c.runningAtEnd < c.placed)) process.exitCode = 1;
}

await main();
