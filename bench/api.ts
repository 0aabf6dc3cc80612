import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { webWithSidecar } from '../test/support/fixtures.js';
import { startChild, type ServerChild } from './lib/child.js';
import { ECS_TARGET_PREFIX, SignedClient, type Reply } from './lib/client.js';
import { Measurement, runSlice } from './lib/load.js';
import { topCosts, type CpuProfile } from './lib/profiler.js';
import { caseResult, cpuTable, markdownTable, type CaseResult } from './lib/report.js';

/**
 * The API benchmark (`npm run bench`): throughput and latency of three ECS operations on Berth,
 * each as a ratio to a bare node:http server answering the very bytes Berth answered — both in
 * their own processes, driven by the same signed keep-alive client work. See docs/benchmarks.md.
 *
 * Each case (operation × concurrency) warms both servers up, then measures them in alternating
 * slices (Berth, baseline, baseline, Berth, …) so that a burst of background load on this noisy
 * machine lands on both sides of the ratio rather than on one.
 *
 * Environment:
 *   BENCH_SECONDS       measured seconds per case and server (default 6)
 *   BENCH_WARMUP        warm-up seconds per case and server (default 1)
 *   BENCH_ROUNDS        slices the measured seconds are split into, per server (default 6)
 *   BENCH_CONCURRENCY   comma-separated client counts (default "1,32")
 *   BENCH_OPS           comma-separated subset of the operations (default: all three)
 *   BENCH_PROFILE=1     CPU-profile Berth's server over each case's measured rounds: V8
 *                       .cpuprofile files in bench/results/profiles, and the top costs printed per
 *                       case (as shares of busy time: the baseline's turns are idle time there)
 */
