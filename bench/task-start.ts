import {
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type NetworkMode,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import type Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureTestImage, TEST_IMAGE, testDocker } from '../test/support/images.js';
import { startChild, type ServerChild } from './lib/child.js';
import { phasesOf, START_MILESTONES, STOP_MILESTONES, type PhaseSample } from './lib/task-phases.js';
import { epochNow, type TraceEvent } from './lib/trace.js';

/**
 * Task start latency: RunTask → RUNNING (as DescribeTasks shows it) for single-container tasks on
 * Berth with its agent on this host's Docker, against Docker's own floor for the same image and
 * command measured in the same run — `docker run -d` (the CLI, as the issue asks) and the Engine
 * API's create + start (dockerode: the calls Berth's agent makes, without the CLI's process start).
 * Then StopTask → STOPPED against `docker stop` and the API's stop. See docs/benchmarks.md.
 *
 * One at a time, interleaved: iteration i starts one Berth task, one `docker run -d` and one API
 * container, in an order rotated every iteration, so background noise lands on every side. Then
 * the same for the stops. Berth runs in its own process (server + agent, as `berth up`); this
 * process is the user, with the AWS SDK. Everything started carries `berth.bench=<run id>`, and
 * exactly those containers are removed at the end (also on failure or Ctrl-C).
 *
 * Environment (or `--tasks=N` etc. on the command line):
 *   BENCH_TASKS     tasks per side (default 50)
 *   BENCH_WARMUP    unrecorded iterations first (default 3)
 *   BENCH_POLL_MS   pause between DescribeTasks polls while waiting (default 25)
 *   BENCH_NETWORK   the containers' network mode on every side: bridge (default), none or host
 */
const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');
const exec = promisify(execFile);

function setting(name: string, flag: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${flag}=`));
  const value = Number(arg?.slice(flag.length + 3) ?? process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} / --${flag} must be an integer ≥ 0`);
  return value;
}
const TASKS = setting('BENCH_TASKS', 'tasks', 50);
const WARMUP = setting('BENCH_WARMUP', 'warmup', 3);
const POLL_MS = setting('BENCH_POLL_MS', 'poll-ms', 25);
if (TASKS < 1) throw new Error('BENCH_TASKS must be ≥ 1');
const NETWORK =
  process.argv.find((a) => a.startsWith('--network='))?.slice(10) ?? process.env.BENCH_NETWORK ?? 'bridge';
if (!(['bridge', 'none', 'host'] as const).some((mode) => mode === NETWORK)) {
  throw new Error('BENCH_NETWORK / --network must be bridge, none or host');
}

const RUN = `${process.pid}-${randomBytes(4).toString('hex')}`;
const LABEL = 'berth.bench';
/** Runs until stopped and exits 0 at once on SIGTERM (busybox `sleep` as PID 1 would ignore it). */
const COMMAND = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];
const MEMORY_MIB = 32;
/**
 * What Berth (as ECS) asks Docker for when a container definition reserves no CPU (`cpu: 0` → the
 * minimum, 2 shares); the baselines ask for the same, so every side's container gets the same
 * cgroup weight (on a busy host, weight decides how fast the container's init gets to run).
 */
const CPU_SHARES = 2;
const STOP_TIMEOUT_S = 2;
const WAIT_LIMIT_MS = 60_000;
const FAMILY = 'bench-start';
/** The last phase: from the report that made the change to the DescribeTasks answer showing it. */
const POLLING = 'observed through DescribeTasks';

const log = (message: string): void => void process.stderr.write(`${message}\n`);

interface BerthInfo {
  readonly port: number;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pid: number;
  readonly cluster: string;
  readonly containerInstanceArn: string;
}

type SideName = 'berth' | 'docker-cli' | 'docker-api';
const SIDES: readonly SideName[] = ['berth', 'docker-cli', 'docker-api'];

interface Timed {
  readonly ms: number;
  /** Berth only: the child's trace from send to observation, with the two ends on the same clock. */
  readonly trace?: { readonly events: TraceEvent[]; readonly sentAt: number; readonly observedAt: number };
  /** Berth only: DescribeTasks calls made while waiting. */
  readonly polls?: number;
  /** Berth only: RunTask / StopTask round trip. */
  readonly callMs?: number;
}

/** One side: starts a container (returning its handle) and stops one. */
interface Side {
  start(): Promise<{ handle: string; timed: Timed }>;
  stop(handle: string): Promise<Timed>;
}

