import {
  CreateClusterCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signedRequest, type RawResponse } from '../support/signed.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';
import { freshPostgres, testDialects, type TestStoreLocation } from '../support/stores.js';

/**
 * Two control-plane replicas on one PostgreSQL store: an agent's long poll held by replica B wakes
 * as soon as replica A assigns it a task (LISTEN/NOTIFY), instead of when its wait runs out.
 */
const postgres = (await testDialects()).find((d) => d.kind === 'postgres');

describe('replicas on one PostgreSQL store', { skip: postgres?.skip ?? 'no PostgreSQL dialect' }, () => {
  let location: TestStoreLocation;
  let a: TestServer;
  let b: TestServer;
  const cluster = uniqueName('replicas');
  const family = uniqueName('replicas');
  let instanceArn = '';

  const pollOn = (server: TestServer, body: object): Promise<RawResponse> =>
    signedRequest(
      server.endpoint,
      { target: 'BerthAgentV1.Poll', body: JSON.stringify(body) },
      { credentials: server.credentials, region: server.region },
    );

  before(async () => {
    location = await freshPostgres();
    a = await startTestServer({ store: location.location });
    b = await startTestServer({ store: location.location });
    const ecs = a.ecs();
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
    instanceArn = registered.containerInstance?.containerInstanceArn ?? '';
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: 'c', image: 'busybox', memory: 16 }],
      }),
    );
  });

  after(async () => {
    await b?.close();
    await a?.close();
    await location?.dispose();
  });

  it('wakes a Poll held by one replica when another assigns the instance a task', async () => {
    const first = await pollOn(b, { cluster, containerInstanceArn: instanceArn, waitSeconds: 0 });
    assert.equal(first.status, 200);
    const WAIT_SECONDS = 20;
    const started = Date.now();
    const held = pollOn(b, {
      cluster,
      containerInstanceArn: instanceArn,
      knownVersions: {},
      waitSeconds: WAIT_SECONDS,
    });
    // Let the Poll settle into its wait on replica B before replica A commits.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const run = await a.ecs().send(new RunTaskCommand({ cluster, taskDefinition: family }));
    const taskArn = run.tasks?.[0]?.taskArn;
    assert.ok(taskArn, JSON.stringify(run.failures));

    const answer = await held;
    const elapsed = Date.now() - started;
    const tasks = (answer.json as { tasks: { taskArn: string }[] }).tasks;
    assert.deepEqual(
      tasks.map((t) => t.taskArn),
      [taskArn],
    );
    assert.ok(
      elapsed < (WAIT_SECONDS * 1000) / 2,
      `the Poll answered when its wait ran out (${elapsed} ms), not on the change`,
    );
  });

  it('places on what another replica changed after this one cached the cluster', async () => {
    const gold = {
      cluster,
      taskDefinition: family,
      placementConstraints: [{ type: 'memberOf' as const, expression: 'attribute:tier == gold' }],
    };
    // Replica A caches the cluster: no instance is gold yet.
    const before = await a.ecs().send(new RunTaskCommand(gold));
    assert.equal(before.failures?.[0]?.reason, 'MemberOf placement constraint unsatisfied.');

    await b.ecs().send(
      new PutAttributesCommand({
        cluster,
        attributes: [{ name: 'tier', value: 'gold', targetId: instanceArn }],
      }),
    );
    // The change reaches A through the change feed (asynchronously): without it A would never see it.
    const placed = await until(
      'replica A to place on the instance replica B made gold',
      async () => {
        const out = await a.ecs().send(new RunTaskCommand(gold));
        return out.tasks?.[0]?.containerInstanceArn;
      },
      5_000,
    );
    assert.equal(placed, instanceArn);
  });
});
