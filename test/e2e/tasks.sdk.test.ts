import {
  ClientException,
  ClusterContainsTasksException,
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteClusterCommand,
  DeregisterContainerInstanceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type ContainerInstance,
  type ECSClient,
  type ListTasksCommandInput,
  type RunTaskCommandInput,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registration } from '../support/fixtures.js';
import { rejectsWith } from '../support/assert.js';
import { connectAgent } from '../support/agent-session.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

const TASK_ARN = /^arn:aws:ecs:us-east-1:123456789012:task\/([a-zA-Z0-9_-]+)\/([0-9a-f]{32})$/;

/** A one-container definition taking `cpu` units and `memory` MiB, with an optional static host port. */
function definition(
  family: string,
  cpu: number,
  memory: number,
  hostPort?: number,
): RegisterTaskDefinitionCommandInput {
  return {
    family,
    containerDefinitions: [
      {
        name: 'app',
        image: 'busybox:latest',
        cpu,
        memory,
        command: ['sleep', '3600'],
        ...(hostPort !== undefined ? { portMappings: [{ containerPort: 80, hostPort }] } : {}),
      },
      { name: 'sidecar', image: 'busybox:latest', essential: false, memoryReservation: 16 },
    ],
    tags: [{ key: 'from', value: 'definition' }],
  };
}

const resource = (i: ContainerInstance, name: string) => i.remainingResources?.find((r) => r.name === name);