class BerthSide implements Side {
  constructor(
    private readonly ecs: ECSClient,
    private readonly child: ServerChild<BerthInfo>,
    private readonly cluster: string,
  ) {}

  async start(): Promise<{ handle: string; timed: Timed }> {
    await this.child.command('trace'); // drop what happened meanwhile
    const sentAt = epochNow();
    const run = await this.ecs.send(new RunTaskCommand({ cluster: this.cluster, taskDefinition: FAMILY }));
    const callMs = epochNow() - sentAt;
    const arn = run.tasks?.[0]?.taskArn;
    if (!arn) throw new Error(`RunTask placed nothing: ${JSON.stringify(run.failures)}`);
    const { observedAt, polls } = await this.waitFor(arn, 'RUNNING', sentAt);
    const events = JSON.parse(await this.child.command('trace')) as TraceEvent[];
    return {
      handle: arn,
      timed: { ms: observedAt - sentAt, trace: { events, sentAt, observedAt }, polls, callMs },
    };
  }

  async stop(arn: string): Promise<Timed> {
    await this.child.command('trace');
    const sentAt = epochNow();
    await this.ecs.send(new StopTaskCommand({ cluster: this.cluster, task: arn, reason: 'bench' }));
    const callMs = epochNow() - sentAt;
    const { observedAt, polls } = await this.waitFor(arn, 'STOPPED', sentAt);
    const events = JSON.parse(await this.child.command('trace')) as TraceEvent[];
    return { ms: observedAt - sentAt, trace: { events, sentAt, observedAt }, polls, callMs };
  }

  /** DescribeTasks until `status`, pausing POLL_MS between answers; the time the answer arrived. */
  private async waitFor(
    arn: string,
    status: 'RUNNING' | 'STOPPED',
    since: number,
  ): Promise<{ observedAt: number; polls: number }> {
    for (let polls = 1; ; polls++) {
      const out = await this.ecs.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: [arn] }));
      const observedAt = epochNow();
      const task = out.tasks?.[0];
      if (task?.lastStatus === status) return { observedAt, polls };
      if (task?.lastStatus === 'STOPPED') {
        const containers = JSON.stringify(
          task.containers?.map((c) => ({ exitCode: c.exitCode, reason: c.reason, runtimeId: c.runtimeId })),
        );
        throw new Error(
          `task ${arn} stopped while waiting for ${status}: ${task.stoppedReason ?? ''} ${containers}`,
        );
      }
      if (observedAt - since > WAIT_LIMIT_MS) {
        throw new Error(`task ${arn} not ${status} after ${WAIT_LIMIT_MS} ms (${task?.lastStatus ?? '?'})`);
      }
      if (POLL_MS > 0) await sleep(POLL_MS);
    }
  }
}

class DockerCliSide implements Side {
  async start(): Promise<{ handle: string; timed: Timed }> {
    const started = epochNow();
    const { stdout } = await exec('docker', [
      'run',
      '-d',
      '--label',
      `${LABEL}=${RUN}`,
      '--memory',
      `${MEMORY_MIB}m`,
      '--stop-timeout',
      String(STOP_TIMEOUT_S),
      '--network',
      NETWORK,
      '--cpu-shares',
      String(CPU_SHARES),
      TEST_IMAGE,
      ...COMMAND,
    ]);
    return { handle: stdout.trim(), timed: { ms: epochNow() - started } };
  }

  async stop(id: string): Promise<Timed> {
    const started = epochNow();
    await exec('docker', ['stop', '-t', String(STOP_TIMEOUT_S), id]);
    return { ms: epochNow() - started };
  }
}

class DockerApiSide implements Side {
  constructor(private readonly docker: Docker) {}

  async start(): Promise<{ handle: string; timed: Timed }> {
    const started = epochNow();
    const container = await this.docker.createContainer({
      Image: TEST_IMAGE,
      Cmd: [...COMMAND],
      Labels: { [LABEL]: RUN },
      StopTimeout: STOP_TIMEOUT_S,
      HostConfig: { Memory: MEMORY_MIB * 1024 * 1024, NetworkMode: NETWORK, CpuShares: CPU_SHARES },
    });
    await container.start();
    return { handle: container.id, timed: { ms: epochNow() - started } };
  }

  async stop(id: string): Promise<Timed> {
    const started = epochNow();
    await this.docker.getContainer(id).stop({ t: STOP_TIMEOUT_S });
    return { ms: epochNow() - started };
  }
}

