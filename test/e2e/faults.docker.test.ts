import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ECS_LABELS } from '../../src/agent/engine/task-spec.js';
import {
  cleanup,
  scratchDir,
  startAgentProcess,
  startBerth,
  type AgentProcess,
  type BerthProcess,
  type Credentials,
} from '../support/berth-process.js';
import { TEST_IMAGE } from '../support/images.js';
import { PrivateDockerd } from '../support/private-dockerd.js';
import { uniqueName } from '../support/server.js';
import { until as untilDone } from '../support/until.js';

/**
 * The faults, with every part a separate process as in production: `berth up` (the control
 * plane; its own agent is kept off Docker), `berth agent` on a Docker engine of the test's own
 * (so restarting that engine disturbs no other test), and containers that run until stopped.
 * - kill -9 the agent while tasks run: the containers keep running; the restarted agent takes them
 *   over (same instance, same containers, none duplicated) and applies a StopTask made meanwhile;
 * - restart dockerd: the tasks whose containers died are reported STOPPED with a reason, and the
 *   agent runs new tasks once the engine is back;
 * - kill -9 the control plane: the agent reconnects to the restarted one and a container exit that
 *   happened during the outage reaches it.
 */

const skip = PrivateDockerd.skipReason();
/** Exits promptly on SIGTERM (a shell as PID 1 ignores it unless it traps it). */
const RUN_UNTIL_STOPPED = "trap 'exit 0' TERM; while true; do sleep 1; done";

