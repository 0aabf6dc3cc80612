import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type ContainerDefinition,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Task,
  type TaskOverride,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DockerRuntime } from '../../src/agent/runtime/docker.js';
import { startAgent, type RunningAgent } from '../../src/app/agent.js';
import { ensureTestImage, TEST_IMAGE, testDocker } from './images.js';
import { startTestServer, uniqueName, type TestServer } from './server.js';

/**
 * A control plane and one in-process agent per cluster on the real Docker engine, for the
 * end-to-end task-behaviour suites. Every container the agents create carries
 * `berth.test=<run id>`; `close()` removes exactly those.
 */

export const RUN = `${process.pid}-${randomBytes(4).toString('hex')}`;
export const RUN_LABEL = { 'berth.test': RUN } as const;

import { until } from './until.js';

export { until };

/** A TCP port nobody listens on right now (for a static hostPort). */
export async function freePort(): Promise<number> {
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

export interface ClusterHarness {
  readonly cluster: string;
  readonly agent: RunningAgent;
  readonly instanceArn: string;
  /** The agent's data dir (its identity file). */
  readonly dataDir: string;
  readonly ecs: ECSClient;
  /** Registers a one-off family (unique name) and returns it. */
  register(
    containers: ContainerDefinition[],
    extra?: Omit<RegisterTaskDefinitionCommandInput, 'family' | 'containerDefinitions'>,
  ): Promise<string>;
  /** RunTask of one task; asserts no failures and returns its ARN. */
  run(family: string, overrides?: TaskOverride): Promise<string>;
  task(taskArn: string): Promise<Task>;
  /** Waits until the task's lastStatus is `status` (fails fast if it STOPPED on the way). */
  waitFor(taskArn: string, status: 'RUNNING' | 'STOPPED', timeoutMs?: number): Promise<Task>;
  /** Containers in Docker (any state) carrying this cluster's ECS label. */
  dockerContainers(labels?: Record<string, string>): Promise<{ Id: string; State: string }[]>;
}

export interface DockerHarness {
  readonly berth: TestServer;
  readonly ecs: ECSClient;
  /** A new cluster with its own agent (own data dir), `env` added to the agent's ECS_* settings. */
  cluster(prefix: string, env?: Record<string, string>): Promise<ClusterHarness>;
  close(): Promise<void>;
}

export async function startDockerHarness(
  serverOptions: Parameters<typeof startTestServer>[0] = {},
): Promise<DockerHarness> {
  await ensureTestImage();
  const berth = await startTestServer(serverOptions);
  const ecs = berth.ecs();
  const docker = testDocker();
  const agents: RunningAgent[] = [];
  const dirs: string[] = [];
  const logger = pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' });

  async function cluster(prefix: string, env: Record<string, string> = {}): Promise<ClusterHarness> {
    const name = uniqueName(prefix);
    await ecs.send(new CreateClusterCommand({ clusterName: name }));
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-agent-'));
    dirs.push(dataDir);
    const agent = startAgent({
      endpoint: berth.endpoint,
      region: berth.region,
      credentials: berth.credentials,
      dataDir,
      env: {
        ECS_CLUSTER: name,
        ECS_CONTAINER_STOP_TIMEOUT: '2s',
        ECS_IMAGE_PULL_BEHAVIOR: 'prefer-cached',
        // Long enough to inspect a stopped container; the harness removes what is left.
        ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION: '60s',
        ...env,
      },
      logger,
      runtime: new DockerRuntime({ docker }),
      labels: RUN_LABEL,
    });
    agents.push(agent);
    const instanceArn = await agent.registered;
    // RunTask places tasks only on instances whose agent is connected (has polled).
    await until('the agent to connect', async () => {
      const out = await ecs.send(
        new DescribeContainerInstancesCommand({ cluster: name, containerInstances: [instanceArn] }),
      );
      return out.containerInstances?.[0]?.agentConnected === true ? true : undefined;
    });

    const task = async (taskArn: string): Promise<Task> => {
      const out = await ecs.send(new DescribeTasksCommand({ cluster: name, tasks: [taskArn] }));
      const found = out.tasks?.[0];
      assert.ok(found, `DescribeTasks knows ${taskArn}: ${JSON.stringify(out.failures)}`);
      return found;
    };
    return {
      cluster: name,
      agent,
      instanceArn,
      dataDir,
      ecs,
      async register(containers, extra = {}) {
        const family = uniqueName(prefix);
        await ecs.send(
          new RegisterTaskDefinitionCommand({ family, containerDefinitions: containers, ...extra }),
        );
        return family;
      },
      async run(family, overrides) {
        const out = await ecs.send(
          new RunTaskCommand({ cluster: name, taskDefinition: family, ...(overrides ? { overrides } : {}) }),
        );
        assert.deepEqual(out.failures, [], 'RunTask places the task');
        const arn = out.tasks?.[0]?.taskArn;
        assert.ok(arn);
        return arn;
      },
      task,
      async waitFor(taskArn, status, timeoutMs = 30_000) {
        let last: Task | undefined;
        try {
          return await until(
            `${status}`,
            async () => {
              last = await task(taskArn);
              if (last.lastStatus === status) return last;
              if (last.lastStatus === 'STOPPED')
                assert.fail(`the task STOPPED instead of reaching ${status}: ${describeTask(last)}`);
              return undefined;
            },
            timeoutMs,
          );
        } catch (err) {
          if (err instanceof assert.AssertionError && last && !err.message.includes('STOPPED instead'))
            err.message += `\nlast seen: ${describeTask(last)}`;
          throw err;
        }
      },
      async dockerContainers(labels = {}) {
        const filters = [
          `com.amazonaws.ecs.cluster=${name}`,
          ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
        ];
        return docker.listContainers({ all: true, filters: { label: filters } });
      },
    };
  }

  return {
    berth,
    ecs,
    cluster,
    async close() {
      await Promise.all(agents.map((a) => a.close()));
      const mine = await docker.listContainers({ all: true, filters: { label: [`berth.test=${RUN}`] } });
      await Promise.all(
        mine.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
      );
      await berth.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The parts of a task a failure message should show. */
export function describeTask(t: Task): string {
  return JSON.stringify({
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    stopCode: t.stopCode,
    stoppedReason: t.stoppedReason,
    containers: t.containers?.map((c) => ({
      name: c.name,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
      healthStatus: c.healthStatus,
      networkBindings: c.networkBindings,
    })),
  });
}

/** A container of the test image (memory 32 MiB unless given). */
export function container(
  name: string,
  command: string[],
  extra: Omit<ContainerDefinition, 'name' | 'image' | 'command'> = {},
): ContainerDefinition {
  return { name, image: TEST_IMAGE, command, memory: 32, ...extra };
}

/** `sh -c <script>` */
export function sh(script: string): string[] {
  return ['sh', '-c', script];
}
