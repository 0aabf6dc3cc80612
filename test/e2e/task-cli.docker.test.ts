import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aws, cleanup, scratchDir, startBerth, type BerthProcess } from '../support/berth-process.js';
import { dockerSkipReason, ensureTestImage, TEST_IMAGE, TEST_PAGE, testDocker } from '../support/images.js';
import { uniqueName } from '../support/server.js';
import { until } from '../support/until.js';

/**
 * Issue 3's "Must show", item 10: a real task through the AWS CLI against a `berth up` process and
 * its own agent on this host's Docker — register, run, describe until RUNNING, HTTP on the host
 * port, stop, describe until STOPPED. The agent joins a cluster of its own (ECS_CLUSTER), so its
 * containers carry `com.amazonaws.ecs.cluster=<that name>`; `after` removes exactly those.
 */

const dockerSkip = await dockerSkipReason();

interface CliContainer {
  name: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  networkBindings?: { hostPort?: number; containerPort?: number }[];
}
interface CliTask {
  taskArn: string;
  lastStatus: string;
  desiredStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  containers: CliContainer[];
}

describe('a task through the AWS CLI against berth up', { skip: dockerSkip, timeout: 90_000 }, () => {
  const cluster = uniqueName('cli-task');
  let berth: BerthProcess;

  before(async () => {
    await ensureTestImage();
    berth = await startBerth({
      env: {
        ECS_CLUSTER: cluster,
        ECS_IMAGE_PULL_BEHAVIOR: 'prefer-cached', // no registry here: the test image is local
        ECS_CONTAINER_STOP_TIMEOUT: '2s',
      },
    });
  });

  after(async () => {
    try {
      await berth?.stop();
    } finally {
      const docker = testDocker();
      const mine = await docker.listContainers({
        all: true,
        filters: { label: [`com.amazonaws.ecs.cluster=${cluster}`] },
      });
      await Promise.all(
        mine.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
      );
      await cleanup();
    }
  });

  it('registers, runs, serves HTTP on the host port, and stops with stop-task', async () => {
    // The agent inside `berth up` retries its registration until the cluster exists.
    await aws(berth, ['ecs', 'create-cluster', '--cluster-name', cluster]);
    const instances = await until(
      'the agent to register',
      async () => {
        const out = await aws<{ containerInstanceArns: string[] }>(berth, [
          'ecs',
          'list-container-instances',
          '--cluster',
          cluster,
        ]);
        return out.containerInstanceArns.length > 0 ? out.containerInstanceArns : undefined;
      },
      30_000,
    );
    assert.equal(instances.length, 1);
    // RunTask places tasks only where the agent is connected (it has polled since registering).
    await until(
      'the agent to connect',
      async () => {
        const out = await aws<{ containerInstances: { agentConnected: boolean }[] }>(berth, [
          'ecs',
          'describe-container-instances',
          '--cluster',
          cluster,
          '--container-instances',
          instances[0]!,
        ]);
        return out.containerInstances[0]?.agentConnected === true ? true : undefined;
      },
      15_000,
    );

    const family = uniqueName('cli-web');
    const file = join(scratchDir(), 'web.json');
    writeFileSync(
      file,
      JSON.stringify({
        family,
        containerDefinitions: [
          {
            name: 'web',
            image: TEST_IMAGE,
            memory: 32,
            command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
            portMappings: [{ containerPort: 8080, hostPort: 0 }],
          },
        ],
      }),
    );
    const registered = await aws<{ taskDefinition: { taskDefinitionArn: string; revision: number } }>(berth, [
      'ecs',
      'register-task-definition',
      '--cli-input-json',
      `file://${file}`,
    ]);
    assert.equal(registered.taskDefinition.revision, 1);

    const run = await aws<{ tasks: CliTask[]; failures: unknown[] }>(berth, [
      'ecs',
      'run-task',
      '--cluster',
      cluster,
      '--task-definition',
      family,
    ]);
    assert.deepEqual(run.failures, []);
    assert.equal(run.tasks.length, 1);
    const taskArn = run.tasks[0]!.taskArn;

    const describe = async (): Promise<CliTask> => {
      const out = await aws<{ tasks: CliTask[] }>(berth, [
        'ecs',
        'describe-tasks',
        '--cluster',
        cluster,
        '--tasks',
        taskArn,
      ]);
      return out.tasks[0]!;
    };
    const running = await until(
      'RUNNING',
      async () => {
        const t = await describe();
        if (t.lastStatus === 'STOPPED') assert.fail(`the task stopped: ${JSON.stringify(t)}`);
        return t.lastStatus === 'RUNNING' ? t : undefined;
      },
      30_000,
    );
    const hostPort = running.containers[0]?.networkBindings?.[0]?.hostPort;
    assert.ok(hostPort !== undefined && hostPort > 0, `a host port: ${JSON.stringify(running)}`);
    const page = await until(
      `HTTP on 127.0.0.1:${hostPort}`,
      async () => {
        const response = await fetch(`http://127.0.0.1:${hostPort}/index.html`, {
          signal: AbortSignal.timeout(2000),
        });
        return response.status === 200 ? await response.text() : undefined;
      },
      10_000,
    );
    assert.equal(page, TEST_PAGE);

    const stop = await aws<{ task: CliTask }>(berth, [
      'ecs',
      'stop-task',
      '--cluster',
      cluster,
      '--task',
      taskArn,
      '--reason',
      'done from the CLI',
    ]);
    assert.equal(stop.task.desiredStatus, 'STOPPED');
    const stopped = await until(
      'STOPPED',
      async () => {
        const t = await describe();
        return t.lastStatus === 'STOPPED' ? t : undefined;
      },
      30_000,
    );
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.stoppedReason, 'done from the CLI');
    assert.equal(stopped.containers[0]?.lastStatus, 'STOPPED');
    await assert.rejects(
      fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(2000) }),
      'nothing answers on the port once the task stopped',
    );
  });
});