// ---- statistics and report ----

interface Stats {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** Nearest-rank percentiles (with 50 samples, p99 is the largest). */
function stats(values: readonly number[]): Stats {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return {
    n: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i > 0 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const LABELS: Record<SideName, { start: string; stop: string }> = {
  berth: { start: 'Berth: RunTask → RUNNING', stop: 'Berth: StopTask → STOPPED' },
  'docker-cli': { start: '`docker run -d`', stop: '`docker stop`' },
  'docker-api': { start: 'Engine API create + start', stop: 'Engine API stop' },
};

type Samples = Record<SideName, Timed[]>;

/** A measure's label and its samples (one per iteration, in iteration order). */
type Row = readonly [label: string, values: readonly number[]];

function rowsOf(samples: Samples, kind: 'start' | 'stop'): Row[] {
  return SIDES.map((side) => [LABELS[side][kind], samples[side].map((t) => t.ms)] as const);
}

function latencyTable(rows: readonly Row[]): string {
  return table(
    ['Measure', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms'],
    rows.map(([label, values]) => {
      const s = stats(values);
      return [label, String(s.n), fixed(s.p50), fixed(s.p90), fixed(s.p99), fixed(s.mean)];
    }),
  );
}

/** Each Berth measure against each Docker baseline: ratios, overhead, and the median of the paired differences. */
function comparisonTable(berthRows: readonly Row[], samples: Samples, kind: 'start' | 'stop'): string {
  const rows = berthRows.flatMap(([berthLabel, values]) => {
    const berth = stats(values);
    return (['docker-cli', 'docker-api'] as const).map((side) => {
      const base = stats(samples[side].map((t) => t.ms));
      const paired = stats(values.map((v, i) => v - (samples[side][i]?.ms ?? Number.NaN)));
      return [
        berthRows.length > 1 ? `${berthLabel} against ${LABELS[side][kind]}` : LABELS[side][kind],
        `${fixed(berth.p50 / base.p50, 2)} / ${fixed(berth.p99 / base.p99, 2)}`,
        fixed(berth.p50 - base.p50),
        fixed(berth.mean - base.mean),
        fixed(paired.p50),
      ];
    });
  });
  return table(
    [
      berthRows.length > 1 ? 'Measure' : 'Berth against',
      'Ratio p50 / p99',
      'Overhead p50 ms',
      'Overhead mean ms',
      'Median paired difference ms',
    ],
    rows,
  );
}

function breakdownTable(samples: readonly PhaseSample[], order: readonly string[]): string {
  const total = stats(
    samples.map((s) => Object.values(s.phases).reduce((a, b) => a + b, 0)).filter(Number.isFinite),
  );
  const rows = order.map((name) => {
    const s = stats(samples.map((p) => p.phases[name] ?? Number.NaN));
    return [name, fixed(s.p50), fixed(s.p90), fixed(s.mean), `${fixed((100 * s.mean) / total.mean, 0)} %`];
  });
  rows.push(['total (sum of phases)', fixed(total.p50), fixed(total.p90), fixed(total.mean), '100 %']);
  return table(['Phase (ends when …)', 'p50 ms', 'p90 ms', 'mean ms', 'share of mean'], rows);
}

/** Per sample: the sum of the phases except `excluded` (what is left when Docker's work and polling are taken out). */
function remainder(samples: readonly PhaseSample[], excluded: readonly string[]): Stats {
  return stats(
    samples.map((s) =>
      Object.entries(s.phases)
        .filter(([name]) => !excluded.includes(name))
        .reduce((sum, [, ms]) => sum + ms, 0),
    ),
  );
}

function servedSummary(samples: readonly PhaseSample[]): string {
  const sums: Record<string, number> = {};
  for (const s of samples) for (const [op, n] of Object.entries(s.served)) sums[op] = (sums[op] ?? 0) + n;
  return Object.entries(sums)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op} ${fixed(n / samples.length, 1)}`)
    .join(', ');
}

// ---- main ----

async function removeOurs(docker: Docker): Promise<number> {
  const mine = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${RUN}`] } });
  await Promise.all(
    mine.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  return mine.length;
}

