import {
  CreateClusterCommand,
  DescribeTasksCommand,
  RegisterContainerInstanceCommand,
  type RegisterContainerInstanceCommandInput,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  SubmitContainerStateChangeCommand,
  SubmitTaskStateChangeCommand,
  type ContainerDefinition,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectAgent } from '../support/agent-session.js';
import { registration } from '../support/fixtures.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';
import { signedRequest, type RawResponse } from '../support/signed.js';

/**
 * BerthAgentV1.SubmitHealth (the agent's containers' health check results) as DescribeTasks shows
 * them: each container's `healthStatus`, and the task's, which follows ECS's rule — the essential
 * containers with a health check decide (UNHEALTHY over UNKNOWN over HEALTHY); non-essential ones
 * only when no essential container has a health check; none at all: UNKNOWN. Driven with signed
 * raw requests, as the agent's channel client sends them.
 */

const CHECK = { command: ['CMD-SHELL', 'true'], interval: 5, timeout: 2, retries: 1 };
type Health = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** An instance that can run containers with health checks (the agent's capability attribute). */
function withHealthChecks(cluster: string): RegisterContainerInstanceCommandInput {
  const base = registration(cluster, uniqueName('host'));
  return {
    ...base,
    attributes: [...(base.attributes ?? []), { name: 'ecs.capability.container-health-check' }],
  };
}

describe('BerthAgentV1.SubmitHealth → DescribeTasks healthStatus', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
  });
  after(() => berth.close());

  const call = (target: string, body: object): Promise<RawResponse> =>
    signedRequest(
      berth.endpoint,
      { target: `BerthAgentV1.${target}`, body: JSON.stringify(body) },
      { credentials: berth.credentials, region: berth.region },
    );

  interface Ran {
    cluster: string;
    instance: string;
    task: string;
    /** SubmitHealth for this task: container name → health. */
    health(containers: Record<string, Health>): Promise<RawResponse>;
  }

  /** A cluster, a connected instance, and one task of `containers`, every container RUNNING. */
  async function runOne(containers: ContainerDefinition[]): Promise<Ran> {
    const cluster = uniqueName('health');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const registered = await ecs.send(new RegisterContainerInstanceCommand(withHealthChecks(cluster)));
    const instance = registered.containerInstance!.containerInstanceArn!;
    await connectAgent(berth, cluster, instance);
    const family = uniqueName('fam');
    await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: containers }));
    const run = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: family }));
    assert.deepEqual(run.failures, []);
    const task = run.tasks![0]!.taskArn!;
    await ecs.send(
      new SubmitTaskStateChangeCommand({
        cluster,
        task,
        status: 'RUNNING',
        containers: containers.map((c) => ({ containerName: c.name!, status: 'RUNNING' })),
      }),
    );
    return {
      cluster,
      instance,
      task,
      health: (byName) =>
        call('SubmitHealth', {
          cluster,
          containerInstanceArn: instance,
          tasks: [
            {
              taskArn: task,
              containers: Object.entries(byName).map(([containerName, healthStatus]) => ({
                containerName,
                healthStatus,
              })),
            },
          ],
        }),
    };
  }

  async function describeTask(cluster: string, task: string): Promise<Task> {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [task] }));
    assert.deepEqual(out.failures, []);
    return out.tasks![0]!;
  }

  /** The task's health and each container's, as DescribeTasks shows them. */
  async function healthOf(
    ran: Ran,
  ): Promise<{ task: string | undefined; [name: string]: string | undefined }> {
    const t = await describeTask(ran.cluster, ran.task);
    return {
      task: t.healthStatus,
      ...Object.fromEntries((t.containers ?? []).map((c) => [c.name!, c.healthStatus])),
    };
  }

  async function ok(response: Promise<RawResponse>): Promise<void> {
    const r = await response;
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { acknowledgment: 'ACK' });
  }

  const def = (name: string, more: Partial<ContainerDefinition> = {}): ContainerDefinition => ({
    name,
    image: 'busybox:latest',
    memory: 32,
    ...more,
  });

  it('the task follows its essential container; a non-essential one does not count', async () => {
    const ran = await runOne([
      def('web', { healthCheck: CHECK }),
      def('sidecar', { essential: false, healthCheck: CHECK }),
      def('plain'),
    ]);
    assert.deepEqual(await healthOf(ran), {
      task: 'UNKNOWN',
      web: 'UNKNOWN',
      sidecar: 'UNKNOWN',
      plain: 'UNKNOWN',
    });

    await ok(ran.health({ web: 'HEALTHY' }));
    assert.deepEqual(await healthOf(ran), {
      task: 'HEALTHY',
      web: 'HEALTHY',
      sidecar: 'UNKNOWN',
      plain: 'UNKNOWN',
    });

    await ok(ran.health({ sidecar: 'UNHEALTHY', plain: 'HEALTHY' }));
    assert.deepEqual(
      await healthOf(ran),
      { task: 'HEALTHY', web: 'HEALTHY', sidecar: 'UNHEALTHY', plain: 'UNKNOWN' },
      'a non-essential container does not decide; one without a health check stays UNKNOWN',
    );

    await ok(ran.health({ web: 'UNHEALTHY' }));
    assert.deepEqual((await healthOf(ran)).task, 'UNHEALTHY');
    await ok(ran.health({ web: 'HEALTHY' }));
    assert.deepEqual((await healthOf(ran)).task, 'HEALTHY');
  });

  it('UNHEALTHY over UNKNOWN over HEALTHY among essential containers', async () => {
    const ran = await runOne([def('a', { healthCheck: CHECK }), def('b', { healthCheck: CHECK })]);
    await ok(ran.health({ a: 'HEALTHY' }));
    assert.equal((await healthOf(ran)).task, 'UNKNOWN', 'b is still being evaluated');
    await ok(ran.health({ b: 'UNHEALTHY' }));
    assert.equal((await healthOf(ran)).task, 'UNHEALTHY');
    await ok(ran.health({ b: 'HEALTHY' }));
    assert.deepEqual(await healthOf(ran), { task: 'HEALTHY', a: 'HEALTHY', b: 'HEALTHY' });
  });

  it('non-essential containers decide when no essential container has a health check', async () => {
    const ran = await runOne([def('app'), def('probe', { essential: false, healthCheck: CHECK })]);
    await ok(ran.health({ probe: 'UNHEALTHY' }));
    assert.deepEqual(await healthOf(ran), { task: 'UNHEALTHY', app: 'UNKNOWN', probe: 'UNHEALTHY' });
  });

  it('does not wake the agent: a held Poll waits out its time', async () => {
    const ran = await runOne([def('web', { healthCheck: CHECK })]);
    const first = await call('Poll', {
      cluster: ran.cluster,
      containerInstanceArn: ran.instance,
      waitSeconds: 0,
    });
    const tasks = (first.json as { tasks: { taskArn: string; version: number }[] }).tasks;
    const knownVersions = Object.fromEntries(tasks.map((t) => [t.taskArn, t.version]));
    const started = Date.now();
    const held = call('Poll', {
      cluster: ran.cluster,
      containerInstanceArn: ran.instance,
      knownVersions,
      waitSeconds: 2,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await ok(ran.health({ web: 'HEALTHY' }));
    const answer = await held;
    assert.equal(answer.status, 200, answer.text);
    assert.ok(Date.now() - started >= 1900, `the Poll answered after ${Date.now() - started} ms`);
    const unchangedAnswer = answer.json as { tasks: unknown[]; unchanged: string[] };
    assert.deepEqual(unchangedAnswer.tasks, [], 'the version the agent acts on did not change');
    assert.deepEqual(
      unchangedAnswer.unchanged,
      tasks.map((t) => t.taskArn),
    );
    assert.equal((await healthOf(ran)).task, 'HEALTHY');
  });

  it('refuses bad references with AWS-shaped errors, changing nothing', async () => {
    const ran = await runOne([def('web', { healthCheck: CHECK })]);
    const other = await runOne([def('web', { healthCheck: CHECK })]);
    const body = (over: object) => ({
      cluster: ran.cluster,
      containerInstanceArn: ran.instance,
      tasks: [{ taskArn: ran.task, containers: [{ containerName: 'web', healthStatus: 'HEALTHY' }] }],
      ...over,
    });
    const cases: [string, object, number, string][] = [
      ['unknown cluster', body({ cluster: uniqueName('nope') }), 400, 'ClusterNotFoundException'],
      ['unknown instance', body({ containerInstanceArn: `${ran.instance}0` }), 400, 'ClientException'],
      ["another cluster's instance", body({ containerInstanceArn: other.instance }), 400, 'ClientException'],
      [
        'unknown task',
        body({ tasks: [{ taskArn: `${ran.task}0`, containers: [] }] }),
        400,
        'InvalidParameterException',
      ],
      [
        "another cluster's task",
        body({ tasks: [{ taskArn: other.task, containers: [] }] }),
        400,
        'InvalidParameterException',
      ],
      [
        'unknown container (after a good task: nothing applied)',
        body({
          tasks: [
            { taskArn: ran.task, containers: [{ containerName: 'web', healthStatus: 'HEALTHY' }] },
            { taskArn: ran.task, containers: [{ containerName: 'db', healthStatus: 'HEALTHY' }] },
          ],
        }),
        400,
        'InvalidParameterException',
      ],
      [
        'bad healthStatus',
        body({
          tasks: [{ taskArn: ran.task, containers: [{ containerName: 'web', healthStatus: 'FINE' }] }],
        }),
        400,
        'InvalidParameterException',
      ],
      ['missing tasks', body({ tasks: undefined }), 400, 'InvalidParameterException'],
      [
        'missing containerName',
        body({ tasks: [{ taskArn: ran.task, containers: [{ healthStatus: 'HEALTHY' }] }] }),
        400,
        'InvalidParameterException',
      ],
      ['wrong type', body({ tasks: 'all' }), 400, 'SerializationException'],
    ];
    for (const [what, request, status, type] of cases) {
      const r = await call('SubmitHealth', request);
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.equal(r.json?.__type, type, `${what}: ${r.text}`);
      assert.equal(typeof r.json?.message, 'string', what);
    }
    // The instance is another cluster's: the task there is not this instance's.
    const notOnInstance = await call('SubmitHealth', {
      cluster: other.cluster,
      containerInstanceArn: other.instance,
      tasks: [{ taskArn: other.task, containers: [] }],
    });
    assert.equal(notOnInstance.status, 200, notOnInstance.text);
    assert.deepEqual(await healthOf(ran), { task: 'UNKNOWN', web: 'UNKNOWN' });
  });

  it('refuses a task on another instance of the same cluster', async () => {
    const ran = await runOne([def('web', { healthCheck: CHECK })]);
    const second = await ecs.send(new RegisterContainerInstanceCommand(withHealthChecks(ran.cluster)));
    const r = await call('SubmitHealth', {
      cluster: ran.cluster,
      containerInstanceArn: second.containerInstance!.containerInstanceArn!,
      tasks: [{ taskArn: ran.task, containers: [{ containerName: 'web', healthStatus: 'HEALTHY' }] }],
    });
    assert.equal(r.json?.__type, 'InvalidParameterException', r.text);
    assert.deepEqual(await healthOf(ran), { task: 'UNKNOWN', web: 'UNKNOWN' });
  });

  it('ignores a report for a STOPPED task, and one before the container runs', async () => {
    const ran = await runOne([def('web', { healthCheck: CHECK })]);
    await ok(ran.health({ web: 'HEALTHY' }));
    await ecs.send(new StopTaskCommand({ cluster: ran.cluster, task: ran.task }));
    await ecs.send(
      new SubmitContainerStateChangeCommand({
        cluster: ran.cluster,
        task: ran.task,
        containerName: 'web',
        status: 'STOPPED',
        exitCode: 0,
      }),
    );
    const stopped = await describeTask(ran.cluster, ran.task);
    assert.equal(stopped.lastStatus, 'STOPPED');
    await ok(ran.health({ web: 'UNHEALTHY' }));
    assert.deepEqual(
      await healthOf(ran),
      { task: 'HEALTHY', web: 'HEALTHY' },
      'the last health before it stopped',
    );

    // A container the agent has not reported started has no health yet.
    const cluster = ran.cluster;
    const family = uniqueName('fam');
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [def('web', { healthCheck: CHECK })],
      }),
    );
    const run = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: family }));
    const pending = run.tasks![0]!.taskArn!;
    await ok(
      call('SubmitHealth', {
        cluster,
        containerInstanceArn: ran.instance,
        tasks: [{ taskArn: pending, containers: [{ containerName: 'web', healthStatus: 'HEALTHY' }] }],
      }),
    );
    const t = await describeTask(cluster, pending);
    assert.equal(t.containers?.[0]?.healthStatus, 'UNKNOWN');
    assert.equal(t.healthStatus, 'UNKNOWN');
  });
});
