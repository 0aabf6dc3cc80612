import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  type ECSClient,
  type NetworkMode,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { DockerRuntime } from '../../src/agent/runtime/docker.js';
import { startAgent, type RunningAgent } from '../../src/app/agent.js';
import { dockerSkipReason, ensureTestImage, TEST_IMAGE, testDocker } from '../support/images.js';
import { until } from '../support/until.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * The task metadata endpoint v4, seen from inside real containers: RunTask a task whose container
 * reads `$ECS_CONTAINER_METADATA_URI_V4` (the container, `/task`, `/taskWithTags`, `/stats`,
 * `/task/stats`) with busybox wget and serves what it got with httpd; the test fetches those files
 * over the container's published port and checks them against DescribeTasks and Docker. Once in
 * `bridge` mode (the endpoint on the bridge gateway) and once in `host` mode (127.0.0.1).
 * Every container carries `berth.test=<run>`; `after` removes exactly those.
 */

const RUN = `${process.pid}-${randomBytes(4).toString('hex')}`;
const RUN_LABEL = { 'berth.test': RUN };
const dockerSkip = await dockerSkipReason();
const MiB = 1024 * 1024;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Reads the metadata once a second into /www, which httpd serves on `port`. */
function probeScript(port: number): string {
  return [
    `httpd -p ${port} -h /www`,
    'u="$ECS_CONTAINER_METADATA_URI_V4"',
    'echo "$u" > /www/uri.txt',
    'while :; do',
    '  wget -q -O /www/container.json "$u"',
    '  wget -q -O /www/task.json "$u/task"',
    '  wget -q -O /www/tags.json "$u/taskWithTags"',
    '  wget -q -O /www/stats.json "$u/stats"',
    '  wget -q -O /www/taskstats.json "$u/task/stats"',
    '  sleep 1',
    'done',
  ].join('\n');
}

