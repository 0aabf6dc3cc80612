import {
  CreateClusterCommand,
  DescribeTasksCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
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
 * BerthAgentV1.SubmitStateChanges: the agent's state changes of many tasks in one signed call,
 * each entry read as SubmitTaskStateChange reads it, as DescribeTasks then shows them. An entry
 * that cannot apply is refused alone (answered in `refused`, the others applied); a call that is
 * wrong as a whole changes nothing. Driven with signed raw requests, as the agent's channel client
 * sends them.
 */

interface Placed {
  readonly cluster: string;
  readonly instance: string;
  readonly tasks: readonly string[];
}

interface Refused {
  index: number;
  task: string;
  code: string;
  message: string;
}

describe('BerthAgentV1.SubmitStateChanges', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
  });
  after(() => berth.close());

  const submit = (body: object): Promise<RawResponse> =>
    signedRequest(
      berth.endpoint,
      { target: 'BerthAgentV1.SubmitStateChanges', body: JSON.stringify(body) },
      { credentials: berth.credentials, region: berth.region },
    );

  /** A cluster with one connected instance and `count` tasks of two containers on it. */
  async function place(count: number): Promise<Placed> {
    const cluster = uniqueName('changes');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const registered = await ecs.send(
      new RegisterContainerInstanceCommand(registration(cluster, uniqueName('host'))),
    );
    const instance = registered.containerInstance!.containerInstanceArn!;
    await connectAgent(berth, cluster, instance);
    const family = uniqueName('fam');
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [
          { name: 'web', image: 'busybox:latest', memory: 32 },
          { name: 'log', image: 'busybox:latest', memory: 16, essential: false },
        ],
      }),
    );
    const run = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: family, count }));
    assert.deepEqual(run.failures, []);
    return { cluster, instance, tasks: run.tasks!.map((t) => t.taskArn!) };
  }

  async function describe_(cluster: string, tasks: readonly string[]): Promise<Map<string, Task>> {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [...tasks] }));
    assert.deepEqual(out.failures, []);
    return new Map(out.tasks!.map((t) => [t.taskArn!, t]));
  }

  const running = (task: string, at: number) => ({
    task,
    status: 'RUNNING',
    pullStartedAt: at,
    pullStoppedAt: at + 1,
    containers: [
      {
        containerName: 'web',
        status: 'RUNNING',
        runtimeId: `rt-${task.slice(-6)}-web`,
        imageDigest: 'sha256:aa',
      },
      { containerName: 'log', status: 'RUNNING', runtimeId: `rt-${task.slice(-6)}-log` },
    ],
  });

  it('applies the changes of several tasks in one call, in order', async () => {
    const placed = await place(3);
    const [a, b, c] = placed.tasks as [string, string, string];
    const at = Math.floor(Date.now() / 1000) - 10;
    const r = await submit({
      cluster: placed.cluster,
      containerInstanceArn: placed.instance,
      changes: [
        running(a, at),
        running(b, at),
        // c: its containers start, then (a second entry of the same task) its essential one exits.
        { task: c, containers: [{ containerName: 'web', status: 'RUNNING', runtimeId: 'rt-c-web' }] },
        {
          task: c,
          containers: [{ containerName: 'web', status: 'STOPPED', runtimeId: 'rt-c-web', exitCode: 7 }],
        },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { refused: [] });
    const tasks = await describe_(placed.cluster, placed.tasks);
    for (const arn of [a, b]) {
      const t = tasks.get(arn)!;
      assert.equal(t.lastStatus, 'RUNNING');
      assert.equal(t.desiredStatus, 'RUNNING');
      assert.equal(t.pullStartedAt?.getTime(), at * 1000);
      assert.deepEqual(t.containers!.map((x) => [x.name, x.lastStatus, x.runtimeId]).sort(), [
        ['log', 'RUNNING', `rt-${arn.slice(-6)}-log`],
        ['web', 'RUNNING', `rt-${arn.slice(-6)}-web`],
      ]);
      assert.equal(t.containers!.find((x) => x.name === 'web')!.imageDigest, 'sha256:aa');
    }
    // The essential container ran, then exited: the task must stop, with its exit code kept.
    const stopping = tasks.get(c)!;
    assert.equal(stopping.desiredStatus, 'STOPPED');
    assert.equal(stopping.stopCode, 'EssentialContainerExited');
    const web = stopping.containers!.find((x) => x.name === 'web')!;
    assert.equal(web.lastStatus, 'STOPPED');
    assert.equal(web.exitCode, 7);
  });

  it('refuses an entry that cannot apply alone, and applies the others', async () => {
    const placed = await place(2);
    const elsewhere = await place(1);
    const [good, other] = placed.tasks as [string, string];
    const foreign = elsewhere.tasks[0]!;
    const missing = `${good.slice(0, good.lastIndexOf('/') + 1)}${'0'.repeat(32)}`;
    const at = Math.floor(Date.now() / 1000);
    const r = await submit({
      cluster: placed.cluster,
      containerInstanceArn: placed.instance,
      changes: [
        running(missing, at),
        { task: other, containers: [{ containerName: 'nope', status: 'RUNNING' }] },
        running(good, at),
        running(foreign, at),
        { task: other, status: 'EXPLODED' },
      ],
    });
    assert.equal(r.status, 200, r.text);
    const refused = (r.json as { refused: Refused[] }).refused;
    assert.deepEqual(
      refused.map((x) => [x.index, x.task, x.code]),
      [
        [0, missing, 'InvalidParameterException'],
        [1, other, 'InvalidParameterException'],
        [3, foreign, 'InvalidParameterException'],
        [4, other, 'InvalidParameterException'],
      ],
    );
    assert.match(refused[0]!.message, /task was not found/);
    assert.match(refused[1]!.message, /Container 'nope' is not a container of task/);
    assert.match(refused[2]!.message, /is not on container instance/);
    assert.match(refused[3]!.message, /status must be one of PENDING, RUNNING, STOPPED, not 'EXPLODED'/);
    const tasks = await describe_(placed.cluster, placed.tasks);
    assert.equal(tasks.get(good)!.lastStatus, 'RUNNING');
    assert.notEqual(tasks.get(other)!.lastStatus, 'RUNNING');
    const untouched = await describe_(elsewhere.cluster, [foreign]);
    assert.notEqual(
      untouched.get(foreign)!.lastStatus,
      'RUNNING',
      'a task of another instance is not changed',
    );
  });

  it('a call wrong as a whole changes nothing, with an error the agent can act on', async () => {
    const placed = await place(1);
    const task = placed.tasks[0]!;
    const change = running(task, Math.floor(Date.now() / 1000));
    const cases: { body: object; status: number; type: string; message?: RegExp }[] = [
      {
        body: { cluster: uniqueName('none'), containerInstanceArn: placed.instance, changes: [change] },
        status: 400,
        type: 'ClusterNotFoundException',
      },
      {
        body: { cluster: placed.cluster, containerInstanceArn: `${placed.instance}0`, changes: [change] },
        status: 400,
        type: 'ClientException',
        message: /register it first/,
      },
      {
        body: {
          cluster: placed.cluster,
          containerInstanceArn: placed.instance,
          changes: Array.from({ length: 101 }, () => change),
        },
        status: 400,
        type: 'InvalidParameterException',
        message: /at most 100 entries, not 101/,
      },
      {
        body: { cluster: placed.cluster, containerInstanceArn: placed.instance },
        status: 400,
        type: 'InvalidParameterException',
      },
      {
        body: { cluster: placed.cluster, containerInstanceArn: placed.instance, changes: 'all of them' },
        status: 400,
        type: 'SerializationException',
      },
    ];
    for (const c of cases) {
      const r = await submit(c.body);
      assert.equal(r.status, c.status, r.text);
      const json = r.json as { __type: string; message?: string };
      assert.match(json.__type, new RegExp(`${c.type}$`), r.text);
      if (c.message) assert.match(json.message ?? '', c.message);
    }
    const tasks = await describe_(placed.cluster, placed.tasks);
    assert.notEqual(tasks.get(task)!.lastStatus, 'RUNNING');
  });
});