interface BerthInfo {
  readonly port: number;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pid: number;
}
interface BaselineInfo {
  readonly port: number;
  readonly pid: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,32').split(',').map(Number);
const profile = process.env.BENCH_PROFILE === '1';
if (
  !(seconds > 0) ||
  !(warmup >= 0) ||
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  concurrencies.some((c) => !Number.isInteger(c) || c < 1)
) {
  throw new Error(
    'BENCH_SECONDS must be > 0, BENCH_WARMUP ≥ 0, BENCH_ROUNDS and BENCH_CONCURRENCY positive integers',
  );
}

const CLUSTER = 'bench-cluster';
const LISTED_FAMILY = 'bench-listed';
const LISTED_REVISIONS = 1000;
const REGISTERED_FAMILY = 'bench-registered';

interface Operation {
  readonly name: string;
  readonly body: string;
}

/**
 * The measured operations, in the order they run, and the exact request body each sends. The reads
 * run first, on the seeded state; the write case then adds thousands of revisions (of another
 * family), after which reads measured in the same server came out slower (docs/benchmarks.md).
 */
const OPERATIONS: readonly Operation[] = [
  { name: 'DescribeClusters', body: JSON.stringify({ clusters: [CLUSTER] }) },
  // The first page (100 ARNs, and a nextToken) of a family with LISTED_REVISIONS revisions.
  { name: 'ListTaskDefinitions', body: JSON.stringify({ familyPrefix: LISTED_FAMILY }) },
  { name: 'RegisterTaskDefinition', body: JSON.stringify(webWithSidecar(REGISTERED_FAMILY, '2.0')) },
];
const selected = process.env.BENCH_OPS?.split(',');
const operations = OPERATIONS.filter((o) => !selected || selected.includes(o.name));

const log = (message: string): void => void process.stderr.write(`${message}\n`);

function expectOk(operation: string, reply: Reply): Record<string, unknown> {
  if (reply.status !== 200) {
    throw new Error(`${operation} answered ${reply.status}: ${reply.body.toString('utf8')}`);
  }
  return JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
}

/** Runs `count` calls with `parallel` in flight. */
async function inParallel(
  count: number,
  parallel: number,
  call: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await call(next++);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

async function seed(client: SignedClient): Promise<void> {
  expectOk('CreateCluster', await client.call('CreateCluster', JSON.stringify({ clusterName: CLUSTER })));
  await inParallel(LISTED_REVISIONS, 8, async (i) => {
    const body = JSON.stringify(webWithSidecar(LISTED_FAMILY, `1.${i}`));
    expectOk('RegisterTaskDefinition', await client.call('RegisterTaskDefinition', body));
  });
  // The family really has LISTED_REVISIONS ACTIVE revisions: walk every page.
  let total = 0;
  let nextToken: unknown;
  do {
    const page = expectOk(
      'ListTaskDefinitions',
      await client.call('ListTaskDefinitions', JSON.stringify({ familyPrefix: LISTED_FAMILY, nextToken })),
    );
    total += (page.taskDefinitionArns as unknown[]).length;
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  if (total !== LISTED_REVISIONS) {
    throw new Error(`${LISTED_FAMILY} has ${total} revisions, expected ${LISTED_REVISIONS}`);
  }
}

/** One server's side of a case: its own client (agent with `concurrency` keep-alive sockets). */
class Side {
  readonly measurement = new Measurement();
  private readonly client: SignedClient;

  constructor(
    readonly label: 'berth' | 'baseline',
    readonly server: ServerChild<unknown>,
    port: number,
    credentials: BerthInfo,
    private readonly operation: Operation,
    private readonly concurrency: number,
  ) {
    this.client = new SignedClient({
      port,
      region: credentials.region,
      credentials,
      maxSockets: concurrency,
    });
  }

  private readonly send = async (): Promise<void> => {
    const reply = await this.client.call(this.operation.name, this.operation.body);
    if (reply.status !== 200) {
      throw new Error(`${this.operation.name}: HTTP ${reply.status} ${reply.body.toString('utf8')}`);
    }
  };

  async warmUp(ms: number): Promise<void> {
    const slice = await runSlice({ concurrency: this.concurrency, durationMs: ms, send: this.send });
    if (slice.errors > 0) throw new Error(`${this.label} failed while warming up: ${slice.firstError ?? ''}`);
  }

  async measure(ms: number): Promise<void> {
    const cpuBefore = await this.server.cpuUs();
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    const slice = await runSlice({
      concurrency: this.concurrency,
      durationMs: ms,
      send: this.send,
      histogram: this.measurement.histogram,
    });
    const elapsed = Math.min(performance.now() - started, ms);
    const client = process.cpuUsage(clientBefore);
    const server = (await this.server.cpuUs()) - cpuBefore;
    this.measurement.add(slice, elapsed, server, client.user + client.system);
  }

  close(): void {
    this.client.close();
  }
}

function printTopCosts(file: string): void {
  const { self, inclusive } = topCosts(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 25);
  const lines = (costs: typeof self): string =>
    costs.map((c) => `    ${c.percent.toFixed(1).padStart(5)}%  ${c.name}`).join('\n');
  log(
    `  profile ${file}\n  top self time (share of busy time):\n${lines(self)}\n` +
      `  top inclusive time:\n${lines(inclusive)}`,
  );
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profileDir = join(resultsDir, 'profiles');
  mkdirSync(profile ? profileDir : resultsDir, { recursive: true });
  const loadAtStart = loadavg();
  const children: ServerChild<unknown>[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-baseline-'));
  try {
    const berth = await startChild<BerthInfo>(join(here, 'serve-berth.ts'));
    children.push(berth);
    const info = berth.info;
    log(`berth server pid ${info.pid} on port ${info.port}; seeding ${LISTED_REVISIONS} revisions…`);

    const setup = new SignedClient({
      port: info.port,
      region: info.region,
      credentials: info,
      maxSockets: 8,
    });
    const canned: Record<string, { contentType: string; body: string }> = {};
    try {
      await seed(setup);
      // The bytes Berth answers for each measured request are what the baseline will answer.
      for (const operation of operations) {
        const reply = await setup.call(operation.name, operation.body);
        expectOk(operation.name, reply);
        canned[`${ECS_TARGET_PREFIX}.${operation.name}`] = {
          contentType: String(reply.headers['content-type']),
          body: reply.body.toString('utf8'),
        };
      }
    } finally {
      setup.close();
    }
    const cannedFile = join(scratch, 'responses.json');
    writeFileSync(cannedFile, JSON.stringify(canned));
    const baseline = await startChild<BaselineInfo>(join(here, 'serve-baseline.ts'), [cannedFile]);
    children.push(baseline);
    log(`baseline server pid ${baseline.info.pid} on port ${baseline.info.port}`);

    // The baseline answers byte for byte what Berth answered, with the same headers.
    const check = new SignedClient({
      port: baseline.info.port,
      region: info.region,
      credentials: info,
      maxSockets: 1,
    });
    try {
      for (const operation of operations) {
        const reply = await check.call(operation.name, operation.body);
        const expected = canned[`${ECS_TARGET_PREFIX}.${operation.name}`]!;
        if (
          reply.status !== 200 ||
          reply.body.toString('utf8') !== expected.body ||
          reply.headers['content-type'] !== expected.contentType ||
          typeof reply.headers['x-amzn-requestid'] !== 'string'
        ) {
          throw new Error(`the baseline does not answer ${operation.name} as Berth did`);
        }
      }
    } finally {
      check.close();
    }

    const sliceMs = (seconds * 1000) / rounds;
    const results: CaseResult[] = [];
    for (const operation of operations) {
      for (const concurrency of concurrencies) {
        log(`${operation.name} × ${concurrency}…`);
        const onBerth = new Side('berth', berth, info.port, info, operation, concurrency);
        const onBaseline = new Side('baseline', baseline, baseline.info.port, info, operation, concurrency);
        try {
          await onBerth.warmUp(warmup * 1000);
          await onBaseline.warmUp(warmup * 1000);
          if (profile) await berth.command('profile start');
          for (let round = 0; round < rounds; round++) {
            // ABBA order: a linear drift in background load cancels out over two rounds.
            const order = round % 2 === 0 ? [onBerth, onBaseline] : [onBaseline, onBerth];
            for (const side of order) await side.measure(sliceMs);
          }
          if (profile) {
            const file = join(profileDir, `${operation.name}-c${concurrency}-${stamp}.cpuprofile`);
            await berth.command(`profile stop ${file}`);
            printTopCosts(file);
          }
        } finally {
          onBerth.close();
          onBaseline.close();
        }
        const result = caseResult(
          operation.name,
          concurrency,
          onBerth.measurement.result(),
          onBaseline.measurement.result(),
        );
        for (const [server, r] of [
          ['berth', result.berth],
          ['baseline', result.baseline],
        ] as const) {
          if (r.errors > 0) log(`  ${server}: ${r.errors} failed requests, first: ${r.firstError ?? ''}`);
        }
        results.push(result);
      }
    }

    const table = markdownTable(results);
    const cpu = cpuTable(results);
    process.stdout.write(
      `\n${table}\n\nCPU time per request (server process; load generator):\n\n${cpu}\n\n`,
    );
    const machine = {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadavgAtStart: loadAtStart,
      loadavgAtEnd: loadavg(),
    };
    const report = {
      date: new Date().toISOString(),
      machine,
      settings: {
        seconds,
        warmup,
        rounds,
        concurrencies,
        listedRevisions: LISTED_REVISIONS,
        store: 'sqlite',
        profiled: profile,
      },
      responseBytes: Object.fromEntries(
        operations.map((o) => [o.name, Buffer.byteLength(canned[`${ECS_TARGET_PREFIX}.${o.name}`]!.body)]),
      ),
      results,
      table,
      cpuTable: cpu,
    };
    const file = join(resultsDir, `api-${stamp}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(resultsDir, 'api-latest.json'), JSON.stringify(report, null, 2) + '\n');
    log(`results: ${file}`);
    if (results.some((r) => r.berth.errors > 0 || r.baseline.errors > 0)) process.exitCode = 1;
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
