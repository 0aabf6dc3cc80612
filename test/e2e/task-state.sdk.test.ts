import {
  ClientException,
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  DiscoverPollEndpointCommand,
  InvalidParameterException,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  SubmitContainerStateChangeCommand,
  SubmitTaskStateChangeCommand,
  type ECSClient,
  type Resource,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registration } from '../support/fixtures.js';
import { rejectsWith } from '../support/assert.js';
import { connectAgent } from '../support/agent-session.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

const BINDING = { bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' as const };

describe('agent state reports through @aws-sdk/client-ecs', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
  });
  after(() => berth.close());

  /**
   * A cluster with one registered instance and a family of an essential `app` (512 CPU, 1024 MiB,
   * host port 8080) and a non-essential `sidecar`; one task of it is run.
   */
  async function runOne(): Promise<{
    cluster: string;
    instance: string;
    task: string;
    full: Resource[];
  }> {
    const cluster = uniqueName('state');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const registered = await ecs.send(
      new RegisterContainerInstanceCommand(registration(cluster, uniqueName('host'))),
    );
    const instance = registered.containerInstance!.containerInstanceArn!;
    await connectAgent(berth, cluster, instance);
    const full = registered.containerInstance!.remainingResources!;
    const family = uniqueName('fam');
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [
          {
            name: 'app',
            image: 'busybox:latest',
            cpu: 512,
            memory: 1024,
            portMappings: [{ containerPort: 80, hostPort: 8080 }],
          },
          { name: 'sidecar', image: 'busybox:latest', essential: false, memoryReservation: 16 },
        ],
      }),
    );
    const run = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: family }));
    assert.deepEqual(run.failures, []);
    return { cluster, instance, task: run.tasks![0]!.taskArn!, full };
  }

  async function describeTask(cluster: string, task: string): Promise<Task> {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [task] }));
    assert.deepEqual(out.failures, []);
    return out.tasks![0]!;
  }

  async function remaining(cluster: string, instance: string): Promise<Resource[]> {
    const out = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster, containerInstances: [instance] }),
    );
    return out.containerInstances![0]!.remainingResources!;
  }

  const container = (task: Task, name: string) => task.containers!.find((c) => c.name === name)!;

  it('runs, then stops when an essential container exits, giving resources back exactly once', async () => {
    const { cluster, instance, task, full } = await runOne();
    const taken = await remaining(cluster, instance);
    assert.equal(taken.find((r) => r.name === 'CPU')?.integerValue, 2048 - 512);

    const pullStartedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 4000);
    const pullStoppedAt = new Date(pullStartedAt.getTime() + 2000);
    const report = await ecs.send(
      new SubmitTaskStateChangeCommand({
        cluster,
        task,
        status: 'PENDING',
        pullStartedAt,
        pullStoppedAt,
        containers: [
          {
            containerName: 'sidecar',
            status: 'RUNNING',
            runtimeId: 'rt-sidecar',
            imageDigest: `sha256:${'b'.repeat(64)}`,
          },
        ],
      }),
    );
    assert.equal(report.acknowledgment, 'ACK');
    let seen = await describeTask(cluster, task);
    assert.equal(seen.lastStatus, 'PENDING', 'the essential container is not running yet');
    assert.equal(seen.pullStartedAt?.getTime(), pullStartedAt.getTime());
    assert.equal(seen.pullStoppedAt?.getTime(), pullStoppedAt.getTime());
    assert.equal(container(seen, 'sidecar').lastStatus, 'RUNNING');
    assert.equal(container(seen, 'sidecar').imageDigest, `sha256:${'b'.repeat(64)}`);

    const running = new SubmitContainerStateChangeCommand({
      cluster,
      task,
      containerName: 'app',
      status: 'RUNNING',
      runtimeId: 'rt-app',
      networkBindings: [BINDING],
    });
    assert.equal((await ecs.send(running)).acknowledgment, 'ACK');
    seen = await describeTask(cluster, task);
    assert.equal(seen.lastStatus, 'RUNNING');
    assert.equal(seen.desiredStatus, 'RUNNING');
    assert.ok(seen.startedAt instanceof Date);
    assert.equal(container(seen, 'app').lastStatus, 'RUNNING');
    assert.equal(container(seen, 'app').runtimeId, 'rt-app');
    assert.deepEqual(container(seen, 'app').networkBindings, [BINDING]);
    assert.equal(container(seen, 'sidecar').runtimeId, 'rt-sidecar');
    assert.deepEqual(container(seen, 'sidecar').networkBindings, []);

    // The same report again changes nothing, not even the version.
    await ecs.send(running);
    assert.deepEqual(await describeTask(cluster, task), seen);

    await ecs.send(
      new SubmitContainerStateChangeCommand({
        cluster,
        task,
        containerName: 'app',
        status: 'STOPPED',
        exitCode: 3,
        reason: 'exited',
      }),
    );
    seen = await describeTask(cluster, task);
    assert.equal(seen.lastStatus, 'STOPPING', 'the sidecar is still running');
    assert.equal(seen.desiredStatus, 'STOPPED');
    assert.equal(seen.stopCode, 'EssentialContainerExited');
    assert.equal(seen.stoppedReason, 'Essential container in task exited');
    assert.equal(container(seen, 'app').lastStatus, 'STOPPED');
    assert.equal(container(seen, 'app').exitCode, 3);
    assert.equal(container(seen, 'app').reason, 'exited');
    assert.deepEqual(await remaining(cluster, instance), taken, 'resources are held until STOPPED');

    const stopped = new SubmitTaskStateChangeCommand({
      cluster,
      task,
      status: 'STOPPED',
      executionStoppedAt: new Date(),
      containers: [{ containerName: 'sidecar', status: 'STOPPED', exitCode: 143 }],
    });
    await ecs.send(stopped);
    seen = await describeTask(cluster, task);
    assert.equal(seen.lastStatus, 'STOPPED');
    assert.ok(seen.stoppedAt instanceof Date);
    assert.ok(seen.executionStoppedAt instanceof Date);
    assert.equal(seen.stopCode, 'EssentialContainerExited');
    assert.equal(container(seen, 'sidecar').exitCode, 143);
    assert.equal(container(seen, 'app').exitCode, 3);
    assert.deepEqual(await remaining(cluster, instance), full);

    // Reports after STOPPED (repeated or not) change nothing and release nothing twice.
    await ecs.send(stopped);
    await ecs.send(
      new SubmitContainerStateChangeCommand({
        cluster,
        task,
        containerName: 'app',
        status: 'RUNNING',
        runtimeId: 'late',
      }),
    );
    assert.deepEqual(await describeTask(cluster, task), seen);
    assert.deepEqual(await remaining(cluster, instance), full);
  });

  it('StopTask leaves a running task STOPPING until the agent reports it STOPPED', async () => {
    const { cluster, instance, task, full } = await runOne();
    await ecs.send(
      new SubmitTaskStateChangeCommand({
        cluster,
        task: task.split('/').pop(),
        status: 'RUNNING',
        containers: [
          { containerName: 'app', status: 'RUNNING', runtimeId: 'a1', networkBindings: [BINDING] },
          { containerName: 'sidecar', status: 'RUNNING', runtimeId: 's1' },
        ],
      }),
    );
    assert.equal((await describeTask(cluster, task)).lastStatus, 'RUNNING');
    const stop = await ecs.send(new StopTaskCommand({ cluster, task, reason: 'rolling' }));
    assert.equal(stop.task?.lastStatus, 'STOPPING');
    assert.equal(stop.task?.desiredStatus, 'STOPPED');
    assert.notDeepEqual(await remaining(cluster, instance), full);

    // The agent reports with the task ARN only: the cluster is the ARN's.
    await ecs.send(
      new SubmitTaskStateChangeCommand({
        task,
        status: 'STOPPED',
        reason: 'stopped by the agent',
        containers: [
          { containerName: 'app', status: 'STOPPED', exitCode: 0 },
          { containerName: 'sidecar', status: 'STOPPED', exitCode: 0 },
        ],
      }),
    );
    const seen = await describeTask(cluster, task);
    assert.equal(seen.lastStatus, 'STOPPED');
    assert.equal(seen.stopCode, 'UserInitiated', 'the first reason to stop wins');
    assert.equal(seen.stoppedReason, 'rolling');
    assert.deepEqual(
      seen.containers!.map((c) => [c.name, c.lastStatus, c.exitCode]),
      [
        ['app', 'STOPPED', 0],
        ['sidecar', 'STOPPED', 0],
      ],
    );
    assert.deepEqual(await remaining(cluster, instance), full);
  });

  it('a task reported STOPPED with a reason before any container ran failed to start', async () => {
    const { cluster, instance, task, full } = await runOne();
    await ecs.send(
      new SubmitTaskStateChangeCommand({
        cluster,
        task,
        status: 'STOPPED',
        reason: 'CannotPullContainerError: pull access denied',
      }),
    );
    const seen = await describeTask(cluster, task);
    assert.equal(seen.lastStatus, 'STOPPED');
    assert.equal(seen.stopCode, 'TaskFailedToStart');
    assert.equal(seen.stoppedReason, 'CannotPullContainerError: pull access denied');
    assert.equal(seen.startedAt, undefined);
    assert.deepEqual(await remaining(cluster, instance), full);
  });

  it('answers reports about unknown clusters, tasks, containers or statuses with AWS errors, changing nothing', async () => {
    const { cluster, instance, task } = await runOne();
    const before_ = await describeTask(cluster, task);
    const held = await remaining(cluster, instance);
    const unknownTask = 'f'.repeat(32);

    await rejectsWith(
      ecs.send(
        new SubmitContainerStateChangeCommand({
          cluster,
          task: unknownTask,
          containerName: 'app',
          status: 'RUNNING',
        }),
      ),
      ClientException,
      /task was not found/,
    );
    await rejectsWith(
      ecs.send(new SubmitTaskStateChangeCommand({ cluster, task: unknownTask, status: 'RUNNING' })),
      InvalidParameterException,
      /task was not found/,
    );
    await rejectsWith(
      ecs.send(
        new SubmitContainerStateChangeCommand({ cluster, task, containerName: 'nobody', status: 'RUNNING' }),
      ),
      ClientException,
      /nobody/,
    );
    // One unknown container refuses the whole report: `app` is not started either.
    await rejectsWith(
      ecs.send(
        new SubmitTaskStateChangeCommand({
          cluster,
          task,
          status: 'RUNNING',
          containers: [
            { containerName: 'app', status: 'RUNNING', runtimeId: 'x' },
            { containerName: 'nobody', status: 'RUNNING' },
          ],
        }),
      ),
      InvalidParameterException,
      /nobody/,
    );
    await rejectsWith(
      ecs.send(
        new SubmitContainerStateChangeCommand({ cluster, task, containerName: 'app', status: 'running' }),
      ),
      ClientException,
      /status/,
    );
    await rejectsWith(
      ecs.send(
        new SubmitTaskStateChangeCommand({
          cluster: 'no-such-cluster',
          task,
          containers: [{ containerName: 'app', status: 'RUNNING' }],
        }),
      ),
      ClientException,
      /no-such-cluster/,
    );
    await rejectsWith(
      ecs.send(new SubmitContainerStateChangeCommand({ cluster, task, status: 'RUNNING' })),
      ClientException,
      /containerName/,
    );
    assert.deepEqual(await describeTask(cluster, task), before_);
    assert.deepEqual(await remaining(cluster, instance), held);
  });

  it('DiscoverPollEndpoint answers the endpoint the agent reached', async () => {
    const { cluster, instance } = await runOne();
    const out = await ecs.send(new DiscoverPollEndpointCommand({ cluster, containerInstance: instance }));
    assert.equal(out.endpoint, berth.endpoint);
    assert.equal(out.telemetryEndpoint, berth.endpoint);
    await rejectsWith(
      ecs.send(new DiscoverPollEndpointCommand({ cluster: 'no-such-cluster' })),
      ClientException,
    );
  });
});
