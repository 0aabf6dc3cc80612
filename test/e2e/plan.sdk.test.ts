import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  ListTasksCommand,
  PutAttributesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type ECSClient,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerPlaceableHosts } from '../support/agent-session.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';
import { signedRequest, type RawResponse } from '../support/signed.js';

/**
 * BerthV1.PlanRunTask, the placement dry run, over signed raw requests on hosts registered by hand
 * (agent sessions kept, no containers run): the plan is what RunTask then does with the same
 * inputs when those inputs decide the instances (memberOf + distinctInstance), nothing is written,
 * failures come with ECS's reasons and counts, and bad input gets RunTask's own errors.
 */
interface Plan {
  placements: { containerInstanceArn: string; ec2InstanceId?: string; availabilityZone?: string }[];
  unplaced: number;
  failures: { arn: string; reason: string; detail: string }[];
  evaluated: { containerInstanceArn: string; verdict: string; tasks?: number }[];
}

const MEMBER_OF = 'MemberOf placement constraint unsatisfied.';
const DISTINCT = 'DistinctInstance placement constraint unsatisfied.';

describe('BerthV1.PlanRunTask', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  const cluster = uniqueName('plan');
  const empty = uniqueName('plan-empty');
  const family = uniqueName('plan');
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const instances: string[] = [];
  const hosts: string[] = [];
  let gold: string[] = [];

  const call = (target: string, body: object): Promise<RawResponse> =>
    signedRequest(
      berth.endpoint,
      { target, body: JSON.stringify(body) },
      { credentials: berth.credentials, region: berth.region },
    );
  const plan = async (input: object): Promise<Plan> => {
    const response = await call('BerthV1.PlanRunTask', input);
    assert.equal(response.status, 200, response.text);
    return response.json as unknown as Plan;
  };
  const goldOnly: RunTaskCommandInput['placementConstraints'] = [
    { type: 'memberOf', expression: 'attribute:tier == gold' },
    { type: 'distinctInstance' },
  ];
  /** What a dry run must leave alone: tasks, each instance's resources and counts, the cluster's counts. */
  const state = async () => {
    const tasks = await ecs.send(new ListTasksCommand({ cluster }));
    const described = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster, containerInstances: instances }),
    );
    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
    const c = clusters.clusters?.[0];
    return {
      tasks: tasks.taskArns,
      instances: (described.containerInstances ?? []).map((i) => ({
        arn: i.containerInstanceArn,
        remaining: i.remainingResources,
        running: i.runningTasksCount,
        pending: i.pendingTasksCount,
      })),
      counts: [c?.registeredContainerInstancesCount, c?.runningTasksCount, c?.pendingTasksCount],
    };
  };

  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    await ecs.send(new CreateClusterCommand({ clusterName: empty }));
    for (const h of await registerPlaceableHosts(berth, ecs, cluster, 5, zones)) {
      instances.push(h.containerInstanceArn);
      hosts.push(h.hostId);
    }
    gold = instances.slice(0, 3);
    await ecs.send(
      new PutAttributesCommand({
        cluster,
        attributes: gold.map((targetId) => ({ name: 'tier', value: 'gold', targetId })),
      }),
    );
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 128, memory: 1024 }],
      }),
    );
  });
  after(() => berth.close());

  it('plans what RunTask then does, and writes nothing', async () => {
    const input = { cluster, taskDefinition: family, count: 3, group: 'web', placementConstraints: goldOnly };
    const before = await state();
    const planned = await plan(input);
    assert.deepEqual(await state(), before, 'no task, no instance or cluster change');
    assert.deepEqual(before.tasks, []);

    assert.equal(planned.unplaced, 0);
    assert.deepEqual(planned.failures, []);
    assert.deepEqual(new Set(planned.placements.map((p) => p.containerInstanceArn)), new Set(gold));
    for (const p of planned.placements) {
      const k = instances.indexOf(p.containerInstanceArn);
      assert.equal(p.ec2InstanceId, hosts[k]);
      assert.equal(p.availabilityZone, zones[k % 3]);
    }
    assert.deepEqual(
      planned.evaluated,
      instances
        .map((arn) =>
          gold.includes(arn)
            ? { containerInstanceArn: arn, verdict: 'chosen', tasks: 1 }
            : { containerInstanceArn: arn, verdict: MEMBER_OF },
        )
        .sort((a, b) => (a.containerInstanceArn < b.containerInstanceArn ? -1 : 1)),
    );

    // A second dry run sees the same cluster (the first one reserved nothing).
    assert.deepEqual(
      new Set((await plan(input)).placements.map((p) => p.containerInstanceArn)),
      new Set(gold),
    );
    const ran = await ecs.send(new RunTaskCommand(input));
    assert.deepEqual(ran.failures, []);
    assert.deepEqual(
      new Set((ran.tasks ?? []).map((t) => t.containerInstanceArn)),
      new Set(planned.placements.map((p) => p.containerInstanceArn)),
    );
    // The group's tasks now count: the same plan places nothing, for RunTask's reasons.
    const again = await plan(input);
    assert.deepEqual(again.placements, []);
    assert.equal(again.unplaced, 3);
    assert.deepEqual(
      again.evaluated.filter((e) => gold.includes(e.containerInstanceArn)).map((e) => e.verdict),
      [DISTINCT, DISTINCT, DISTINCT],
    );
  });

  it('answers the failures RunTask would, with reasons and per-reason counts', async () => {
    const input = { cluster, taskDefinition: family, count: 5, group: 'api', placementConstraints: goldOnly };
    const before = await state();
    const planned = await plan(input);
    assert.deepEqual(await state(), before);
    assert.equal(planned.placements.length, 3);
    assert.equal(planned.unplaced, 2);
    const detail = `3 instances: ${DISTINCT}; 2 instances: ${MEMBER_OF}`;
    const byArn = (a: { arn?: string | undefined }, b: { arn?: string | undefined }) =>
      (a.arn ?? '') < (b.arn ?? '') ? -1 : 1;
    assert.deepEqual(
      [...planned.failures].sort(byArn),
      instances
        .map((arn) => ({ arn, reason: gold.includes(arn) ? DISTINCT : MEMBER_OF, detail }))
        .sort(byArn),
    );
    const ran = await ecs.send(new RunTaskCommand(input));
    assert.deepEqual([...(ran.failures ?? [])].sort(byArn), [...planned.failures].sort(byArn));
    assert.deepEqual(
      new Set((ran.tasks ?? []).map((t) => t.containerInstanceArn)),
      new Set(planned.placements.map((p) => p.containerInstanceArn)),
    );
  });

  it('refuses bad input with the same AWS errors as RunTask, and writes nothing', async () => {
    const before = await state();
    const bad: Record<string, unknown>[] = [
      { cluster: uniqueName('nowhere'), taskDefinition: family },
      { cluster, taskDefinition: `${family}:99` },
      { cluster, taskDefinition: family, count: 11 },
      { cluster, taskDefinition: family, count: 0 },
      { cluster },
      { cluster, taskDefinition: family, count: 'two' },
      { cluster, taskDefinition: family, placementStrategy: [{ type: 'closest' }] },
      { cluster, taskDefinition: family, placementStrategy: [{ type: 'spread' }] },
      {
        cluster,
        taskDefinition: family,
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:x ==' }],
      },
      { cluster, taskDefinition: family, placementConstraints: [{ type: 'memberOf' }] },
      { cluster, taskDefinition: family, group: '' },
      { cluster, taskDefinition: family, overrides: { containerOverrides: [{ name: 'nobody' }] } },
      { cluster: empty, taskDefinition: family },
    ];
    for (const input of bad) {
      const planned = await call('BerthV1.PlanRunTask', input);
      const ran = await call('AmazonEC2ContainerServiceV20141113.RunTask', input);
      assert.ok(planned.status >= 400, `${JSON.stringify(input)} → ${planned.text}`);
      assert.equal(planned.status, ran.status, JSON.stringify(input));
      assert.deepEqual(planned.json, ran.json, JSON.stringify(input));
    }
    assert.deepEqual(await state(), before);
  });

  it('is an administrator operation: an unsigned call is refused', async () => {
    const response = await signedRequest(
      berth.endpoint,
      { target: 'BerthV1.PlanRunTask', body: JSON.stringify({ cluster, taskDefinition: family }) },
      undefined,
    );
    assert.equal(response.status, 403);
    assert.match(String(response.json?.__type), /MissingAuthenticationToken/);
  });
});
