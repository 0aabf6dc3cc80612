import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAgent } from '../support/agent-session.js';
import { registration } from '../support/fixtures.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * Stopped tasks stay visible for the retention period (ECS: at least an hour; here a short one the
 * test sets), then disappear from DescribeTasks and ListTasks; tasks that still run are kept.
 */
const RETENTION_MS = 1500;

describe('stopped task retention', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  const cluster = uniqueName('retention');
  const family = uniqueName('retention');

  before(async () => {
    berth = await startTestServer({ stoppedTaskRetentionMs: RETENTION_MS });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const out = await ecs.send(new RegisterContainerInstanceCommand(registration(cluster, uniqueName('i'))));
    await connectAgent(berth, cluster, out.containerInstance!.containerInstanceArn!);
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: 'app', image: 'busybox', memory: 16 }],
      }),
    );
  });
  after(() => berth.close());

  it('keeps a STOPPED task visible for the retention period, then removes it; running tasks stay', async () => {
    const run = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: family, count: 2 }));
    const [stopped, kept] = run.tasks!.map((t) => t.taskArn!);
    // Never started by an agent: StopTask takes it straight to STOPPED.
    await ecs.send(new StopTaskCommand({ cluster, task: stopped, reason: 'done' }));
    const right = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [stopped!] }));
    assert.equal(right.tasks?.[0]?.lastStatus, 'STOPPED', 'visible right after it stopped');
    const listed = await ecs.send(new ListTasksCommand({ cluster, desiredStatus: 'STOPPED' }));
    assert.deepEqual(listed.taskArns, [stopped]);

    const deadline = Date.now() + RETENTION_MS * 10;
    for (;;) {
      const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [stopped!, kept!] }));
      if (out.failures?.some((f) => f.reason === 'MISSING')) {
        assert.deepEqual(
          out.tasks?.map((t) => t.taskArn),
          [kept],
          'the task that still runs is kept',
        );
        break;
      }
      assert.ok(Date.now() < deadline, 'the stopped task was never removed');
      await sleep(200);
    }
    const after = await ecs.send(new ListTasksCommand({ cluster, desiredStatus: 'STOPPED' }));
    assert.deepEqual(after.taskArns, []);
  });
});
