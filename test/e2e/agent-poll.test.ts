import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signedRequest, type RawResponse } from '../support/signed.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/** The BerthAgentV1.Poll contract, over signed raw requests (what the agent's channel client sends). */
describe('BerthAgentV1.Poll', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  const cluster = uniqueName('poll');
  let instanceArn = '';
  let family = '';

  const poll = (body: object): Promise<RawResponse> =>
    signedRequest(
      berth.endpoint,
      { target: 'BerthAgentV1.Poll', body: JSON.stringify(body) },
      { credentials: berth.credentials, region: berth.region },
    );
  type Answer = { tasks: { taskArn: string; version: number; desiredStatus: string; stopCode?: string }[] };
  const tasksOf = (r: RawResponse): Answer['tasks'] => (r.json as unknown as Answer).tasks;

  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const registered = await ecs.send(
      new RegisterContainerInstanceCommand({
        cluster,
        totalResources: [
          { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
          { name: 'MEMORY', type: 'INTEGER', integerValue: 2048 },
        ],
      }),
    );
    instanceArn = registered.containerInstance!.containerInstanceArn!;
    family = uniqueName('poll-fam');
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: 'c', image: 'busybox', memory: 16, environment: [] }],
      }),
    );
  });
  after(() => berth.close());

  it('places nothing on an instance whose agent never polled: reason AGENT', async () => {
    const refused = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: family }));
    assert.deepEqual(refused.tasks, []);
    assert.equal(refused.failures?.[0]?.reason, 'AGENT');
  });

  it('is a heartbeat: agentConnected turns true', async () => {
    const r = await poll({ cluster, containerInstanceArn: instanceArn, waitSeconds: 0 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tasksOf(r), []);
    const out = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster, containerInstances: [instanceArn] }),
    );
    assert.equal(out.containerInstances?.[0]?.agentConnected, true);
  });

  it('validates its input with its own errors', async () => {
    const noInstance = await poll({ cluster });
    assert.equal(noInstance.status, 400);
    assert.equal(noInstance.json?.__type, 'InvalidParameterException');
    const wrongType = await poll({ cluster, containerInstanceArn: instanceArn, waitSeconds: 'soon' });
    assert.equal(wrongType.json?.__type, 'SerializationException');
    const tooLong = await poll({ cluster, containerInstanceArn: instanceArn, waitSeconds: 21 });
    assert.equal(tooLong.json?.__type, 'InvalidParameterException');
    const unknown = await poll({ cluster, containerInstanceArn: `${instanceArn}0` });
    assert.equal(unknown.json?.__type, 'ClientException');
    const noCluster = await poll({ cluster: uniqueName('nope'), containerInstanceArn: instanceArn });
    assert.equal(noCluster.json?.__type, 'ClusterNotFoundException');
  });

  it('answers at once on a difference, holds otherwise, and wakes on RunTask and StopTask', async () => {
    const run = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: family }));
    const taskArn = run.tasks![0]!.taskArn!;
    // Unknown task: answered at once with the definition and overrides.
    const first = await poll({ cluster, containerInstanceArn: instanceArn, waitSeconds: 20 });
    const [task] = tasksOf(first);
    assert.equal(task?.taskArn, taskArn);
    assert.equal(task.desiredStatus, 'RUNNING');
    const full = (first.json as { tasks: { taskDefinition: { family: string }; overrides: object }[] })
      .tasks[0]!;
    assert.equal(full.taskDefinition.family, family);
    assert.deepEqual(full.overrides, {});
    const knownVersions = { [taskArn]: task.version };

    // Nothing changed: held for waitSeconds, then answered anyway — naming the task the agent
    // already holds instead of describing it again.
    const started = Date.now();
    const held = await poll({ cluster, containerInstanceArn: instanceArn, knownVersions, waitSeconds: 1 });
    assert.ok(Date.now() - started >= 900, 'held until the timeout');
    assert.deepEqual(tasksOf(held), []);
    assert.deepEqual((held.json as { unchanged: string[] }).unchanged, [taskArn]);

    // A StopTask during the hold answers it early with the new version and the stop request.
    const waiting = poll({ cluster, containerInstanceArn: instanceArn, knownVersions, waitSeconds: 20 });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await ecs.send(new StopTaskCommand({ cluster, task: taskArn }));
    const woke = await waiting;
    assert.ok(Date.now() - t0 < 5000, 'answered on the change, not at the timeout');
    // Never started: the task went straight to STOPPED, so it is gone from the answer.
    assert.deepEqual(tasksOf(woke), []);
  });
});
