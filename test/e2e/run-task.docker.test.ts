import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ContainerInstance,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { DockerRuntime } from '../../src/agent/runtime/docker.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import type { Runtime } from '../../src/agent/runtime/runtime.js';
import { startAgent, type RunningAgent } from '../../src/app/agent.js';
import { dockerSkipReason, ensureTestImage, TEST_IMAGE, TEST_PAGE, testDocker } from '../support/images.js';
import { until } from '../support/until.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * RunTask starts a real container: control plane + in-process agent (registration, the
 * BerthAgentV1.Poll long poll, the task engine, SubmitContainer/TaskStateChange). The same flow
 * runs on Docker with the offline busybox image (skipped with the reason when no daemon answers;
 * every container carries `berth.test=<run>` and `after` removes exactly those) and on the fake
 * runtime (always).
 */

const RUN = `${process.pid}-${randomBytes(4).toString('hex')}`;
const RUN_LABEL = { 'berth.test': RUN };
const dockerSkip = await dockerSkipReason();

function runTaskFlow(kind: 'docker' | 'fake', skip: string | false): void {
  describe(`RunTask starts a container (${kind} runtime)`, { skip }, () => {
    let berth: TestServer;
    let ecs: ECSClient;
    let runtime: Runtime;
    let agent: RunningAgent;
    let instanceArn: string;
    let dataDir: string;
    const cluster = uniqueName(`run-${kind}`);

    before(async () => {
      if (kind === 'docker') {
        await ensureTestImage();
        runtime = new DockerRuntime({ docker: testDocker() });
      } else {
        runtime = new FakeRuntime({ localImages: [TEST_IMAGE] });
      }
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

    const instance = async (): Promise<ContainerInstance> => {
      const out = await ecs.send(
        new DescribeContainerInstancesCommand({ cluster, containerInstances: [instanceArn] }),
      );
      return out.containerInstances![0]!;
    };
    const task = async (arn: string): Promise<Task> => {
      const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }));
      return out.tasks![0]!;
    };

    it('marks the instance agentConnected once the agent polls', async () => {
      await until('agentConnected', async () => ((await instance()).agentConnected ? true : undefined));
    });

    it('runs httpd on a dynamic host port, reports it, and stops it with StopTask', async () => {
      const before = await instance();
      const family = uniqueName('web');
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: [
            {
              name: 'web',
              image: TEST_IMAGE,
              command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
              memory: 32,
              portMappings: [{ containerPort: 8080, hostPort: 0 }],
              environment: [{ name: 'FROM', value: 'definition' }],
            },
          ],
        }),
      );
      const run = await ecs.send(
        new RunTaskCommand({
          cluster,
          taskDefinition: family,
          overrides: {
            containerOverrides: [{ name: 'web', environment: [{ name: 'FROM', value: 'override' }] }],
          },
        }),
      );
      assert.deepEqual(run.failures, []);
      const taskArn = run.tasks![0]!.taskArn!;

      const running = await until('RUNNING', async () => {
        const t = await task(taskArn);
        return t.lastStatus === 'RUNNING' ? t : undefined;
      });
      const web = running.containers!.find((c) => c.name === 'web')!;
      assert.equal(web.lastStatus, 'RUNNING');
      assert.ok(web.runtimeId, 'the container runtime id is reported');
      const hostPort = web.networkBindings?.[0]?.hostPort;
      assert.ok(hostPort !== undefined && hostPort > 0, `a host port is reported: ${JSON.stringify(web)}`);
      assert.equal(web.networkBindings?.[0]?.containerPort, 8080);

      const state = await runtime.inspect(web.runtimeId);
      assert.equal(state.status, 'running');
      if (kind === 'docker') {
        const body = await until('the test page', async () => {
          const response = await fetch(`http://127.0.0.1:${hostPort}/index.html`, {
            signal: AbortSignal.timeout(1000),
          });
          const text = await response.text();
          return text === TEST_PAGE ? text : undefined;
        });
        assert.equal(body, TEST_PAGE);
        const env = (await testDocker().getContainer(web.runtimeId).inspect()).Config.Env;
        assert.ok(env.includes('FROM=override'), `override environment applied: ${env.join(' ')}`);
      }
      const held = await instance();
      const memory = (i: ContainerInstance) =>
        i.remainingResources?.find((r) => r.name === 'MEMORY')?.integerValue;
      assert.equal(memory(held), (memory(before) ?? 0) - 32);

      await ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: 'test is done' }));
      const stopped = await until('STOPPED', async () => {
        const t = await task(taskArn);
        return t.lastStatus === 'STOPPED' ? t : undefined;
      });
      assert.equal(stopped.stopCode, 'UserInitiated');
      assert.equal(stopped.stoppedReason, 'test is done');
      assert.equal(stopped.containers?.[0]?.lastStatus, 'STOPPED');
      const after = await runtime.inspect(web.runtimeId);
      assert.ok(after.status === 'exited' || after.status === 'removed', `container is ${after.status}`);
      if (kind === 'docker') {
        const listed = await testDocker().listContainers({ filters: { id: [web.runtimeId] } });
        assert.equal(listed.length, 0, 'the container is gone from docker ps');
      }
      const released = await instance();
      assert.deepEqual(released.remainingResources, before.remainingResources);
    });
  });
}

runTaskFlow('docker', dockerSkip);
runTaskFlow('fake', false);
