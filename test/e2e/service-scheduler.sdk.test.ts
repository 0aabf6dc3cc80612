import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ListTasksCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  UpdateContainerInstancesStateCommand,
  ListTagsForResourceCommand,
  DeleteServiceCommand,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeHosts, type FakeHosts } from '../support/fake-hosts.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

/**
 * The service scheduler end to end through @aws-sdk/client-ecs, on simulated hosts (real agents
 * over the in-memory runtime): services reach their desired count and a steady state, scale, roll
 * a new task definition out within minimumHealthyPercent/maximumPercent, trip the circuit breaker
 * and roll back. Real Docker: test/e2e/services.docker.test.ts.
 */
describe('the service scheduler on simulated hosts', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  let hosts: FakeHosts;
  const cluster = uniqueName('svc');
  const family = uniqueName('svc');
  const crashing = uniqueName('crash');

  const describe1 = async (service: string): Promise<Service> => {
    const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    return out.services?.[0] as Service;
  };
  /** Live (desired RUNNING) tasks of the service, with their definitions. */
  const liveTasks = async (service: string) => {
    const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: service }))).taskArns ?? [];
    if (arns.length === 0) return [];
    return (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
  };
  const stable = (service: string, timeoutMs = 30_000) =>
    until(
      `service ${service} to be stable`,
      async () => {
        const s = await describe1(service);
        const done = s.deployments?.length === 1 && s.deployments[0]?.rolloutState === 'COMPLETED';
        return done && s.runningCount === s.desiredCount ? s : undefined;
      },
      timeoutMs,
    );

  before(async () => {
    berth = await startTestServer({ serviceScheduler: { intervalMs: 200, noHealthCheckWaitMs: 300 } });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    hosts = await startFakeHosts(berth, cluster, 3, {
      behavior: (spec) => (spec.image === 'crash' ? { exitAfterMs: 20, exitCode: 1 } : {}),
    });
    for (const [name, image] of [
      [family, 'web:1'],
      [family, 'web:2'],
      [crashing, 'crash'],
    ] as const) {
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: name,
          containerDefinitions: [{ name: 'app', image, cpu: 128, memory: 128 }],
        }),
      );
    }
  });
  after(async () => {
    await berth?.close();
    await hosts?.close();
  });

  it('runs a service of 3 to a steady state, spread over the zones', async () => {
    const name = uniqueName('web');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 3,
        placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
      }),
    );
    const service = await stable(name);
    assert.equal(service.runningCount, 3);
    assert.equal(service.deployments?.[0]?.rolloutState, 'COMPLETED');
    const tasks = await liveTasks(name);
    assert.equal(tasks.length, 3);
    assert.equal(new Set(tasks.map((t) => t.availabilityZone)).size, 3, 'not one task per zone');
    assert.ok(
      tasks.every((t) => t.group === `service:${name}` && t.startedBy === service.deployments?.[0]?.id),
    );
    const events = (service.events ?? []).map((e) => e.message ?? '');
    assert.ok(
      events.some((m) => m === `(service ${name}) has reached a steady state.`),
      events.join('\n'),
    );
    assert.ok(
      events.some((m) => m.startsWith(`(service ${name}) has started 3 tasks:`)),
      events.join('\n'),
    );
  });

  it('scales to 0 and back', async () => {
    const name = uniqueName('scale');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 2,
      }),
    );
    await stable(name);
    await ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 0 }));
    await until(
      'no task left',
      async () => ((await liveTasks(name)).length === 0 ? true : undefined),
      20_000,
    );
    assert.equal((await stable(name)).runningCount, 0);
    await ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 3 }));
    assert.equal((await stable(name)).runningCount, 3);
  });

  it('rolls a new task definition out without going below min healthy or above max percent', async () => {
    const name = uniqueName('roll');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 4,
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 },
      }),
    );
    await stable(name);
    await ecs.send(new UpdateServiceCommand({ cluster, service: name, taskDefinition: `${family}:2` }));
    let maxLive = 0;
    let minRunning = Infinity;
    const done = await until(
      'the rolling deployment to complete',
      async () => {
        const tasks = await liveTasks(name);
        maxLive = Math.max(maxLive, tasks.length);
        minRunning = Math.min(minRunning, tasks.filter((t) => t.lastStatus === 'RUNNING').length);
        const s = await describe1(name);
        const revisionTwo = tasks.every((t) => t.taskDefinitionArn?.endsWith(`${family}:2`));
        return s.deployments?.length === 1 && s.runningCount === 4 && tasks.length === 4 && revisionTwo
          ? s
          : undefined;
      },
      40_000,
    );
    assert.equal(done.deployments?.[0]?.rolloutState, 'COMPLETED');
    assert.ok(maxLive <= 6, `more than 150% live at once: ${maxLive}`);
    assert.ok(minRunning >= 2, `fewer than 50% running at once: ${minRunning}`);
  });

  it('trips the circuit breaker on tasks that exit at once and rolls back', async () => {
    const name = uniqueName('breaker');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 2,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    await stable(name);
    await ecs.send(new UpdateServiceCommand({ cluster, service: name, taskDefinition: crashing }));
    let lastSeen: Service | undefined;
    const rolledBack = await until(
      'the rollback to complete',
      async () => {
        const s = await describe1(name);
        lastSeen = s;
        const primary = s.deployments?.[0];
        return s.deployments?.length === 1 &&
          primary?.taskDefinition?.endsWith(`${family}:1`) &&
          primary.rolloutState === 'COMPLETED' &&
          s.runningCount === 2
          ? s
          : undefined;
      },
      60_000,
      () => JSON.stringify(lastSeen, null, 1),
    );
    const events = (rolledBack.events ?? []).map((e) => e.message ?? '');
    assert.ok(
      events.some((m) => m.includes('deployment failed') || m.includes('rolling back')),
      events.join('\n'),
    );
    assert.ok(rolledBack.taskDefinition?.endsWith(`${family}:1`));
  });

  it('moves the tasks off an instance set to DRAINING, and puts none there while it drains', async () => {
    const name = uniqueName('drain');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 3,
        placementStrategy: [{ type: 'spread', field: 'instanceId' }],
      }),
    );
    await stable(name);
    const drained = (await liveTasks(name))[0]?.containerInstanceArn as string;
    await ecs.send(
      new UpdateContainerInstancesStateCommand({
        cluster,
        containerInstances: [drained],
        status: 'DRAINING',
      }),
    );
    try {
      const moved = await until(
        'the drained instance to hold none of the service tasks',
        async () => {
          const tasks = await liveTasks(name);
          const running = tasks.filter((t) => t.lastStatus === 'RUNNING');
          return running.length === 3 && !tasks.some((t) => t.containerInstanceArn === drained)
            ? tasks
            : undefined;
        },
        30_000,
      );
      assert.equal(moved.length, 3);
    } finally {
      await ecs.send(
        new UpdateContainerInstancesStateCommand({
          cluster,
          containerInstances: [drained],
          status: 'ACTIVE',
        }),
      );
    }
  });

  it("propagates the service's tags and ECS's managed tags to its tasks", async () => {
    const name = uniqueName('tags');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 1,
        propagateTags: 'SERVICE',
        enableECSManagedTags: true,
        tags: [{ key: 'team', value: 'payments' }],
      }),
    );
    await stable(name);
    const [task] = await liveTasks(name);
    const { tags } = await ecs.send(new ListTagsForResourceCommand({ resourceArn: task?.taskArn }));
    const byKey = Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));
    assert.deepEqual(byKey, {
      team: 'payments',
      'aws:ecs:serviceName': name,
      'aws:ecs:clusterName': cluster,
    });
  });
  it('forceNewDeployment replaces every task with a new one of the same definition', async () => {
    const name = uniqueName('force');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 2,
      }),
    );
    await stable(name);
    const before = new Set((await liveTasks(name)).map((t) => t.taskArn));
    await ecs.send(new UpdateServiceCommand({ cluster, service: name, forceNewDeployment: true }));
    const replaced = await until(
      'two new tasks',
      async () => {
        const s = await describe1(name);
        const tasks = await liveTasks(name);
        const fresh = tasks.filter((t) => !before.has(t.taskArn));
        return s.deployments?.length === 1 &&
          s.deployments[0]?.rolloutState === 'COMPLETED' &&
          fresh.length === 2 &&
          tasks.length === 2
          ? tasks
          : undefined;
      },
      30_000,
    );
    assert.ok(replaced.every((t) => t.taskDefinitionArn?.endsWith(`${family}:1`)));
  });

  it('DeleteService with force stops the tasks and the service becomes INACTIVE', async () => {
    const name = uniqueName('delete');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 2,
      }),
    );
    await stable(name);
    await ecs.send(new DeleteServiceCommand({ cluster, service: name, force: true }));
    const gone = await until(
      'the service to be INACTIVE with no task left',
      async () => {
        const s = await describe1(name);
        return s.status === 'INACTIVE' && (await liveTasks(name)).length === 0 ? s : undefined;
      },
      30_000,
    );
    assert.equal(gone.status, 'INACTIVE');
  });
});

