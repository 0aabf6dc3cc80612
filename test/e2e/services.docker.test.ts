import { CreateServiceCommand, UpdateServiceCommand, type Task } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { aws } from '../support/berth-process.js';
import {
  container,
  sh,
  startDockerHarness,
  until,
  type ClusterHarness,
  type DockerHarness,
} from '../support/docker-agent.js';
import { dockerSkipReason, testDocker } from '../support/images.js';
import { serviceProbes } from '../support/services.js';

/**
 * Services on the real Docker engine (issue 5's "Must show"): a service of 3 keeps 3 tasks when a
 * container is killed by hand, a new task definition rolls out with the running tasks never below
 * minimumHealthyPercent nor above maximumPercent (sampled while it runs), and the AWS CLI's
 * `aws ecs wait services-stable` returns once it is done.
 */
const dockerSkip = await dockerSkipReason();

describe('services on Docker', { skip: dockerSkip, timeout: 180_000 }, () => {
  let h: DockerHarness;
  let c: ClusterHarness;
  const docker = testDocker();

  const { describeService, liveTasks, steady } = serviceProbes(
    () => c.ecs,
    () => c.cluster,
  );

  before(async () => {
    h = await startDockerHarness({ serviceScheduler: { intervalMs: 250, noHealthCheckWaitMs: 1000 } });
    c = await h.cluster('services');
  });
  after(async () => {
    await h?.close();
  });

  it('replaces a container killed by hand, and rolls a new definition out within its bounds', async () => {
    const family = await c.register([
      container('app', sh('trap "exit 0" TERM; while true; do sleep 1; done')),
    ]);
    const v2 = await c.register([
      container('app', sh('trap "exit 0" TERM; echo v2; while true; do sleep 1; done')),
    ]);
    const name = 'web';
    await c.ecs.send(
      new CreateServiceCommand({
        cluster: c.cluster,
        serviceName: name,
        taskDefinition: family,
        desiredCount: 3,
      }),
    );
    await steady(name);
    const before = await liveTasks(name);
    assert.equal(before.length, 3);

    // Kill one task's container behind Berth's back: the task stops and the service replaces it.
    const victim = before[0] as Task;
    const runtimeId = victim.containers?.[0]?.runtimeId;
    assert.ok(runtimeId);
    await docker.getContainer(runtimeId).kill();
    await until(
      'a replacement task',
      async () => {
        const now = await liveTasks(name);
        const running = now.filter((t) => t.lastStatus === 'RUNNING');
        return running.length === 3 && !now.some((t) => t.taskArn === victim.taskArn) ? now : undefined;
      },
      60_000,
    );
    const events = ((await describeService(name)).events ?? []).map((e) => e.message ?? '');
    assert.ok(
      events.some((m) => m.includes('has started 1 tasks')),
      events.join('\n'),
    );
    // Until the replacement has run for the health wait (1 s here, 40 s on ECS) it is not yet
    // healthy, and a deployment would rightly stop it first: let it count before rolling.
    await until('every task to count as healthy', async () => {
      const tasks = await liveTasks(name);
      const settled = tasks.every(
        (t) => t.startedAt !== undefined && Date.now() - t.startedAt.getTime() > 1500,
      );
      return settled ? true : undefined;
    });

    // Roll out v2 (defaults: min 100%, max 200%): never fewer than 3 RUNNING, never more than 6 live.
    await c.ecs.send(new UpdateServiceCommand({ cluster: c.cluster, service: name, taskDefinition: v2 }));
    let minRunning = Infinity;
    let maxLive = 0;
    const sampling = (async () => {
      for (;;) {
        const tasks = await liveTasks(name);
        minRunning = Math.min(minRunning, tasks.filter((t) => t.lastStatus === 'RUNNING').length);
        maxLive = Math.max(maxLive, tasks.length);
        const s = await describeService(name);
        if (
          s.deployments?.length === 1 &&
          s.deployments[0]?.taskDefinition?.includes(v2) &&
          s.deployments[0].rolloutState === 'COMPLETED'
        )
          return;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // The AWS CLI's waiter returns once the deployment is done.
    await aws(h.berth, ['ecs', 'wait', 'services-stable', '--cluster', c.cluster, '--services', name]);
    await sampling;
    const after = await liveTasks(name);
    assert.equal(after.length, 3);
    assert.ok(
      after.every((t) => t.taskDefinitionArn?.includes(`${v2}:`)),
      'every task runs the new definition',
    );
    assert.ok(minRunning >= 3, `running tasks fell to ${minRunning} (min healthy 100%)`);
    assert.ok(maxLive <= 6, `${maxLive} live tasks at once (max 200%)`);
  });

  it('scales to 0 and back, and a deployment whose tasks exit at once trips the circuit breaker and rolls back', async () => {
    const good = await c.register([container('app', sh('trap "exit 0" TERM; while true; do sleep 1; done'))]);
    const bad = await c.register([container('app', sh('echo broken; exit 3'))]);
    const name = 'breaker';
    await c.ecs.send(
      new CreateServiceCommand({
        cluster: c.cluster,
        serviceName: name,
        taskDefinition: good,
        desiredCount: 2,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    await steady(name);
    await c.ecs.send(new UpdateServiceCommand({ cluster: c.cluster, service: name, desiredCount: 0 }));
    await until(
      'no task left',
      async () => ((await liveTasks(name)).length === 0 ? true : undefined),
      60_000,
    );
    await c.ecs.send(new UpdateServiceCommand({ cluster: c.cluster, service: name, desiredCount: 2 }));
    assert.equal((await steady(name)).runningCount, 2);

    await c.ecs.send(new UpdateServiceCommand({ cluster: c.cluster, service: name, taskDefinition: bad }));
    const rolledBack = await until(
      'the circuit breaker to roll the service back',
      async () => {
        const s = await describeService(name);
        const primary = s.deployments?.[0];
        const back = s.deployments?.length === 1 && primary?.taskDefinition?.includes(`${good}:`);
        return back && primary?.rolloutState === 'COMPLETED' && s.runningCount === 2 ? s : undefined;
      },
      120_000,
    );
    const events = (rolledBack.events ?? []).map((e) => e.message ?? '');
    assert.ok(
      events.some((m) => m.includes('rolling back') || m.includes('deployment failed')),
      events.join('\n'),
    );
    assert.ok(rolledBack.taskDefinition?.includes(`${good}:`));
  });
});
