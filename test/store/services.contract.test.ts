import type { TaskDefinition } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceRecord } from '../../src/core/ecs/service.js';
import { drainingService, newService, updatedService } from '../../src/core/ecs/service-changes.js';
import type { DeploymentRecord } from '../../src/core/ecs/service-deployment.js';
import { openStore, type Store } from '../../src/store/index.js';
import { testDialects } from '../support/stores.js';

/**
 * The service repository's contract (store/services.ts) on every dialect: services with their
 * deployments written together under a version check, ListServices order and filters, the
 * deployment history and its pages, and one service per name and live clientToken per cluster.
 */

const ACCOUNT = '123456789012';
const T0 = Date.UTC(2031, 4, 17, 9, 30, 15, 123);
const SCOPE = { partition: 'aws', region: 'us-east-1', accountId: ACCOUNT };

const definition = (revision: number): TaskDefinition => ({
  taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/web:${revision}`,
  status: 'ACTIVE',
  networkMode: 'bridge',
  containerDefinitions: [{ name: 'web', image: `web:${revision}`, portMappings: [{ containerPort: 80 }] }],
});

let counter = 0;
function ids() {
  counter += 1;
  return {
    digits: String(1_000_000_000_000_000_000n + BigInt(counter)),
    serviceDeploymentId: `d${counter}`.padEnd(21, 'x'),
  };
}

function service(
  cluster: string,
  name: string,
  options: { token?: string; daemon?: boolean; now?: number; replacing?: ServiceRecord } = {},
): ServiceRecord {
  return newService(
    {
      serviceName: name,
      ...(options.daemon
        ? { schedulingStrategy: 'DAEMON' }
        : {
            desiredCount: 2,
            placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
          }),
      ...(options.token !== undefined ? { clientToken: options.token } : {}),
    },
    definition(1),
    {
      arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/${cluster}/${name}`,
      cluster,
      createdBy: `arn:aws:iam::${ACCOUNT}:user/admin`,
      requestDigest: 'digest',
      scope: SCOPE,
      ids: ids(),
      now: options.now ?? T0,
      ...(options.replacing ? { replacing: options.replacing } : {}),
    },
  );
}

/** A new deployment of revision `revision` at `now` (the old PRIMARY turns ACTIVE). */
function deploy(s: ServiceRecord, revision: number, now: number): ServiceRecord {
  return updatedService(s, { service: s.name, taskDefinition: `web:${revision}` }, definition(revision), {
    ids: ids(),
    now,
  }).service;
}

const retire = (s: ServiceRecord, id: string, now: number): ServiceRecord => ({
  ...s,
  version: s.version + 1,
  updatedAt: now,
  deployments: s.deployments.map((d): DeploymentRecord =>
    d.id === id ? { ...d, status: 'INACTIVE', updatedAt: now } : d,
  ),
});