describe('tasks through @aws-sdk/client-ecs', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
  });
  after(() => berth.close());

  /** A cluster with `hosts` registered instances (2048 CPU, 7680 MiB each); returns names and ARNs. */
  async function clusterWith(hosts: number): Promise<{ cluster: string; instances: string[] }> {
    const cluster = uniqueName('tasks');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const instances: string[] = [];
    for (let i = 0; i < hosts; i++) {
      const out = await ecs.send(
        new RegisterContainerInstanceCommand(registration(cluster, uniqueName(`i-${i}`))),
      );
      instances.push(out.containerInstance!.containerInstanceArn!);
      await connectAgent(berth, cluster, out.containerInstance!.containerInstanceArn!);
    }
    return { cluster, instances };
  }

  async function family(cpu: number, memory: number, hostPort?: number): Promise<string> {
    const name = uniqueName('fam');
    await ecs.send(new RegisterTaskDefinitionCommand(definition(name, cpu, memory, hostPort)));
    return name;
  }

  async function listAll(input: ListTasksCommandInput): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await ecs.send(new ListTasksCommand({ ...input, ...(nextToken ? { nextToken } : {}) }));
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return arns.sort();
  }

  async function instances(cluster: string, arns: string[]): Promise<ContainerInstance[]> {
    const out = await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }));
    return out.containerInstances!;
  }

  it('runs 3 tasks spread over instances, describes, lists, counts and stops them', async () => {
    const { cluster, instances: hosts } = await clusterWith(2);
    const fam = await family(512, 1024);
    const run = await ecs.send(
      new RunTaskCommand({
        cluster,
        taskDefinition: fam,
        count: 3,
        startedBy: 'tests',
        placementStrategy: [{ type: 'spread', field: 'instanceId' }],
        overrides: {
          containerOverrides: [
            { name: 'app', command: ['echo', 'hi'], environment: [{ name: 'A', value: '1' }] },
          ],
        },
        tags: [{ key: 'run', value: 'one' }],
        propagateTags: 'TASK_DEFINITION',
        referenceId: 'ref-1',
      }),
    );
    assert.deepEqual(run.failures, []);
    assert.equal(run.tasks?.length, 3);
    const task = run.tasks[0]!;
    assert.equal(TASK_ARN.exec(task.taskArn!)?.[1], cluster);
    assert.equal(task.lastStatus, 'PENDING');
    assert.equal(task.desiredStatus, 'RUNNING');
    assert.equal(task.launchType, 'EC2');
    assert.equal(task.group, `family:${fam}`);
    assert.equal(task.startedBy, 'tests');
    assert.equal(task.cpu, '512');
    assert.equal(task.memory, '1040', 'app 1024 MiB + sidecar reservation 16 MiB');
    assert.equal(task.version, 1);
    assert.ok(task.createdAt instanceof Date);
    assert.deepEqual(
      task.containers?.map((c) => [c.name, c.image, c.lastStatus]),
      [
        ['app', 'busybox:latest', 'PENDING'],
        ['sidecar', 'busybox:latest', 'PENDING'],
      ],
    );
    assert.deepEqual(task.overrides?.containerOverrides?.[0]?.command, ['echo', 'hi']);
    const perHost = new Map<string, number>();
    for (const t of run.tasks)
      perHost.set(t.containerInstanceArn!, (perHost.get(t.containerInstanceArn!) ?? 0) + 1);
    assert.deepEqual([...perHost.values()].sort(), [1, 2], 'spread over both instances');

    // Remaining resources and counts
    const after = await instances(cluster, hosts);
    for (const i of after) {
      const n = perHost.get(i.containerInstanceArn!) ?? 0;
      assert.equal(resource(i, 'CPU')?.integerValue, 2048 - 512 * n);
      assert.equal(resource(i, 'MEMORY')?.integerValue, 7680 - 1040 * n);
      assert.equal(i.pendingTasksCount, n);
      assert.equal(i.runningTasksCount, 0);
    }
    const clusterOut = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
    assert.equal(clusterOut.clusters?.[0]?.pendingTasksCount, 3);
    assert.equal(clusterOut.clusters?.[0]?.runningTasksCount, 0);

    // DescribeTasks with tags, by ARN and id, and a missing one
    const id = TASK_ARN.exec(task.taskArn!)![2]!;
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster, tasks: [task.taskArn!, id, '0'.repeat(32)], include: ['TAGS'] }),
    );
    assert.equal(described.tasks?.length, 1);
    assert.deepEqual(described.tasks[0]!.tags?.map((t) => `${t.key}=${t.value}`).sort(), [
      'from=definition',
      'run=one',
    ]);
    assert.deepEqual(
      described.failures?.map((f) => f.reason),
      ['MISSING'],
    );

    // Tags on a task ARN: TagResource, UntagResource, ListTagsForResource
    await ecs.send(
      new TagResourceCommand({ resourceArn: task.taskArn, tags: [{ key: 'owner', value: 'qa' }] }),
    );
    await ecs.send(new UntagResourceCommand({ resourceArn: task.taskArn, tagKeys: ['from'] }));
    const listed = await ecs.send(new ListTagsForResourceCommand({ resourceArn: task.taskArn }));
    assert.deepEqual(listed.tags?.map((t) => `${t.key}=${t.value}`).sort(), ['owner=qa', 'run=one']);
    await rejectsWith(
      ecs.send(
        new ListTagsForResourceCommand({
          resourceArn: task.taskArn!.replace(/[0-9a-f]{32}$/, '0'.repeat(32)),
        }),
      ),
      InvalidParameterException,
      /does not exist/,
    );

    // ListTasks filters and pagination
    const all = run.tasks.map((t) => t.taskArn!).sort();
    assert.deepEqual(await listAll({ cluster, maxResults: 1 }), all);
    assert.deepEqual(await listAll({ cluster, family: fam }), all);
    assert.deepEqual(await listAll({ cluster, startedBy: 'tests' }), all);
    assert.deepEqual(await listAll({ cluster, startedBy: 'others' }), []);
    assert.deepEqual(await listAll({ cluster, launchType: 'FARGATE' }), []);
    assert.deepEqual(await listAll({ cluster, serviceName: 'web' }), []);
    assert.deepEqual(await listAll({ cluster, desiredStatus: 'PENDING' }), []);
    const onFirst = run.tasks.filter((t) => t.containerInstanceArn === hosts[0]).map((t) => t.taskArn!);
    assert.deepEqual(await listAll({ cluster, containerInstance: hosts[0]! }), onFirst.sort());

    // DeleteCluster and DeregisterContainerInstance refuse while tasks hold them
    await rejectsWith(ecs.send(new DeleteClusterCommand({ cluster })), ClusterContainsTasksException);
    await rejectsWith(
      ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance: hosts[0]! })),
      InvalidParameterException,
      /tasks/,
    );

    // StopTask: straight to STOPPED (no agent ran it), resources released
    for (const t of run.tasks) {
      const stopped = await ecs.send(
        new StopTaskCommand({ cluster, task: t.taskArn!, ...(t === task ? { reason: 'done here' } : {}) }),
      );
      assert.equal(stopped.task?.desiredStatus, 'STOPPED');
      assert.equal(stopped.task?.lastStatus, 'STOPPED');
      assert.equal(stopped.task?.stopCode, 'UserInitiated');
      assert.equal(stopped.task?.stoppedReason, t === task ? 'done here' : 'Task stopped by user');
      assert.ok(stopped.task?.stoppingAt instanceof Date);
      assert.ok(stopped.task?.stoppedAt instanceof Date);
      assert.deepEqual(
        stopped.task?.containers?.map((c) => c.lastStatus),
        ['STOPPED', 'STOPPED'],
      );
    }
    // Stopping again changes nothing and gives nothing back twice
    await ecs.send(new StopTaskCommand({ cluster, task: task.taskArn! }));
    for (const i of await instances(cluster, hosts)) {
      assert.deepEqual(i.remainingResources, i.registeredResources);
      assert.equal(i.pendingTasksCount, 0);
    }
    assert.deepEqual(await listAll({ cluster }), []);
    assert.deepEqual(await listAll({ cluster, desiredStatus: 'STOPPED' }), all);
    for (const containerInstance of hosts) {
      await ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance }));
    }
    await ecs.send(new DeleteClusterCommand({ cluster }));
  });

  it('refuses a static host port the second time on a one-instance cluster with RESOURCE:PORTS', async () => {
    const {
      cluster,
      instances: [host],
    } = await clusterWith(1);
    const fam = await family(128, 128, 8080);
    const first = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: fam }));
    assert.equal(first.tasks?.length, 1);
    const [instance] = await instances(cluster, [host!]);
    assert.ok(resource(instance!, 'PORTS')?.stringSetValue?.includes('8080'));
    const second = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: fam }));
    assert.deepEqual(second.tasks, []);
    assert.deepEqual(
      second.failures?.map((f) => [f.arn, f.reason, f.detail]),
      [[host, 'RESOURCE:PORTS', '1 instance: RESOURCE:PORTS']],
    );
    // Stopping the first frees the port again
    await ecs.send(new StopTaskCommand({ cluster, task: first.tasks[0]!.taskArn! }));
    const [freed] = await instances(cluster, [host!]);
    assert.ok(!resource(freed!, 'PORTS')?.stringSetValue?.includes('8080'));
    assert.deepEqual(resource(freed!, 'PORTS')?.stringSetValue, ['22', '2375', '2376', '51678', '51679']);
    const third = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: fam }));
    assert.equal(third.tasks?.length, 1);
  });

  it('reports tasks too big for any instance as RESOURCE:MEMORY with per-reason counts, and fits what fits', async () => {
    const { cluster } = await clusterWith(2);
    const big = await family(128, 8000);
    const out = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: big, count: 2 }));
    assert.deepEqual(out.tasks, []);
    assert.equal(out.failures?.length, 2);
    for (const f of out.failures) {
      assert.equal(f.reason, 'RESOURCE:MEMORY');
      assert.equal(f.detail, '2 instances: RESOURCE:MEMORY');
    }
    // 7680 MiB per instance, 3000 per task: two fit on each, the fifth does not.
    const half = await family(128, 3000);
    const some = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: half, count: 5 }));
    assert.equal(some.tasks?.length, 4);
    assert.ok(some.failures!.length > 0);
    assert.ok(some.failures!.every((f) => f.reason === 'RESOURCE:MEMORY'));
  });

  it('answers bad RunTask requests with AWS errors and creates nothing', async () => {
    const { cluster } = await clusterWith(1);
    const fam = await family(128, 128);
    await ecs.send(new RegisterTaskDefinitionCommand(definition(fam, 128, 128)));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `${fam}:1` }));
    const bad: [
      Omit<RunTaskCommandInput, 'cluster'> & { cluster?: string },
      abstract new (...args: never[]) => Error,
      RegExp?,
    ][] = [
      [{ taskDefinition: `${fam}:1` }, InvalidParameterException, /^TaskDefinition is inactive$/],
      [{ taskDefinition: 'no-such-family' }, ClientException],
      [{ taskDefinition: fam, count: 0 }, InvalidParameterException],
      [{ taskDefinition: fam, count: 11 }, InvalidParameterException],
      [{ taskDefinition: fam, cluster: 'no-such-cluster' }, ClusterNotFoundException],
      [
        { taskDefinition: fam, overrides: { containerOverrides: [{ name: 'nobody', command: ['x'] }] } },
        InvalidParameterException,
        /not a container/,
      ],
      [{ taskDefinition: fam, launchType: 'FARGATE' }, InvalidParameterException, /EC2/],
      [{ taskDefinition: fam, launchType: 'EXTERNAL' }, InvalidParameterException, /EC2/],
    ];
    for (const [input, type, message] of bad) {
      await rejectsWith(ecs.send(new RunTaskCommand({ cluster, ...input })), type, message);
    }
    const awsvpc = uniqueName('vpc');
    await ecs.send(
      new RegisterTaskDefinitionCommand({ ...definition(awsvpc, 128, 128), networkMode: 'awsvpc' }),
    );
    await rejectsWith(
      ecs.send(new RunTaskCommand({ cluster, taskDefinition: awsvpc })),
      InvalidParameterException,
      /awsvpc arrives with its own issue/,
    );
    const empty = uniqueName('empty');
    await ecs.send(new CreateClusterCommand({ clusterName: empty }));
    await rejectsWith(
      ecs.send(new RunTaskCommand({ cluster: empty, taskDefinition: fam })),
      InvalidParameterException,
      /No Container Instances/,
    );
    assert.deepEqual(await listAll({ cluster }), []);
    assert.deepEqual(await listAll({ cluster, desiredStatus: 'STOPPED' }), []);
  });

  it('answers a repeated clientToken with the same tasks', async () => {
    const { cluster } = await clusterWith(1);
    const fam = await family(128, 128);
    const input = { cluster, taskDefinition: fam, count: 2, clientToken: 'token-1' };
    const first = await ecs.send(new RunTaskCommand(input));
    const again = await ecs.send(new RunTaskCommand(input));
    const arns = (out: typeof first) => out.tasks!.map((t) => t.taskArn).sort();
    assert.equal(first.tasks?.length, 2);
    assert.deepEqual(arns(again), arns(first));
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => ecs.send(new RunTaskCommand({ ...input, clientToken: 'token-2' }))),
    );
    for (const out of concurrent) assert.deepEqual(arns(out), arns(concurrent[0]!));
    assert.equal((await listAll({ cluster })).length, 4);
  });

  it('never over-commits an instance under concurrent RunTask bursts', async () => {
    const { cluster, instances: hosts } = await clusterWith(2);
    // 2048 CPU per instance, 300 per task: 6 fit on each (12 in all), whatever the interleaving.
    const fam = await family(300, 64);
    const clients = Array.from({ length: 4 }, () => berth.ecs());
    const outs = await Promise.all(
      Array.from({ length: 12 }, (_, k) =>
        clients[k % clients.length]!.send(new RunTaskCommand({ cluster, taskDefinition: fam, count: 3 })),
      ),
    );
    const placed = outs.flatMap((o) => o.tasks ?? []);
    assert.equal(placed.length, 12);
    for (const o of outs) for (const f of o.failures ?? []) assert.equal(f.reason, 'RESOURCE:CPU');
    for (const i of await instances(cluster, hosts)) {
      const cpu = resource(i, 'CPU')!.integerValue!;
      const on = placed.filter((t) => t.containerInstanceArn === i.containerInstanceArn).length;
      assert.ok(cpu >= 0, `remaining CPU ${cpu}`);
      assert.equal(cpu, 2048 - 300 * on);
      assert.ok(on * 300 <= 2048);
      assert.equal(i.pendingTasksCount, on);
    }
    assert.equal((await listAll({ cluster })).length, 12);
  });

  it('starts tasks on named instances with StartTask', async () => {
    const { cluster, instances: hosts } = await clusterWith(2);
    const fam = await family(1024, 64);
    const out = await ecs.send(
      new StartTaskCommand({
        cluster,
        taskDefinition: fam,
        containerInstances: [hosts[0]!, hosts[0]!, hosts[0]!, hosts[1]!.split('/').pop()!, '0'.repeat(32)],
        group: 'batch',
      }),
    );
    assert.deepEqual(
      out.tasks?.map((t) => t.containerInstanceArn),
      [hosts[0], hosts[0], hosts[1]],
    );
    assert.ok(out.tasks.every((t) => t.group === 'batch'));
    assert.deepEqual(
      out.failures?.map((f) => f.reason),
      ['RESOURCE:CPU', 'MISSING'],
    );
    await rejectsWith(
      ecs.send(new StartTaskCommand({ cluster, taskDefinition: fam, containerInstances: [] })),
      InvalidParameterException,
    );
  });
});