async function main(): Promise<void> {
  const docker = testDocker();
  await ensureTestImage(docker);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg();
  let child: ServerChild<BerthInfo> | undefined;
  let ecs: ECSClient | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      ecs?.destroy();
      await child?.stop();
      log(`removed ${await removeOurs(docker)} containers labelled ${LABEL}=${RUN}`);
    })());
  const onSignal = (): void => {
    log('interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    child = await startChild<BerthInfo>(join(here, 'serve-berth-agent.ts'), [RUN]);
    const info = child.info;
    log(`run ${RUN}: Berth (server + agent) pid ${info.pid} on port ${info.port}`);
    ecs = new ECSClient({
      endpoint: `http://127.0.0.1:${info.port}`,
      region: info.region,
      credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
      maxAttempts: 1,
    });
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: FAMILY,
        networkMode: NETWORK as NetworkMode,
        containerDefinitions: [
          { name: 'main', image: TEST_IMAGE, command: [...COMMAND], memory: MEMORY_MIB, essential: true },
        ],
      }),
    );
    const sides: Record<SideName, Side> = {
      berth: new BerthSide(ecs, child, info.cluster),
      'docker-cli': new DockerCliSide(),
      'docker-api': new DockerApiSide(docker),
    };
    const order = (i: number): SideName[] => SIDES.map((_, k) => SIDES[(i + k) % SIDES.length]!);

    // A start that fails (the shared engine has refused a network endpoint under load) is logged,
    // counted and tried again; three in a row end the run.
    const failures: Record<SideName, string[]> = { berth: [], 'docker-cli': [], 'docker-api': [] };
    const startOnce = async (side: SideName): Promise<{ handle: string; timed: Timed }> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await sides[side].start();
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures[side].push(message);
          log(`  ${side} start failed (attempt ${attempt}): ${message}`);
          if (attempt >= 3) throw error;
        }
      }
    };
    for (let i = 0; i < WARMUP; i++) {
      for (const side of order(i)) {
        const { handle } = await startOnce(side);
        await sides[side].stop(handle);
      }
    }
    log(`warm-up done (${WARMUP} per side); ${TASKS} starts per side…`);

    const starts: Samples = { berth: [], 'docker-cli': [], 'docker-api': [] };
    const handles: Record<SideName, string[]> = { berth: [], 'docker-cli': [], 'docker-api': [] };
    for (let i = 0; i < TASKS; i++) {
      for (const side of order(i)) {
        const { handle, timed } = await startOnce(side);
        starts[side].push(timed);
        handles[side].push(handle);
      }
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${TASKS}`);
    }
    log(`${TASKS} stops per side…`);
    const stops: Samples = { berth: [], 'docker-cli': [], 'docker-api': [] };
    for (let i = 0; i < TASKS; i++) {
      for (const side of order(i)) stops[side].push(await sides[side].stop(handles[side][i]!));
    }

    const startPhases = starts.berth.map((t) =>
      phasesOf(t.trace!.events, START_MILESTONES, t.trace!.sentAt, t.trace!.observedAt),
    );
    const stopPhases = stops.berth.map((t) =>
      phasesOf(t.trace!.events, STOP_MILESTONES, t.trace!.sentAt, t.trace!.observedAt),
    );
    const phaseNames = (m: readonly { name: string }[]): string[] => [...m.map((x) => x.name), POLLING];
    // The moment the report that made the task RUNNING (STOPPED) was answered: the change is
    // committed, so a DescribeTasks from then on shows it — the observed time less the polling delay.
    const stored = (samples: readonly Timed[], phases: readonly PhaseSample[]): number[] =>
      samples.map((t, i) => t.ms - (phases[i]?.phases[POLLING] ?? Number.NaN));
    const storedLabel = {
      start: 'Berth: RunTask → RUNNING stored (trace)',
      stop: 'Berth: StopTask → STOPPED stored (trace)',
    };
    const berthStartRows: Row[] = [
      [LABELS.berth.start, starts.berth.map((t) => t.ms)],
      [storedLabel.start, stored(starts.berth, startPhases)],
    ];
    const berthStopRows: Row[] = [
      [LABELS.berth.stop, stops.berth.map((t) => t.ms)],
      [storedLabel.stop, stored(stops.berth, stopPhases)],
    ];
    const berthStart = stats(starts.berth.map((t) => t.ms));
    const berthStored = stats(stored(starts.berth, startPhases));
    const cliStart = stats(starts['docker-cli'].map((t) => t.ms));
    const apiStart = stats(starts['docker-api'].map((t) => t.ms));
    const overhead = berthStart.p50 - cliStart.p50;
    const storedOverhead = berthStored.p50 - cliStart.p50;
    const observation = stats(startPhases.map((p) => p.phases[POLLING] ?? Number.NaN));
    const sections = [
      `Start (${TASKS} per side, network mode ${NETWORK}, DescribeTasks polled every ${POLL_MS} ms after each answer):`,
      latencyTable([...berthStartRows, ...rowsOf(starts, 'start').slice(1)]),
      comparisonTable(berthStartRows, starts, 'start'),
      `Aim: Berth's overhead over \`docker run -d\` ≤ 50 ms at p50 — as observed by polling: ` +
        `${overhead <= 50 ? 'met' : 'NOT met'} (${fixed(overhead)} ms; over the Engine API's create + start: ` +
        `${fixed(berthStart.p50 - apiStart.p50)} ms); as stored (the polling delay, p50 ` +
        `${fixed(observation.p50)} ms, taken out): ${storedOverhead <= 50 ? 'met' : 'NOT met'} ` +
        `(${fixed(storedOverhead)} ms; over the API: ${fixed(berthStored.p50 - apiStart.p50)} ms).`,
      `Failed starts (tried again): ${SIDES.map((side) => `${side} ${failures[side].length}`).join(', ')}.`,
      `Stop (SIGTERM handled by the container; stop timeout ${STOP_TIMEOUT_S} s):`,
      latencyTable([...berthStopRows, ...rowsOf(stops, 'stop').slice(1)]),
      comparisonTable(berthStopRows, stops, 'stop'),
      'Where a Berth start spends its time (trace of the Berth process; phases add up to the measured time):',
      breakdownTable(startPhases, phaseNames(START_MILESTONES)),
      `Requests Berth served per start (mean): ${servedSummary(startPhases)}; ` +
        `RunTask round trip p50 ${fixed(stats(starts.berth.map((t) => t.callMs ?? Number.NaN)).p50)} ms; ` +
        `DescribeTasks polls per start p50 ${fixed(stats(starts.berth.map((t) => t.polls ?? Number.NaN)).p50, 0)}.`,
      `Berth's own time per start (all but Docker's create and start and the DescribeTasks polling): ` +
        `p50 ${fixed(remainder(startPhases, ['Docker: create', 'Docker: start', POLLING]).p50)} ms.`,
      'Where a Berth stop spends its time:',
      breakdownTable(stopPhases, phaseNames(STOP_MILESTONES)),
      `Requests Berth served per stop (mean): ${servedSummary(stopPhases)}. Berth's own time per stop ` +
        `(all but Docker's stop and the DescribeTasks polling): ` +
        `p50 ${fixed(remainder(stopPhases, [STOP_MILESTONES[3]!.name, POLLING]).p50)} ms.`,
    ];
    process.stdout.write(`\n${sections.join('\n\n')}\n\n`);

    const machine = {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      docker: (await docker.version()).Version,
      revision: await exec('git', ['describe', '--always', '--dirty'], { cwd: here }).then(
        (r) => r.stdout.trim(),
        () => 'not a git checkout',
      ),
      loadavgAtStart: loadAtStart,
      loadavgAtEnd: loadavg(),
    };
    mkdirSync(resultsDir, { recursive: true });
    const strip = (s: Samples): Record<SideName, Omit<Timed, 'trace'>[]> =>
      Object.fromEntries(
        SIDES.map((side) => [side, s[side].map(({ trace: _trace, ...rest }) => rest)]),
      ) as Record<SideName, Omit<Timed, 'trace'>[]>;
    const report = {
      date: new Date().toISOString(),
      run: RUN,
      machine,
      settings: {
        tasks: TASKS,
        warmup: WARMUP,
        pollMs: POLL_MS,
        network: NETWORK,
        image: TEST_IMAGE,
        command: COMMAND,
        memoryMiB: MEMORY_MIB,
        cpuShares: CPU_SHARES,
        stopTimeoutSeconds: STOP_TIMEOUT_S,
      },
      start: Object.fromEntries(SIDES.map((side) => [side, stats(starts[side].map((t) => t.ms))])),
      stop: Object.fromEntries(SIDES.map((side) => [side, stats(stops[side].map((t) => t.ms))])),
      samples: { start: strip(starts), stop: strip(stops) },
      failures,
      phases: { start: startPhases, stop: stopPhases },
      report: sections.join('\n\n'),
    };
    const file = join(resultsDir, `task-start-${stamp}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(resultsDir, 'task-start-latest.json'), JSON.stringify(report, null, 2) + '\n');
    log(`results: ${file}`);
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

await main();