describe('a DAEMON service on simulated hosts', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  let hosts: FakeHosts;
  const cluster = uniqueName('daemon');
  const family = uniqueName('daemon');

  before(async () => {
    berth = await startTestServer({ serviceScheduler: { intervalMs: 200, noHealthCheckWaitMs: 300 } });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    hosts = await startFakeHosts(berth, cluster, 3);
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: 'agent', image: 'log-shipper', cpu: 64, memory: 64 }],
      }),
    );
  });
  after(async () => {
    await berth?.close();
    await hosts?.close();
  });

  const tasksByInstance = async (): Promise<Map<string, number>> => {
    const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: 'daemon' }))).taskArns ?? [];
    const tasks = arns.length
      ? ((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [])
      : [];
    const counts = new Map<string, number>();
    for (const t of tasks.filter((x) => x.lastStatus === 'RUNNING'))
      counts.set(t.containerInstanceArn ?? '', (counts.get(t.containerInstanceArn ?? '') ?? 0) + 1);
    return counts;
  };

  it('runs exactly one task per instance, and one more on an instance that joins later', async () => {
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: 'daemon',
        taskDefinition: family,
        schedulingStrategy: 'DAEMON',
      }),
    );
    const three = await until('one task on each of 3 instances', async () => {
      const counts = await tasksByInstance();
      return counts.size === 3 && [...counts.values()].every((n) => n === 1) ? counts : undefined;
    });
    assert.equal(three.size, 3);
    const added = await hosts.add();
    const four = await until('one task on the new instance too', async () => {
      const counts = await tasksByInstance();
      return counts.size === 4 && counts.get(added.arn) === 1 && [...counts.values()].every((n) => n === 1)
        ? counts
        : undefined;
    });
    assert.equal(four.size, 4);
    const service = (await ecs.send(new DescribeServicesCommand({ cluster, services: ['daemon'] })))
      .services?.[0];
    assert.equal(service?.desiredCount, 4);
  });
});