describe('faults: agent, Docker engine and control plane restarts', { skip }, () => {
  const dockerd = new PrivateDockerd();
  const cluster = uniqueName('faults');
  const family = uniqueName('faults');
  const agentDir = join(scratchDir('berth-agent-'), 'agent');
  let berth: BerthProcess;
  let ecs: ECSClient;
  let credentials: Credentials;
  let agent: AgentProcess;

  const startAgent = (): Promise<AgentProcess> =>
    startAgentProcess({
      endpoint: berth.endpoint,
      region: berth.region,
      credentials,
      dataDir: agentDir,
      env: {
        ECS_CLUSTER: cluster,
        DOCKER_HOST: dockerd.host,
        ECS_CONTAINER_STOP_TIMEOUT: '2s',
        BERTH_LOG_LEVEL: 'warn',
      },
    });

  /** `berth up` on `dataDir` (a restart when given), on `port` (the agent's endpoint stays valid). */
  const startControlPlane = async (dataDir?: string, port?: number): Promise<void> => {
    berth = await startBerth({
      ...(dataDir !== undefined ? { dataDir } : {}),
      ...(port !== undefined ? { args: ['--port', String(port)] } : {}),
      // This process's own agent stays off Docker: the test's agent is the separate process.
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock', BERTH_LOG_LEVEL: 'warn' },
    });
    credentials = berth.credentials!;
    ecs = berth.ecs();
  };

  const describeTask = async (taskArn: string): Promise<Task> => {
    const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
    return tasks?.[0] ?? assert.fail(`task ${taskArn} not found`);
  };

  const until = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> =>
    untilDone(what, probe, 45_000, () => agent.stderr());

  const untilStatus = (taskArn: string, status: string): Promise<Task> =>
    until(`${taskArn} ${status}`, async () => {
      const task = await describeTask(taskArn);
      return task.lastStatus === status ? task : undefined;
    });

  const runTask = async (): Promise<string> => {
    const { tasks, failures } = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: family }));
    assert.deepEqual(failures, []);
    return tasks?.[0]?.taskArn ?? assert.fail('no task');
  };

  /** Placement takes the instance once its agent has polled (printing the ARN comes first). */
  const untilConnected = (): Promise<true> =>
    until('agentConnected', async () => {
      const { containerInstances } = await ecs.send(
        new DescribeContainerInstancesCommand({ cluster, containerInstances: [agent.containerInstanceArn] }),
      );
      return containerInstances?.[0]?.agentConnected === true ? true : undefined;
    });

  /** The engine's containers of this cluster, by id → state. */
  const containers = async (): Promise<Map<string, string>> => {
    const list = await dockerd
      .docker()
      .listContainers({ all: true, filters: { label: [`${ECS_LABELS.cluster}=${cluster}`] } });
    return new Map(list.map((c) => [c.Id, c.State]));
  };

  before(async () => {
    await dockerd.start();
    await startControlPlane();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        networkMode: 'host',
        containerDefinitions: [
          { name: 'app', image: TEST_IMAGE, memory: 32, command: ['sh', '-c', RUN_UNTIL_STOPPED] },
        ],
      }),
    );
    agent = await startAgent();
    await untilConnected();
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await dockerd.dispose();
    await cleanup();
  });

  it('kill -9 the agent: containers keep running, the restarted agent takes them over', async () => {
    const [kept, stopped] = [await runTask(), await runTask()];
    const keptBefore = await untilStatus(kept, 'RUNNING');
    await untilStatus(stopped, 'RUNNING');
    const before = await containers();
    assert.equal(before.size, 2);

    assert.equal((await agent.stop('SIGKILL')).signal, 'SIGKILL');
    await ecs.send(
      new StopTaskCommand({ cluster, task: stopped, reason: 'stopped while the agent was down' }),
    );
    await sleep(500);
    assert.deepEqual(
      [...(await containers()).values()],
      ['running', 'running'],
      'containers outlive the agent',
    );

    const instanceBefore = agent.containerInstanceArn;
    agent = await startAgent();
    assert.equal(agent.containerInstanceArn, instanceBefore, 'the same container instance');

    const done = await untilStatus(stopped, 'STOPPED');
    assert.equal(done.stopCode, 'UserInitiated');
    assert.equal(done.stoppedReason, 'stopped while the agent was down');
    const still = await describeTask(kept);
    assert.equal(still.lastStatus, 'RUNNING');
    assert.equal(still.containers?.[0]?.runtimeId, keptBefore.containers?.[0]?.runtimeId);
    const after = await containers();
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), 'no container added or lost');
    assert.equal(after.get(keptBefore.containers?.[0]?.runtimeId ?? ''), 'running');
    const { containerInstances } = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster, containerInstances: [instanceBefore] }),
    );
    assert.equal(containerInstances?.[0]?.runningTasksCount, 1);
  });

  it('restart dockerd: tasks whose containers died are STOPPED with a reason, new tasks run', async () => {
    const victim = await runTask();
    await untilStatus(victim, 'RUNNING');
    await dockerd.restart();

    const stopped = await untilStatus(victim, 'STOPPED');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.ok(stopped.stoppedReason, 'a stopped reason');
    assert.equal(stopped.containers?.[0]?.lastStatus, 'STOPPED');
    assert.equal(typeof stopped.containers?.[0]?.exitCode, 'number', 'the exit code the engine recorded');

    const fresh = await runTask();
    const running = await untilStatus(fresh, 'RUNNING');
    const id = running.containers?.[0]?.runtimeId ?? '';
    assert.equal((await containers()).get(id), 'running');
  });

  it('kill -9 the control plane: the agent reconnects and what happened meanwhile converges', async () => {
    const task = await runTask();
    const running = await untilStatus(task, 'RUNNING');
    const { dataDir, port } = berth;
    assert.equal((await berth.stop('SIGKILL')).signal, 'SIGKILL');

    // During the outage the container exits with a code of its own.
    const container = dockerd.docker().getContainer(running.containers?.[0]?.runtimeId ?? '');
    await container.kill({ signal: 'SIGKILL' });
    await sleep(1000);

    await startControlPlane(dataDir, port);
    const stopped = await untilStatus(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.containers?.[0]?.exitCode, 137);
    const { containerInstances } = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster, containerInstances: [agent.containerInstanceArn] }),
    );
    assert.equal(containerInstances?.[0]?.agentConnected, true);
    const fresh = await runTask();
    await untilStatus(fresh, 'RUNNING');
  });
});
