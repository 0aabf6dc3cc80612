import {
  CreateServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { startSim } from '../src/app/sim.js';
import { parseSizes } from '../src/sim/fleet.js';

/**
 * The service scheduler's speed (`npm run bench:services`), on `berth sim` (control plane and
 * simulated hosts in this process, as the verb runs them): how long a service of N tasks takes to
 * reach a steady state, and a full rolling deployment of it (100% / 200%) to complete, each as a
 * ratio to the time N bare RunTask placements take to be RUNNING in the same run (RunTask count
 * 10, 16 clients) — the same placements and agents, without the scheduler.
 *
 * Environment: BENCH_TASKS (default 1000), BENCH_HOSTS (default 200, 8 vCPU / 15.6 GiB each).
 */
const TASKS = Number(process.env.BENCH_TASKS ?? 1000);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 200);
const CLIENTS = 16;
const REGION = 'us-east-1';
const cluster = 'bench-services';

const sim = await startSim({
  controlPlane: {
    start: {
      host: '127.0.0.1',
      port: 0,
      accountId: '123456789012',
      // ECS waits 40 s before a task without health checks counts as healthy; a benchmark of the
      // scheduler's own speed should not measure that wait.
      serviceScheduler: { noHealthCheckWaitMs: 0 },
    },
  },
  region: REGION,
  cluster,
  instances: HOSTS,
  fleet: { zones: ['zone-a', 'zone-b', 'zone-c'], sizes: parseSizes('8192:15600'), attributes: [] },
  env: {},
  logger: pino({ level: 'warn' }, pino.destination(2)),
});
const key = sim.server?.administratorKey;
if (!key) throw new Error('the sim started no control plane');
const ecs = new ECSClient({
  endpoint: sim.endpoint,
  region: REGION,
  credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
});

for (const image of ['bench:1', 'bench:2']) {
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'bench',
      containerDefinitions: [{ name: 'app', image, cpu: 64, memory: 128 }],
    }),
  );
}

async function runningTasks(): Promise<number> {
  const out = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
  return out.clusters?.[0]?.runningTasksCount ?? 0;
}

async function until(done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((r) => setTimeout(r, 100));
}

async function timed(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

// Baseline: TASKS bare RunTask placements (count 10, 16 clients) until all are RUNNING.
const baseline = await timed(async () => {
  let left = TASKS / 10;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (left-- > 0)
        await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'bench:1', count: 10 }));
    }),
  );
  await until(async () => (await runningTasks()) >= TASKS);
});

const stable = async (definition: string): Promise<boolean> => {
  const s = (await ecs.send(new DescribeServicesCommand({ cluster, services: ['web'] }))).services?.[0];
  const d = s?.deployments;
  return (
    d?.length === 1 &&
    d[0]?.rolloutState === 'COMPLETED' &&
    (d[0]?.taskDefinition ?? '').endsWith(definition) &&
    s?.runningCount === TASKS
  );
};
const steady = await timed(async () => {
  await ecs.send(
    new CreateServiceCommand({ cluster, serviceName: 'web', taskDefinition: 'bench:1', desiredCount: TASKS }),
  );
  await until(() => stable('bench:1'));
});
const rolling = await timed(async () => {
  await ecs.send(new UpdateServiceCommand({ cluster, service: 'web', taskDefinition: 'bench:2' }));
  await until(() => stable('bench:2'));
});
await sim.close();

const row = (what: string, seconds: number): string =>
  `| ${what} | ${seconds.toFixed(1)} s | ${(seconds / baseline).toFixed(2)} |`;
process.stdout.write(
  [
    `Services on berth sim: ${TASKS} tasks, ${HOSTS} hosts (8 vCPU / 15.6 GiB, 3 zones); load average ${loadavg()[0]?.toFixed(1)}`,
    '',
    '| case | time | ratio to bare RunTask |',
    '| --- | --- | --- |',
    row(`${TASKS} tasks by RunTask (count 10, ${CLIENTS} clients) until RUNNING (baseline)`, baseline),
    row(`CreateService of ${TASKS} until steady`, steady),
    row(`rolling deployment of ${TASKS} (100% / 200%) until COMPLETED`, rolling),
    '',
  ].join('\n'),
);
