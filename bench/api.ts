import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { webWithSidecar } from '../test/support/fixtures.js';
import { startChild, type ServerChild } from './lib/child.js';
import { ECS_TARGET_PREFIX, SignedClient, type Reply } from './lib/client.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { caseResult, markdownTable, type CaseResult } from './lib/report.js';

/**
 * The API benchmark (`npm run bench`): throughput and latency of three ECS operations on Berth,
 * each as a ratio to a bare node:http server answering the very bytes Berth answered, both in
 * their own processes, driven by the same signed keep-alive client work. See docs/benchmarks.md.
 *
 * Environment:
 *   BENCH_SECONDS       measured seconds per case and server (default 4)
 *   BENCH_WARMUP        warm-up seconds before each measurement (default 1)
 *   BENCH_CONCURRENCY   comma-separated client counts (default "1,32")
 *   BENCH_OPS           comma-separated subset of the operations (default: all three)
 *   BENCH_PROFILE=1     run Berth's server child with --cpu-prof (profiles in bench/results/profiles)
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
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,32').split(',').map(Number);
const profile = process.env.BENCH_PROFILE === '1';
if (!(seconds > 0) || !(warmup >= 0) || concurrencies.some((c) => !Number.isInteger(c) || c < 1)) {
  throw new Error('BENCH_SECONDS must be > 0, BENCH_WARMUP ≥ 0, BENCH_CONCURRENCY positive integers');
}

const CLUSTER = 'bench-cluster';
const LISTED_FAMILY = 'bench-listed';
const LISTED_REVISIONS = 1000;
const REGISTERED_FAMILY = 'bench-registered';

/** The measured operations and the exact request body each sends. */
const OPERATIONS: readonly { readonly name: string; readonly body: string }[] = [
  { name: 'DescribeClusters', body: JSON.stringify({ clusters: [CLUSTER] }) },
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
async function inParallel(count: number, parallel: number, call: (i: number) => Promise<void>): Promise<void> {
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
  // The family really has LISTED_REVISIONS revisions: walk every page.
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
  if (total !== LISTED_REVISIONS) throw new Error(`${LISTED_FAMILY} has ${total} revisions, expected ${LISTED_REVISIONS}`);
}

/** A load run: `concurrency` workers, each request signed afresh on the same kind of client. */
async function measure(
  port: number,
  info: BerthInfo,
  operation: { name: string; body: string },
  concurrency: number,
): Promise<LoadResult> {
  const client = new SignedClient({ port, region: info.region, credentials: info, maxSockets: concurrency });
  try {
    return await runLoad({
      concurrency,
      warmupMs: warmup * 1000,
      durationMs: seconds * 1000,
      send: async () => {
        const reply = await client.call(operation.name, operation.body);
        if (reply.status !== 200) throw new Error(`${operation.name}: HTTP ${reply.status} ${reply.body.toString('utf8')}`);
      },
    });
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  const profileDir = join(resultsDir, 'profiles');
  const children: ServerChild<unknown>[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-baseline-'));
  try {
    const berth = await startChild<BerthInfo>(
      join(here, 'serve-berth.ts'),
      [],
      profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
    );
    children.push(berth);
    const info = berth.info;
    log(`berth server pid ${info.pid} on port ${info.port}; seeding ${LISTED_REVISIONS} revisions of ${LISTED_FAMILY}…`);

    const setup = new SignedClient({ port: info.port, region: info.region, credentials: info, maxSockets: 8 });
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
    const check = new SignedClient({ port: baseline.info.port, region: info.region, credentials: info, maxSockets: 1 });
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

    const results: CaseResult[] = [];
    for (const operation of operations) {
      for (const concurrency of concurrencies) {
        log(`${operation.name} × ${concurrency}: berth…`);
        const onBerth = await measure(info.port, info, operation, concurrency);
        log(`${operation.name} × ${concurrency}: baseline…`);
        const onBaseline = await measure(baseline.info.port, info, operation, concurrency);
        for (const [server, r] of [['berth', onBerth], ['baseline', onBaseline]] as const) {
          if (r.errors > 0) log(`  ${server}: ${r.errors} failed requests, first: ${r.firstError ?? ''}`);
        }
        results.push(caseResult(operation.name, concurrency, onBerth, onBaseline));
      }
    }

    const table = markdownTable(results);
    process.stdout.write(`\n${table}\n\n`);
    const machine = {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadavgAtEnd: loadavg(),
    };
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const report = {
      date: new Date().toISOString(),
      machine,
      settings: { seconds, warmup, concurrencies, listedRevisions: LISTED_REVISIONS, store: 'sqlite' },
      responseBytes: Object.fromEntries(
        operations.map((o) => [o.name, Buffer.byteLength(canned[`${ECS_TARGET_PREFIX}.${o.name}`]!.body)]),
      ),
      results,
      table,
    };
    const file = join(resultsDir, `api-${stamp}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(resultsDir, 'api-latest.json'), JSON.stringify(report, null, 2) + '\n');
    log(`results: ${file}${profile ? `; Berth CPU profile in ${profileDir}` : ''}`);
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
