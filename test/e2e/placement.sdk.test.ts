import {
  CreateClusterCommand,
  InvalidParameterException,
  ListTasksCommand,
  PutAttributesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type ECSClient,
  type RunTaskCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rejectsWith } from '../support/assert.js';
import { registerPlaceableHosts } from '../support/agent-session.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * Placement constraints and strategies through @aws-sdk/client-ecs on hosts registered by hand
 * (agent sessions kept, no containers run): the seed's `memberOf` on a custom attribute set with
 * PutAttributes, `distinctInstance`, `task:group`, spread over three zones, and refusals with
 * ECS's reasons and Berth's per-reason counts.
 */
describe('placement through @aws-sdk/client-ecs', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  const cluster = uniqueName('placement');
  const family = uniqueName('placement');
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const instances: string[] = [];

  const run = (input: Omit<RunTaskCommandInput, 'cluster' | 'taskDefinition'>) =>
    ecs.send(new RunTaskCommand({ ...input, cluster, taskDefinition: family }));
  const hostsOf = (tasks: readonly Task[] | undefined): string[] =>
    (tasks ?? []).map((t) => t.containerInstanceArn ?? '');

  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    // Six hosts, two per zone.
    const hosts = await registerPlaceableHosts(berth, ecs, cluster, 6, zones);
    instances.push(...hosts.map((h) => h.containerInstanceArn));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 128, memory: 128 }],
      }),
    );
  });
  after(() => berth.close());

  it('memberOf on a custom attribute set with PutAttributes (EBS=io1) steers every task there', async () => {
    const [a, b] = instances;
    await ecs.send(
      new PutAttributesCommand({
        cluster,
        attributes: [
          { name: 'EBS', value: 'io1', targetId: a },
          { name: 'EBS', value: 'io1', targetId: b },
        ],
      }),
    );
    const out = await run({
      count: 6,
      group: 'ebs',
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:EBS == io1' }],
      // RunTask's default is random, which may put all six on one of the two; spreading by
      // instance makes "both, and only both" a certainty rather than a 31-in-32 chance.
      placementStrategy: [{ type: 'spread', field: 'instanceId' }],
    });
    assert.deepEqual(out.failures, []);
    assert.deepEqual(new Set(hostsOf(out.tasks)), new Set([a, b]));
  });

  it('distinctInstance puts each task of the group on its own instance and explains the rest', async () => {
    const out = await run({
      count: 8,
      group: 'distinct',
      placementConstraints: [{ type: 'distinctInstance' }],
    });
    const hosts = hostsOf(out.tasks);
    assert.equal(hosts.length, 6);
    assert.equal(new Set(hosts).size, 6, 'never two on one instance');
    assert.equal(out.failures?.[0]?.reason, 'DistinctInstance placement constraint unsatisfied.');
    assert.match(
      out.failures?.[0]?.detail ?? '',
      /^6 instances: DistinctInstance placement constraint unsatisfied\.$/,
    );
    // The group's tasks already placed count: a second call places nothing.
    const again = await run({
      count: 1,
      group: 'distinct',
      placementConstraints: [{ type: 'distinctInstance' }],
    });
    assert.deepEqual(again.tasks, []);
  });

  it('task:group in memberOf sees the tasks already on each instance', async () => {
    const db = await run({
      count: 1,
      group: 'databases',
      placementConstraints: [
        {
          type: 'memberOf',
          expression: `ec2InstanceId =~ .* and attribute:ecs.availability-zone == us-east-1c and not(attribute:EBS exists)`,
        },
      ],
    });
    const dbHost = hostsOf(db.tasks)[0];
    assert.ok(dbHost);
    const near = await run({
      count: 2,
      group: 'near-db',
      placementConstraints: [{ type: 'memberOf', expression: 'task:group == databases' }],
    });
    assert.deepEqual(hostsOf(near.tasks), [dbHost, dbHost]);
    const away = await run({
      count: 3,
      group: 'away',
      placementConstraints: [{ type: 'memberOf', expression: 'not(task:group == databases)' }],
    });
    assert.ok(!hostsOf(away.tasks).includes(dbHost));
  });

  it('spreads over three zones, then binpacks memory inside each', async () => {
    const out = await run({
      count: 9,
      group: 'spread',
      placementStrategy: [
        { type: 'spread', field: 'attribute:ecs.availability-zone' },
        { type: 'binpack', field: 'memory' },
      ],
    });
    const zoneOf = new Map(instances.map((arn, k) => [arn, zones[k % 3]]));
    const perZone = new Map<string, number>();
    for (const host of hostsOf(out.tasks))
      perZone.set(zoneOf.get(host) ?? '', (perZone.get(zoneOf.get(host) ?? '') ?? 0) + 1);
    assert.deepEqual([...perZone.values()], [3, 3, 3]);
  });

  it('refuses bad constraints with AWS errors and starts nothing', async () => {
    const before = await ecs.send(new ListTasksCommand({ cluster }));
    await rejectsWith(
      run({ placementConstraints: [{ type: 'memberOf', expression: 'attribute:EBS ==' }] }),
      InvalidParameterException,
      /at character/,
    );
    await rejectsWith(
      run({ placementConstraints: [{ type: 'memberOf' }] }),
      InvalidParameterException,
      /needs an expression/,
    );
    await rejectsWith(
      run({
        placementConstraints: Array.from({ length: 11 }, () => ({ type: 'distinctInstance' as const })),
      }),
      InvalidParameterException,
      /At most 10/,
    );
    const after = await ecs.send(new ListTasksCommand({ cluster }));
    assert.deepEqual(after.taskArns, before.taskArns);
  });

  it('a memberOf no instance satisfies fails every task with the reason and the count', async () => {
    const out = await run({
      count: 2,
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }],
    });
    assert.deepEqual(out.tasks, []);
    assert.equal(out.failures?.[0]?.reason, 'MemberOf placement constraint unsatisfied.');
    assert.equal(out.failures?.[0]?.detail, '6 instances: MemberOf placement constraint unsatisfied.');
  });
});