describe('task metadata endpoint v4 (docker)', { skip: dockerSkip }, () => {
  let berth: TestServer;
  let ecs: ECSClient;
  let runtime: DockerRuntime;
  let agent: RunningAgent;
  let instanceArn: string;
  let dataDir: string;
  const cluster = uniqueName('metadata');

  before(async () => {
    await ensureTestImage();
    runtime = new DockerRuntime({ docker: testDocker() });
    berth = await startTestServer();
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    dataDir = mkdtempSync(join(tmpdir(), 'berth-agent-'));
    agent = startAgent({
      endpoint: berth.endpoint,
      region: berth.region,
      credentials: berth.credentials,
      dataDir,
      env: {
        ECS_CLUSTER: cluster,
        ECS_CONTAINER_STOP_TIMEOUT: '2s',
        ECS_IMAGE_PULL_BEHAVIOR: 'prefer-cached',
      },
      logger: pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' }),
      runtime,
      labels: RUN_LABEL,
    });
    instanceArn = await agent.registered;
    await ecs.send(
      new TagResourceCommand({ resourceArn: instanceArn, tags: [{ key: 'rack', value: 'r7' }] }),
    );
    // RunTask places only on instances whose agent is connected (it has polled once).
    await until('agentConnected', async () => {
      const out = await ecs.send(
        new DescribeContainerInstancesCommand({ cluster, containerInstances: [instanceArn] }),
      );
      return out.containerInstances?.[0]?.agentConnected ? true : undefined;
    });
  });

  after(async () => {
    await agent?.close();
    if (runtime) {
      const mine = await runtime.list({ labels: RUN_LABEL });
      await Promise.all(mine.map((c) => runtime.remove(c.runtimeId)));
    }
    await berth?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const describeTask = async (arn: string): Promise<Task> =>
    (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks![0]!;

  for (const mode of ['bridge', 'host'] as const satisfies readonly NetworkMode[]) {
    it(`serves a ${mode} container its container, task, tags and stats metadata`, async () => {
      const family = uniqueName(`meta-${mode}`);
      const port = mode === 'host' ? await freePort() : 8080;
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          networkMode: mode,
          cpu: '256',
          containerDefinitions: [
            {
              name: 'probe',
              image: TEST_IMAGE,
              memory: 32,
              cpu: 64,
              command: ['sh', '-c', probeScript(port)],
              portMappings: [{ containerPort: port, hostPort: mode === 'host' ? port : 0 }],
            },
          ],
        }),
      );
      const run = await ecs.send(
        new RunTaskCommand({ cluster, taskDefinition: family, tags: [{ key: 'suite', value: 'metadata' }] }),
      );
      assert.deepEqual(run.failures, []);
      const taskArn = run.tasks![0]!.taskArn!;
      const running = await until('RUNNING', async () => {
        const t = await describeTask(taskArn);
        return t.lastStatus === 'RUNNING' ? t : undefined;
      });
      const probe = running.containers!.find((c) => c.name === 'probe')!;
      const dockerId = probe.runtimeId!;
      const hostPort = probe.networkBindings?.[0]?.hostPort;
      assert.ok(hostPort, `a host port is reported: ${JSON.stringify(probe.networkBindings)}`);
      const fromContainer = async (file: string): Promise<string> => {
        const response = await fetch(`http://127.0.0.1:${hostPort}/${file}`, {
          signal: AbortSignal.timeout(2000),
        });
        if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
        return response.text();
      };
      /** A file the container wrote, once it parses and satisfies `ready`. */
      const json = <T>(file: string, ready: (body: T) => boolean = () => true): Promise<T> =>
        until(`${file} from inside the ${mode} container`, async () => {
          const body = JSON.parse(await fromContainer(file)) as T;
          return ready(body) ? body : undefined;
        });

      // The variable is set, on the address this network mode reaches the agent by.
      const uri = (await until('uri.txt', () => fromContainer('uri.txt'))).trim();
      const inspected = await testDocker().getContainer(dockerId).inspect();
      const env = inspected.Config.Env;
      assert.ok(env.includes(`ECS_CONTAINER_METADATA_URI_V4=${uri}`), env.join(' '));
      const match = /^http:\/\/([\d.]+):(\d+)\/v4\/[0-9a-f]{40}$/.exec(uri);
      assert.ok(match, `a v4 URL: ${uri}`);
      if (mode === 'host') assert.equal(match[1], '127.0.0.1');
      else assert.equal(match[1], await runtime.bridgeGateway());
      assert.ok(
        env.some((e) => e.startsWith('ECS_CONTAINER_METADATA_URI=http')),
        'the v3 variable too',
      );

      interface Container {
        DockerId: string;
        Name: string;
        DockerName: string;
        KnownStatus: string;
        Labels: Record<string, string>;
        Limits: { CPU: number; Memory: number };
        Networks: { NetworkMode: string; IPv4Addresses?: string[] }[];
        ImageID: string;
        Image: string;
        StartedAt: string;
        Ports?: { ContainerPort: number; HostPort: number }[];
      }
      interface TaskMeta {
        Cluster: string;
        TaskARN: string;
        Family: string;
        Revision: string;
        KnownStatus: string;
        DesiredStatus: string;
        LaunchType: string;
        Limits: { CPU: number };
        Containers: Container[];
        TaskTags?: Record<string, string>;
        ContainerInstanceTags?: Record<string, string>;
        Errors?: unknown[];
      }

      const task = await json<TaskMeta>('task.json', (t) => t.KnownStatus === 'RUNNING');
      assert.equal(task.TaskARN, taskArn);
      assert.ok([cluster, running.clusterArn].includes(task.Cluster), task.Cluster);
      assert.equal(task.Family, family);
      assert.equal(task.Revision, '1');
      assert.equal(task.DesiredStatus, 'RUNNING');
      assert.equal(task.LaunchType, 'EC2');
      assert.deepEqual(task.Limits, { CPU: 0.25 });
      assert.equal(task.Containers.length, 1);
      const meta = task.Containers[0]!;
      assert.equal(meta.DockerId, dockerId);
      assert.equal(meta.Name, 'probe');
      assert.equal(meta.DockerName, inspected.Name.replace(/^\//, ''));
      assert.equal(meta.KnownStatus, 'RUNNING');
      assert.equal(meta.Image, TEST_IMAGE);
      assert.equal(meta.ImageID, inspected.Image);
      assert.deepEqual(meta.Limits, { CPU: 64, Memory: 32 });
      assert.equal(meta.Labels['com.amazonaws.ecs.task-arn'], taskArn);
      assert.equal(meta.Labels['com.amazonaws.ecs.container-name'], 'probe');
      assert.equal(meta.Networks[0]?.NetworkMode, mode);
      if (mode === 'bridge') {
        assert.deepEqual(meta.Networks[0]?.IPv4Addresses, [
          inspected.NetworkSettings.Networks.bridge?.IPAddress,
        ]);
        assert.equal(meta.Ports?.[0]?.HostPort, hostPort);
      }

      const own = await json<Container>('container.json', (c) => c.KnownStatus === 'RUNNING');
      assert.deepEqual(own, meta, 'the container route answers the same entry as /task');

      const tagged = await json<TaskMeta>('tags.json', (t) => t.KnownStatus === 'RUNNING');
      assert.equal(tagged.TaskARN, taskArn);
      assert.deepEqual(tagged.TaskTags, { suite: 'metadata' });
      assert.deepEqual(tagged.ContainerInstanceTags, { rack: 'r7' });
      assert.equal(tagged.Errors, undefined, JSON.stringify(tagged.Errors));

      interface Stats {
        id: string;
        name: string;
        read: string;
        memory_stats: { usage: number; limit: number };
        cpu_stats: { cpu_usage: { total_usage: number }; online_cpus: number };
        networks?: Record<string, { rx_bytes: number }>;
      }
      const stats = await json<Stats>('stats.json');
      assert.equal(stats.id, dockerId);
      assert.equal(stats.name, `/${meta.DockerName}`);
      assert.equal(stats.memory_stats.limit, 32 * MiB);
      assert.ok(stats.memory_stats.usage > 0);
      assert.ok(stats.cpu_stats.cpu_usage.total_usage > 0 && stats.cpu_stats.online_cpus >= 1);
      assert.ok(!Number.isNaN(Date.parse(stats.read)));
      if (mode === 'bridge') assert.ok(stats.networks?.eth0, 'a bridge container has its own eth0 counters');

      const taskStats = await json<Record<string, Stats | null>>('taskstats.json');
      assert.deepEqual(Object.keys(taskStats), [dockerId]);
      assert.equal(taskStats[dockerId]?.id, dockerId);

      // From the host: another token, or another path, is a 404 with a JSON error.
      const forged = uri.replace(/[0-9a-f]$/, (d) => (d === '0' ? '1' : '0'));
      const missing = await fetch(`${forged}/task`);
      assert.equal(missing.status, 404);
      assert.equal(typeof (await missing.json()), 'string');
      const wrongPath = await fetch(`${uri}/nope`);
      assert.equal(wrongPath.status, 404);
      await wrongPath.body?.cancel();

      await ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: 'metadata test done' }));
      await until('STOPPED', async () =>
        (await describeTask(taskArn)).lastStatus === 'STOPPED' ? true : undefined,
      );
    });
  }
});
