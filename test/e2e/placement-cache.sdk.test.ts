import {
  CreateClusterCommand,
  DeleteAttributesCommand,
  PutAttributesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateContainerInstancesStateCommand,
  type ECSClient,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerPlaceableHosts } from '../support/agent-session.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * RunTask places from a cache of the cluster kept between calls (control/placement-cache.ts). Each
 * test first places (so the cluster is cached), then changes something placement depends on
 * through the API, and checks that the very next RunTask sees the change.
 */
describe('placement sees every change made after the cluster was cached', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  const cluster = uniqueName('cache');
  const family = uniqueName('cache');
  const instances: string[] = [];

  const run = (input: Omit<RunTaskCommandInput, 'cluster' | 'taskDefinition'> = {}) =>
    ecs.send(new RunTaskCommand({ ...input, cluster, taskDefinition: family }));
  const hosts = async (input: Omit<RunTaskCommandInput, 'cluster' | 'taskDefinition'> = {}) => {
    const out = await run(input);
    return {
      hosts: (out.tasks ?? []).map((t) => t.containerInstanceArn ?? ''),
      failures: out.failures ?? [],
    };
  };

  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const registered = await registerPlaceableHosts(berth, ecs, cluster, 3, ['zone-a']);
    instances.push(...registered.map((h) => h.containerInstanceArn));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 16, memory: 16 }],
      }),
    );
    // Cached from here on.
    assert.deepEqual((await hosts()).failures, []);
  });
  after(() => berth.close());

  it('an attribute put, then deleted, steers the next memberOf placement at once', async () => {
    const target = instances[1] as string;
    const onlyTagged = {
      placementConstraints: [{ type: 'memberOf' as const, expression: 'attribute:disk == ssd' }],
    };
    assert.equal((await hosts(onlyTagged)).failures.length, 3, 'no instance has the attribute yet');

    await ecs.send(
      new PutAttributesCommand({ cluster, attributes: [{ name: 'disk', value: 'ssd', targetId: target }] }),
    );
    assert.deepEqual((await hosts({ ...onlyTagged, count: 3 })).hosts, [target, target, target]);

    await ecs.send(
      new DeleteAttributesCommand({ cluster, attributes: [{ name: 'disk', targetId: target }] }),
    );
    const after = await hosts(onlyTagged);
    assert.deepEqual(after.hosts, []);
    assert.equal(after.failures[0]?.reason, 'MemberOf placement constraint unsatisfied.');
  });

  it('a draining instance takes nothing from the next call, and takes tasks again once ACTIVE', async () => {
    const drained = instances[0] as string;
    await ecs.send(
      new UpdateContainerInstancesStateCommand({
        cluster,
        containerInstances: [drained],
        status: 'DRAINING',
      }),
    );
    const during = await hosts({ count: 10 });
    assert.equal(during.hosts.length, 10);
    assert.ok(!during.hosts.includes(drained), 'a task went to the draining instance');

    await ecs.send(
      new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [drained], status: 'ACTIVE' }),
    );
    const spread = await hosts({ count: 3, placementStrategy: [{ type: 'spread', field: 'instanceId' }] });
    assert.ok(spread.hosts.includes(drained), 'the re-activated instance took no task');
  });

  it('an instance registered after the cluster was cached takes tasks', async () => {
    const [added] = await registerPlaceableHosts(berth, ecs, cluster, 1, ['zone-b']);
    const zoned = await hosts({
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.availability-zone == zone-b' }],
    });
    assert.deepEqual(zoned.hosts, [added?.containerInstanceArn]);
  });

  it('spread counts the tasks placed by earlier calls', async () => {
    const group = uniqueName('spread');
    const placed: string[] = [];
    // One task per call: only what earlier calls placed (read back from the cache) can spread them.
    for (let k = 0; k < instances.length; k++) {
      placed.push(
        ...(await hosts({ group, placementStrategy: [{ type: 'spread', field: 'instanceId' }] })).hosts,
      );
    }
    assert.equal(new Set(placed).size, instances.length, `tasks doubled up: ${placed.join(', ')}`);
  });
});
