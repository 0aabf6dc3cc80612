import {
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type ContainerInstance,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, cleanEnv } from '../support/berth-process.js';
import { until } from '../support/until.js';

/**
 * `berth sim` as a person runs it: a real process with 20 simulated hosts in 3 zones, two sizes and
 * a custom attribute, driven through the AWS SDK with the key it prints.
 */
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const SIZES = { 'sim-2048-3800': [2048, 3800], 'sim-4096-7700': [4096, 7700] } as const;
const HOSTS = 20;

interface Ready {
  readonly endpoint: string;
  readonly region: string;
  readonly cluster: string;
  readonly instances: number;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const attribute = (ci: ContainerInstance, name: string): string | undefined =>
  ci.attributes?.find((a) => a.name === name)?.value;
const resource = (ci: ContainerInstance, name: string): number | undefined =>
  ci.registeredResources?.find((r) => r.name === name)?.integerValue;

describe('berth sim', { timeout: 120_000 }, () => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'src', 'cli', 'main.ts'),
      'sim',
      '--port',
      '0',
      '--instances',
      String(HOSTS),
      '--zones',
      ZONES.join(','),
      '--sizes',
      '2048:3800,4096:7700',
      '--attribute',
      'EBS=io1|gp2',
      '--cluster',
      'simtest',
    ],
    { cwd: REPO_ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr
    .setEncoding('utf8')
    .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-64 * 1024)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let ready: Ready;
  let ecs: ECSClient;
  let instances: ContainerInstance[];
  const zoneOf = new Map<string, string>();

  before(async () => {
    const line = await until(
      'berth sim to print its ready line',
      () => Promise.resolve(stdout.includes('\n') ? stdout.slice(0, stdout.indexOf('\n')) : undefined),
      60_000,
      () => stderr,
    );
    ready = JSON.parse(line) as Ready;
    ecs = new ECSClient({
      endpoint: ready.endpoint,
      region: ready.region,
      credentials: { accessKeyId: ready.accessKeyId, secretAccessKey: ready.secretAccessKey },
      maxAttempts: 1,
    });
    const { containerInstanceArns = [] } = await ecs.send(
      new ListContainerInstancesCommand({ cluster: ready.cluster }),
    );
    instances =
      (
        await ecs.send(
          new DescribeContainerInstancesCommand({
            cluster: ready.cluster,
            containerInstances: containerInstanceArns,
          }),
        )
      ).containerInstances ?? [];
    for (const ci of instances) zoneOf.set(ci.containerInstanceArn!, attribute(ci, 'ecs.availability-zone')!);
  });

  after(async () => {
    ecs?.destroy();
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });

  it('prints one JSON line: endpoint, region, cluster, host count and the administrator key', () => {
    assert.match(ready.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(ready.region, 'us-east-1');
    assert.equal(ready.cluster, 'simtest');
    assert.equal(ready.instances, HOSTS);
    assert.match(ready.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.match(ready.secretAccessKey, /^[A-Za-z0-9]{40}$/);
  });

  it('registers every host ACTIVE and connected, zones and sizes dealt evenly, with its attribute', () => {
    assert.equal(instances.length, HOSTS);
    for (const ci of instances) {
      assert.equal(ci.status, 'ACTIVE');
      assert.equal(ci.agentConnected, true);
      const type = attribute(ci, 'ecs.instance-type') as keyof typeof SIZES;
      assert.ok(SIZES[type], `a size from --sizes: ${type}`);
      assert.deepEqual([resource(ci, 'CPU'), resource(ci, 'MEMORY')], SIZES[type]);
      assert.ok(['io1', 'gp2'].includes(attribute(ci, 'EBS') ?? ''));
    }
    const count = (pick: (ci: ContainerInstance) => string | undefined): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const ci of instances) out[pick(ci) ?? '?'] = (out[pick(ci) ?? '?'] ?? 0) + 1;
      return out;
    };
    assert.deepEqual(
      count((ci) => attribute(ci, 'ecs.availability-zone')),
      {
        'zone-a': 7,
        'zone-b': 7,
        'zone-c': 6,
      },
    );
    assert.deepEqual(
      count((ci) => attribute(ci, 'EBS')),
      { io1: 10, gp2: 10 },
    );
    // Every zone has hosts of both sizes.
    for (const zone of ZONES) {
      const types = new Set(
        instances
          .filter((ci) => attribute(ci, 'ecs.availability-zone') === zone)
          .map((ci) => attribute(ci, 'ecs.instance-type')),
      );
      assert.equal(types.size, 2, `${zone} has both sizes`);
    }
  });

  it('runs tasks spread over the zones, and the simulated hosts take them to RUNNING', async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'sim-web',
        cpu: '256',
        memory: '512',
        // Any image: the simulated hosts' registry serves every one.
        containerDefinitions: [{ name: 'web', image: 'registry.example/any/image:1.2.3' }],
      }),
    );
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: ready.cluster,
        taskDefinition: 'sim-web',
        count: 9,
        placementStrategy: [
          { type: 'spread', field: 'attribute:ecs.availability-zone' },
          { type: 'binpack', field: 'memory' },
        ],
      }),
    );
    assert.deepEqual(run.failures, []);
    const arns = (run.tasks ?? []).map((t) => t.taskArn!);
    assert.equal(arns.length, 9);
    const perZone: Record<string, number> = {};
    for (const t of run.tasks ?? []) {
      const zone = zoneOf.get(t.containerInstanceArn!)!;
      assert.equal(t.availabilityZone, zone);
      perZone[zone] = (perZone[zone] ?? 0) + 1;
    }
    assert.deepEqual(perZone, { 'zone-a': 3, 'zone-b': 3, 'zone-c': 3 });

    const running = await until(
      'the tasks to reach RUNNING on the simulated hosts',
      async () => {
        const { tasks = [] } = await ecs.send(
          new DescribeTasksCommand({ cluster: ready.cluster, tasks: arns }),
        );
        return tasks.every((t) => t.lastStatus === 'RUNNING') ? tasks : undefined;
      },
      30_000,
      () => stderr,
    );
    for (const task of running) {
      assert.equal(task.containers?.[0]?.lastStatus, 'RUNNING');
      assert.ok(task.containers?.[0]?.runtimeId, 'the simulated engine gave the container an id');
    }
    const { clusters = [] } = await ecs.send(new DescribeClustersCommand({ clusters: [ready.cluster] }));
    assert.equal(clusters[0]?.runningTasksCount, 9);
    assert.equal(clusters[0]?.registeredContainerInstancesCount, HOSTS);
  });

  it('steers tasks with memberOf on the custom attribute', async () => {
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: ready.cluster,
        taskDefinition: 'sim-web',
        count: 4,
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:EBS == io1' }],
      }),
    );
    assert.equal(run.tasks?.length, 4);
    for (const t of run.tasks ?? []) {
      const ci = instances.find((i) => i.containerInstanceArn === t.containerInstanceArn)!;
      assert.equal(attribute(ci, 'EBS'), 'io1');
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null }, stderr);
  });
});