for (const dialect of await testDialects()) {
  describe(`service store contract on ${dialect.kind}`, { skip: dialect.skip }, () => {
    async function withStore(work: (store: Store) => Promise<void>): Promise<void> {
      const where = await dialect.fresh();
      try {
        const store = await openStore(where.location);
        try {
          await work(store);
        } finally {
          await store.close();
        }
      } finally {
        await where.dispose();
      }
    }

    it('inserts a service with its deployment and reads it back as written', () =>
      withStore(async (store) => {
        const web = service('prod', 'web', { token: 'tok-1' });
        await store.services.insert(web);
        assert.deepEqual(await store.services.byName('prod', 'web'), web);
        assert.deepEqual(await store.services.byNames('prod', ['web', 'nobody']), [web]);
        assert.equal(await store.services.byName('other', 'web'), undefined);
        assert.deepEqual(await store.services.byClientToken('prod', 'tok-1'), web);
        assert.equal(await store.services.byClientToken('prod', 'tok-2'), undefined);
        assert.deepEqual(
          await store.services.deploymentById(web.arn, web.deployments[0]!.id),
          web.deployments[0],
        );
        assert.deepEqual(await store.services.deploymentByArn(web.deployments[0]!.arn), {
          serviceArn: web.arn,
          deployment: web.deployments[0],
        });
      }));

    it('writes a service and its deployments only over the version it read', () =>
      withStore(async (store) => {
        const v1 = service('prod', 'web');
        await store.services.insert(v1);
        const v2 = deploy(v1, 2, T0 + 1000);
        assert.equal(await store.services.update(v2), true);
        assert.equal(await store.services.update(deploy(v1, 3, T0 + 2000)), false, 'version 1 is gone');
        const read = await store.services.byName('prod', 'web');
        assert.deepEqual(read, v2);
        assert.deepEqual(
          read?.deployments.map((d) => d.status),
          ['PRIMARY', 'ACTIVE'],
        );
        // Ten writers from the same version: exactly one wins.
        const racers = Array.from({ length: 10 }, (_, i) => deploy(v2, 10 + i, T0 + 3000 + i));
        const won = await Promise.all(racers.map((r) => store.services.update(r)));
        assert.equal(won.filter(Boolean).length, 1);
        const winner = racers[won.indexOf(true)]!;
        assert.deepEqual(await store.services.byName('prod', 'web'), winner);
        const losers = racers.filter((r) => r !== winner).map((r) => r.deployments[0]!.id);
        for (const id of losers)
          assert.equal(
            await store.services.deploymentById(v1.arn, id),
            undefined,
            'a lost write leaves no deployment',
          );
      }));

    it('keeps an INACTIVE deployment for the history and no longer reads it with its service', () =>
      withStore(async (store) => {
        const v1 = service('prod', 'web');
        await store.services.insert(v1);
        const v2 = deploy(v1, 2, T0 + 1000);
        await store.services.update(v2);
        const oldId = v1.deployments[0]!.id;
        const v3 = retire(v2, oldId, T0 + 2000);
        assert.equal(await store.services.update(v3), true);
        const read = await store.services.byName('prod', 'web');
        assert.deepEqual(
          read?.deployments.map((d) => d.id),
          [v2.deployments[0]!.id],
        );
        assert.equal((await store.services.deploymentById(v1.arn, oldId))?.status, 'INACTIVE');
        assert.equal((await store.services.listDeployments({ serviceArn: v1.arn, limit: 10 })).length, 2);
      }));

    it('rolls a service back with the transaction it was written in', () =>
      withStore(async (store) => {
        await assert.rejects(
          store.transaction(async (repos) => {
            await repos.services.insert(service('prod', 'web'));
            throw new Error('caller failed');
          }),
          /caller failed/,
        );
        assert.equal(await store.services.byName('prod', 'web'), undefined);
        assert.deepEqual(
          await store.services.listDeployments({ serviceArn: service('prod', 'web').arn, limit: 5 }),
          [],
        );
      }));

    it('holds one service per name and one live service per clientToken in a cluster', () =>
      withStore(async (store) => {
        await store.services.insert(service('prod', 'web', { token: 'tok' }));
        await assert.rejects(store.services.insert(service('prod', 'web')), 'the name is taken');
        await assert.rejects(
          store.services.insert(service('prod', 'api', { token: 'tok' })),
          'the token is taken',
        );
        assert.equal(
          await store.services.byName('prod', 'api'),
          undefined,
          'nothing of the refused insert remains',
        );
        await store.services.insert(service('staging', 'api', { token: 'tok' }));
        // Once INACTIVE, the token is free in its cluster.
        let web = (await store.services.byName('prod', 'web'))!;
        web = drainingService(web, T0 + 1);
        assert.equal(await store.services.update(web), true);
        assert.equal(
          (await store.services.byClientToken('prod', 'tok'))?.name,
          'web',
          'DRAINING still holds it',
        );
        assert.equal(
          await store.services.update({ ...web, status: 'INACTIVE', version: web.version + 1 }),
          true,
        );
        await store.services.insert(service('prod', 'api', { token: 'tok' }));
      }));

    it('recreates a deleted service over its row, dropping the old deployments', () =>
      withStore(async (store) => {
        const first = service('prod', 'web');
        await store.services.insert(first);
        const gone = { ...drainingService(first, T0 + 1), status: 'INACTIVE' as const };
        assert.equal(await store.services.update(gone), true);
        const again = service('prod', 'web', { now: T0 + 10, replacing: gone });
        assert.equal(again.version, gone.version + 1);
        assert.equal(await store.services.recreate(again), true);
        assert.deepEqual(await store.services.byName('prod', 'web'), again);
        assert.deepEqual(
          (await store.services.listDeployments({ serviceArn: again.arn, limit: 10 })).map((d) => d.id),
          [again.deployments[0]!.id],
        );
        assert.equal(await store.services.recreate(again), false, 'over a stale version, nothing');
      }));

    it('lists ACTIVE services in byte order, filtered and paged; counts them per cluster', () =>
      withStore(async (store) => {
        for (const name of ['web', 'Web', 'api', 'api_2', 'api-1'])
          await store.services.insert(service('prod', name));
        await store.services.insert(service('prod', 'logs', { daemon: true }));
        const drained = drainingService(service('prod', 'old'), T0);
        await store.services.insert({ ...drained, version: 1 });
        await store.services.insert(service('other', 'x'));
        const names = async (q: Partial<Parameters<Store['services']['listActive']>[0]>) =>
          (await store.services.listActive({ cluster: 'prod', limit: 100, ...q })).map((s) => s.name);
        assert.deepEqual(await names({}), ['Web', 'api', 'api-1', 'api_2', 'logs', 'web']);
        assert.deepEqual(await names({ limit: 2 }), ['Web', 'api']);
        assert.deepEqual(await names({ afterName: 'api-1' }), ['api_2', 'logs', 'web']);
        assert.deepEqual(await names({ schedulingStrategy: 'DAEMON' }), ['logs']);
        assert.deepEqual(await names({ schedulingStrategy: 'REPLICA', launchType: 'EC2', limit: 1 }), [
          'Web',
        ]);
        assert.deepEqual(await names({ launchType: 'FARGATE' }), []);
        assert.deepEqual(
          await store.services.countActive(['prod', 'other', 'none']),
          new Map([
            ['prod', 6],
            ['other', 1],
          ]),
        );
        assert.deepEqual(
          (await store.services.byCluster('prod')).map((s) => s.name),
          ['Web', 'api', 'api-1', 'api_2', 'logs', 'old', 'web'],
        );
        assert.deepEqual(
          (await store.services.byCluster('prod', ['DRAINING'])).map((s) => s.name),
          ['old'],
        );
        assert.deepEqual(await store.services.clusters(), ['other', 'prod']);
      }));

    it('lists deployments newest first, filtered by status and creation time, page by page', () =>
      withStore(async (store) => {
        let s = service('prod', 'web', { now: T0 });
        await store.services.insert(s);
        for (const [revision, at] of [
          [2, T0 + 1000],
          [3, T0 + 1000], // core makes it T0 + 1001: creation times increase within a service
          [4, T0 + 2000],
        ] as const) {
          s = deploy(s, revision, at);
          if (revision === 3) {
            // Stored as a tie anyway (the store must page ties deterministically: by ARN).
            s = {
              ...s,
              deployments: s.deployments.map((d) =>
                d.status === 'PRIMARY' ? { ...d, createdAt: T0 + 1000 } : d,
              ),
            };
          }
          assert.equal(await store.services.update(s), true);
        }
        const all = await store.services.listDeployments({ serviceArn: s.arn, limit: 100 });
        assert.deepEqual(
          all.map((d) => d.createdAt),
          [T0 + 2000, T0 + 1000, T0 + 1000, T0],
        );
        assert.ok(all[1]!.arn > all[2]!.arn, 'same time: ARN descending');
        const paged: string[] = [];
        let after: { createdAt: number; arn: string } | undefined;
        for (;;) {
          const page = await store.services.listDeployments({
            serviceArn: s.arn,
            limit: 1,
            ...(after ? { after } : {}),
          });
          if (page.length === 0) break;
          paged.push(page[0]!.arn);
          after = { createdAt: page[0]!.createdAt, arn: page[0]!.arn };
        }
        assert.deepEqual(
          paged,
          all.map((d) => d.arn),
        );
        assert.deepEqual(
          (
            await store.services.listDeployments({ serviceArn: s.arn, statuses: ['IN_PROGRESS'], limit: 10 })
          ).map((d) => d.createdAt),
          [T0 + 2000],
        );
        assert.equal(
          (await store.services.listDeployments({ serviceArn: s.arn, statuses: ['STOPPED'], limit: 10 }))
            .length,
          3,
        );
        assert.deepEqual(
          (
            await store.services.listDeployments({
              serviceArn: s.arn,
              createdAfter: T0 + 1000,
              createdBefore: T0 + 1000,
              limit: 10,
            })
          ).length,
          2,
        );
      }));
  });
}
