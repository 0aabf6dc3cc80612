import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { Migrator, sql } from 'kysely';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import type { ClusterRecord } from '../../src/core/ecs/cluster.js';
import type { ContainerInstanceRecord } from '../../src/core/ecs/container-instance.js';
import type { TaskRecord } from '../../src/core/ecs/task.js';
import { newTaskState } from '../../src/core/ecs/task-lifecycle.js';
import { buildTaskDefinition } from '../../src/core/ecs/task-definition/register.js';
import { openDatabase } from '../../src/store/dialect.js';
import { openStore, type Store } from '../../src/store/index.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import type { ListRevisionsQuery } from '../../src/store/task-definitions.js';
import { webWithSidecar } from '../support/fixtures.js';
import { testDialects, type TestDialect, type TestStoreLocation } from '../support/stores.js';

/**
 * The store's contract, as the rest of Berth relies on it, checked on every dialect: SQLite on a
 * temporary file, and PostgreSQL on a fresh database per test (BERTH_TEST_POSTGRES_URL, default
 * postgres://berth:berth@127.0.0.1:5432/berth_test; see test/support/stores.ts). When that server
 * is unreachable the PostgreSQL cases skip and say so, unless BERTH_TEST_REQUIRE_POSTGRES=1.
 */

const ACCOUNT = '123456789012';
const ADMIN = `arn:aws:iam::${ACCOUNT}:user/berth-admin`;
/** A timestamp past 2^32 seconds' worth of ms, with a non-zero millisecond part. */
const T0 = Date.UTC(2031, 4, 17, 9, 30, 15, 123);

const clusterArnOf = (name: string): string => `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${name}`;
const taskDefinitionArnOf = (family: string, revision: number): string =>
  `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:${revision}`;

function cluster(name: string, overrides: Partial<ClusterRecord> = {}): ClusterRecord {
  return {
    arn: clusterArnOf(name),
    name,
    status: 'ACTIVE',
    createdAt: T0,
    version: 1,
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
    ...overrides,
  };
}

/** Content for a family: the realistic web + sidecar definition, through ECS's defaults. */
function content(family: string, imageTag = '1.0'): ReturnType<typeof buildTaskDefinition> {
  // buildTaskDefinition validates family names; the store itself takes any family (e.g. 'a%c').
  return { ...buildTaskDefinition(webWithSidecar('placeholder', imageTag)), family };
}

function register(store: Pick<Store, 'taskDefinitions'>, family: string, now = T0): Promise<TaskDefinition> {
  return store.taskDefinitions.register(content(family), {
    arnOf: (revision) => taskDefinitionArnOf(family, revision),
    registeredBy: ADMIN,
    now,
  });
}

async function registerMany(store: Store, family: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await register(store, family);
}

/** Every ARN `listArns` yields for `q`, following the keyset `after` page by page. */
async function allPages(
  store: Store,
  q: Omit<ListRevisionsQuery, 'after' | 'limit'>,
  limit: number,
): Promise<string[]> {
  const arns: string[] = [];
  let after: ListRevisionsQuery['after'];
  for (;;) {
    const page = await store.taskDefinitions.listArns({ ...q, limit, ...(after ? { after } : {}) });
    arns.push(...page.map((r) => r.arn));
    const last = page[page.length - 1];
    if (page.length < limit || !last) return arns;
    after = { family: last.family, revision: last.revision };
  }
}

/** A registered instance of `clusterName` on `hostId`, with the id `id` (32 hex, padded). */
function instance(
  clusterName: string,
  id: string,
  hostId: string,
  overrides: Partial<ContainerInstanceRecord> = {},
): ContainerInstanceRecord {
  const fullId = id.padStart(32, '0');
  return {
    arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/${clusterName}/${fullId}`,
    id: fullId,
    cluster: clusterName,
    hostId,
    status: 'ACTIVE',
    agentConnected: false,
    registeredAt: T0,
    version: 1,
    registeredResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 2048, doubleValue: 0, longValue: 0 },
      {
        name: 'PORTS',
        type: 'STRINGSET',
        stringSetValue: ['22'],
        integerValue: 0,
        doubleValue: 0,
        longValue: 0,
      },
    ],
    remainingResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 1024, doubleValue: 0, longValue: 0 },
      {
        name: 'PORTS',
        type: 'STRINGSET',
        stringSetValue: ['22', '8080'],
        integerValue: 0,
        doubleValue: 0,
        longValue: 0,
      },
    ],
    versionInfo: { agentVersion: '1.89.0', dockerVersion: '25.0.3' },
    platformDevices: [],
    ...overrides,
  };
}

function task(clusterName: string, id: string, overrides: Partial<TaskRecord> = {}): TaskRecord {
  const fullId = id.padStart(32, '0');
  return {
    arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task/${clusterName}/${fullId}`,
    id: fullId,
    cluster: clusterName,
    containerInstanceArn: instance(clusterName, 'a', 'i-a').arn,
    taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/web:1`,
    family: 'web',
    group: 'family:web',
    launchType: 'EC2',
    createdAt: T0,
    version: 1,
    state: newTaskState([{ name: 'app', essential: true, hasHealthCheck: false }], {
      provision: false,
      activate: false,
    }),
    containers: [{ name: 'app', arn: 'arn:container', image: 'busybox', cpu: 128, memory: 256 }],
    overrides: { containerOverrides: [{ name: 'app', command: ['echo'] }] },
    demand: { cpu: 128, memory: 256, tcpPorts: [8080], udpPorts: [], requiredAttributes: [] },
    cpu: '128',
    memory: '256',
    ...overrides,
  };
}

const byteOrder = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

for (const dialect of await testDialects()) {
  describe(`store contract on ${dialect.kind}`, { skip: dialect.skip }, () => {
    /** Runs `work` on a store over a fresh, empty database, then closes and removes it. */
    async function withStore(work: (store: Store, where: TestStoreLocation) => Promise<void>): Promise<void> {
      const where = await dialect.fresh();
      try {
        const store = await openStore(where.location);
        try {
          assert.equal(store.kind, dialect.kind);
          await work(store, where);
        } finally {
          await store.close();
        }
      } finally {
        await where.dispose();
      }
    }

    describe('migrations', () => {
      it('apply on an empty database and re-running them is a no-op', () =>
        withStoreLocation(dialect, async (where) => {
          const { db } = await openDatabase(where.location);
          try {
            const tables = (await db.introspection.getTables()).map((t) => t.name);
            for (const table of [
              'clusters',
              'task_definitions',
              'task_definition_families',
              'resource_tags',
              'account_settings',
              'access_keys',
              'container_instances',
              'container_instance_attributes',
              'tasks',
              'run_task_tokens',
            ]) {
              assert.ok(
                tables.includes(table),
                `table ${table} exists after migrating (${tables.join(', ')})`,
              );
            }
            const provider = migrationProvider(dialect.kind);
            const migrator = new Migrator({ db, provider });
            const known = Object.keys(await provider.getMigrations()).sort();
            const applied = (await migrator.getMigrations()).filter((m) => m.executedAt).map((m) => m.name);
            assert.deepEqual(applied, known, 'every migration is applied');
            const again = await migrator.migrateToLatest();
            assert.equal(again.error, undefined);
            assert.deepEqual(again.results, [], 'nothing left to apply');
          } finally {
            await db.destroy();
          }
          // Opening the store again (every start-up migrates) keeps the data and applies nothing.
          const first = await openStore(where.location);
          await first.clusters.insert(cluster('kept'));
          await first.close();
          const second = await openStore(where.location);
          try {
            assert.equal((await second.clusters.byName('kept'))?.name, 'kept');
          } finally {
            await second.close();
          }
        }));

      it('stores started at the same moment by separate processes on an empty database all come up migrated', () =>
        withStoreLocation(dialect, async (where) => {
          // Separate processes, as replicas (PG) or a second `berth` on one data dir (SQLite) would be:
          // better-sqlite3 is synchronous, so two connections in one process cannot wait for each other.
          const outputs = await Promise.all(
            Array.from({ length: 4 }, () => openInChildProcess(where.location)),
          );
          assert.deepEqual(outputs, ['opened', 'opened', 'opened', 'opened']);
          const { db } = await openDatabase(where.location);
          try {
            const provider = migrationProvider(dialect.kind);
            const applied = (await new Migrator({ db, provider }).getMigrations()).filter(
              (m) => m.executedAt,
            );
            assert.equal(applied.length, Object.keys(await provider.getMigrations()).length);
          } finally {
            await db.destroy();
          }
          const store = await openStore(where.location);
          try {
            await store.clusters.insert(cluster('after-race'));
            assert.equal((await store.clusters.byName('after-race'))?.version, 1);
          } finally {
            await store.close();
          }
        }));
    });

    describe('clusters', () => {
      it('insert, then byName returns the record as written', () =>
        withStore(async (store) => {
          const record = cluster('web-prod', {
            settings: [{ name: 'containerInsights', value: 'enhanced' }],
            capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
            defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 2 }],
            configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } },
            serviceConnectDefaults: {
              namespace: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1',
            },
          });
          await store.clusters.insert(record);
          const found = await store.clusters.byName('web-prod');
          assert.deepEqual(found, record);
          assert.equal(typeof found?.createdAt, 'number');
          assert.equal(found?.createdAt, T0, 'created_at keeps its milliseconds');
          assert.equal(await store.clusters.byName('missing'), undefined);
          assert.equal(await store.clusters.byName('WEB-PROD'), undefined, 'names are case-sensitive');
        }));

      it('a second cluster with the same name or ARN is refused', () =>
        withStore(async (store) => {
          await store.clusters.insert(cluster('dup'));
          await assert.rejects(store.clusters.insert(cluster('dup')));
          await assert.rejects(store.clusters.insert({ ...cluster('other'), arn: clusterArnOf('dup') }));
          assert.equal((await store.clusters.byName('other')) ?? 'absent', 'absent');
        }));

      it('byNames returns the clusters that exist, whatever their status', () =>
        withStore(async (store) => {
          await store.clusters.insert(cluster('a'));
          await store.clusters.insert(cluster('b', { status: 'INACTIVE' }));
          await store.clusters.insert(cluster('c'));
          const found = await store.clusters.byNames(['c', 'missing', 'b']);
          assert.deepEqual(found.map((c) => c.name).sort(), ['b', 'c']);
          assert.deepEqual(await store.clusters.byNames([]), []);
        }));

      it('listActive: ACTIVE clusters only, in byte order of name, keyset-paginated', () =>
        withStore(async (store) => {
          const names = [
            'beta',
            'Alpha',
            'alpha',
            'alpha-2',
            'alpha_2',
            'a',
            'Zulu',
            'zulu',
            '0ops',
            'alpha-10',
          ];
          for (const name of names) await store.clusters.insert(cluster(name));
          await store.clusters.insert(cluster('alpha-gone', { status: 'INACTIVE' }));
          const expected = [...names].sort(byteOrder);

          const all = await store.clusters.listActive(undefined, 100);
          assert.deepEqual(
            all.map((c) => c.name),
            expected,
          );

          const paged: string[] = [];
          let after: string | undefined;
          for (;;) {
            const page = await store.clusters.listActive(after, 3);
            paged.push(...page.map((c) => c.name));
            if (page.length < 3) break;
            after = page[page.length - 1]!.name;
          }
          assert.deepEqual(paged, expected, 'pages of 3 concatenate to the full list, no repeats or gaps');
          assert.deepEqual(
            (await store.clusters.listActive('alpha', 2)).map((c) => c.name),
            expected.slice(expected.indexOf('alpha') + 1, expected.indexOf('alpha') + 3),
          );
          assert.deepEqual(await store.clusters.listActive('zzz', 10), []);
        }));

      it('update writes only when the stored version is the one read (optimistic concurrency)', () =>
        withStore(async (store) => {
          const v1 = cluster('optimistic');
          await store.clusters.insert(v1);
          const v2: ClusterRecord = {
            ...v1,
            version: 2,
            settings: [{ name: 'containerInsights', value: 'enabled' }],
          };
          assert.equal(await store.clusters.update(v2), true);
          assert.deepEqual(await store.clusters.byName('optimistic'), v2);

          // A writer that also read version 1 loses: nothing changes.
          const stale: ClusterRecord = { ...v1, version: 2, capacityProviders: ['FARGATE'] };
          assert.equal(await store.clusters.update(stale), false);
          assert.deepEqual(await store.clusters.byName('optimistic'), v2);
          // Neither does skipping a version, nor updating a cluster that does not exist.
          assert.equal(await store.clusters.update({ ...v2, version: 4 }), false);
          assert.equal(await store.clusters.update(cluster('ghost', { version: 2 })), false);
          assert.deepEqual(await store.clusters.byName('optimistic'), v2);

          const v3: ClusterRecord = { ...v2, version: 3, status: 'INACTIVE' };
          assert.equal(await store.clusters.update(v3), true);
          assert.deepEqual(await store.clusters.byName('optimistic'), v3, 'INACTIVE clusters stay readable');
          assert.deepEqual(await store.clusters.listActive(undefined, 10), []);
        }));

      it('concurrent updates from the same version: exactly one wins', () =>
        withStore(async (store) => {
          await store.clusters.insert(cluster('raced'));
          const outcomes = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              store.clusters.update(
                cluster('raced', { version: 2, capacityProviders: i % 2 ? ['FARGATE'] : [] }),
              ),
            ),
          );
          assert.equal(outcomes.filter(Boolean).length, 1);
          assert.equal((await store.clusters.byName('raced'))?.version, 2);
        }));
    });

    describe('task definitions', () => {
      it('register hands out revisions 1, 2, 3 per family and returns what get reads back', () =>
        withStore(async (store) => {
          const first = await register(store, 'web', T0);
          const second = await register(store, 'web', T0 + 1);
          const other = await register(store, 'worker', T0 + 2);
          const third = await register(store, 'web', T0 + 3);
          assert.deepEqual(
            [first, second, third].map((t) => t.revision),
            [1, 2, 3],
          );
          assert.equal(other.revision, 1, 'each family counts on its own');
          assert.equal(third.taskDefinitionArn, taskDefinitionArnOf('web', 3));
          assert.equal(third.status, 'ACTIVE');
          assert.equal(third.registeredBy, ADMIN);
          assert.ok(third.registeredAt instanceof Date);
          assert.equal(third.registeredAt.getTime(), T0 + 3);
          assert.equal(third.deregisteredAt, undefined);

          const read = await store.taskDefinitions.get({ family: 'web', revision: 3 });
          assert.deepEqual(read, third, 'the stored revision reads back exactly as registered');
          assert.equal(read?.containerDefinitions?.length, 2);
          assert.equal(await store.taskDefinitions.get({ family: 'web', revision: 4 }), undefined);
          assert.equal(await store.taskDefinitions.get({ family: 'nope', revision: 1 }), undefined);
        }));

      it('setStatus stamps deregistration and deletion; revisions are never reused', () =>
        withStore(async (store) => {
          await registerMany(store, 'api', 3);
          const inactive = await store.taskDefinitions.setStatus(
            { family: 'api', revision: 3 },
            'INACTIVE',
            T0 + 10,
          );
          assert.equal(inactive?.status, 'INACTIVE');
          assert.equal(inactive?.deregisteredAt?.getTime(), T0 + 10);
          const deleting = await store.taskDefinitions.setStatus(
            { family: 'api', revision: 3 },
            'DELETE_IN_PROGRESS',
            T0 + 20,
          );
          assert.equal(deleting?.status, 'DELETE_IN_PROGRESS');
          assert.equal(deleting?.deleteRequestedAt?.getTime(), T0 + 20);
          assert.equal(deleting?.deregisteredAt?.getTime(), T0 + 10, 'deregisteredAt is kept');

          assert.equal((await register(store, 'api')).revision, 4, 'revision 3 is not handed out again');
          assert.equal(
            await store.taskDefinitions.setStatus({ family: 'api', revision: 99 }, 'INACTIVE', T0),
            undefined,
          );
        }));

      it('a registration rolled back with its transaction leaves no gap', () =>
        withStore(async (store) => {
          await register(store, 'rolled');
          await assert.rejects(
            store.transaction(async (repos) => {
              assert.equal((await register(repos, 'rolled')).revision, 2);
              throw new Error('tagging failed');
            }),
            /tagging failed/,
          );
          assert.equal(await store.taskDefinitions.get({ family: 'rolled', revision: 2 }), undefined);
          assert.equal((await register(store, 'rolled')).revision, 2);
        }));

      it('50 concurrent registrations of one family get exactly revisions 1..50', () =>
        withStore(async (store) => {
          const results = await Promise.all(
            Array.from({ length: 50 }, (_, i) => register(store, i % 5 === 4 ? 'crowd-other' : 'crowd')),
          );
          const revisions = (family: string): number[] =>
            results
              .filter((t) => t.family === family)
              .map((t) => t.revision!)
              .sort((a, b) => a - b);
          assert.deepEqual(
            revisions('crowd'),
            Array.from({ length: 40 }, (_, i) => i + 1),
          );
          assert.deepEqual(
            revisions('crowd-other'),
            Array.from({ length: 10 }, (_, i) => i + 1),
          );
          for (const t of results)
            assert.equal(t.taskDefinitionArn, taskDefinitionArnOf(t.family!, t.revision!));
          const stored = await allPages(
            store,
            { familyPrefix: 'crowd', status: 'ACTIVE', descending: false },
            100,
          );
          assert.equal(stored.length, 50);
          assert.equal(new Set(stored).size, 50);

          const solo = await Promise.all(Array.from({ length: 50 }, () => register(store, 'solo')));
          assert.deepEqual(
            solo.map((t) => t.revision).sort((a, b) => a! - b!),
            Array.from({ length: 50 }, (_, i) => i + 1),
          );
          assert.equal((await register(store, 'solo')).revision, 51);
        }));

      it('latestActive is the newest ACTIVE revision, skipping INACTIVE ones', () =>
        withStore(async (store) => {
          await registerMany(store, 'svc', 12);
          assert.equal((await store.taskDefinitions.latestActive('svc'))?.revision, 12);
          await store.taskDefinitions.setStatus({ family: 'svc', revision: 12 }, 'INACTIVE', T0);
          await store.taskDefinitions.setStatus({ family: 'svc', revision: 11 }, 'INACTIVE', T0);
          await store.taskDefinitions.setStatus({ family: 'svc', revision: 11 }, 'DELETE_IN_PROGRESS', T0);
          assert.equal((await store.taskDefinitions.latestActive('svc'))?.revision, 10);
          for (let r = 1; r <= 10; r++) {
            await store.taskDefinitions.setStatus({ family: 'svc', revision: r }, 'INACTIVE', T0);
          }
          assert.equal(await store.taskDefinitions.latestActive('svc'), undefined);
          assert.equal(await store.taskDefinitions.latestActive('none'), undefined);
        }));

      it('listArns orders by family (byte order) then revision (numerically), both ways, with keyset after', () =>
        withStore(async (store) => {
          const counts: Record<string, number> = { beta: 2, alpha: 11, Alpha: 1, 'alpha-x': 1, alpha_x: 1 };
          for (const [family, n] of Object.entries(counts)) await registerMany(store, family, n);
          await store.taskDefinitions.setStatus({ family: 'alpha', revision: 5 }, 'INACTIVE', T0);

          const ascending = Object.keys(counts)
            .sort(byteOrder)
            .flatMap((family) =>
              Array.from({ length: counts[family]! }, (_, i) => i + 1)
                .filter((r) => !(family === 'alpha' && r === 5))
                .map((r) => taskDefinitionArnOf(family, r)),
            );
          const asc = await store.taskDefinitions.listArns({
            status: 'ACTIVE',
            descending: false,
            limit: 100,
          });
          assert.deepEqual(
            asc.map((r) => r.arn),
            ascending,
          );
          assert.deepEqual(asc[0], { arn: taskDefinitionArnOf('Alpha', 1), family: 'Alpha', revision: 1 });
          const desc = await store.taskDefinitions.listArns({
            status: 'ACTIVE',
            descending: true,
            limit: 100,
          });
          assert.deepEqual(
            desc.map((r) => r.arn),
            [...ascending].reverse(),
          );

          for (const limit of [1, 3, 4]) {
            assert.deepEqual(
              await allPages(store, { status: 'ACTIVE', descending: false }, limit),
              ascending,
            );
            assert.deepEqual(
              await allPages(store, { status: 'ACTIVE', descending: true }, limit),
              [...ascending].reverse(),
            );
          }
          // `after` need not be a row that is listed (e.g. it became INACTIVE meanwhile).
          const afterFive = await store.taskDefinitions.listArns({
            status: 'ACTIVE',
            descending: false,
            limit: 2,
            after: { family: 'alpha', revision: 5 },
          });
          assert.deepEqual(
            afterFive.map((r) => r.revision),
            [6, 7],
          );
          const beforeFive = await store.taskDefinitions.listArns({
            status: 'ACTIVE',
            descending: true,
            limit: 2,
            after: { family: 'alpha', revision: 5 },
          });
          assert.deepEqual(
            beforeFive.map((r) => r.revision),
            [4, 3],
          );

          const inactive = await store.taskDefinitions.listArns({
            status: 'INACTIVE',
            descending: false,
            limit: 10,
          });
          assert.deepEqual(
            inactive.map((r) => r.arn),
            [taskDefinitionArnOf('alpha', 5)],
          );
        }));

      it('familyPrefix matches literally: _ and % are not wildcards, case matters', () =>
        withStore(async (store) => {
          const families = [
            'a_b',
            'a_bc',
            'axb',
            'a%c',
            'abc',
            'a%',
            'ab',
            'Web-x',
            'web-y',
            'web',
            'webz',
            'wex',
          ];
          for (const family of families) await register(store, family);
          const listed = async (familyPrefix: string): Promise<string[]> =>
            (
              await store.taskDefinitions.listArns({
                familyPrefix,
                status: 'ACTIVE',
                descending: false,
                limit: 100,
              })
            ).map((r) => r.family);
          assert.deepEqual(await listed('a_'), ['a_b', 'a_bc']);
          assert.deepEqual(await listed('a_b'), ['a_b', 'a_bc']);
          assert.deepEqual(await listed('a%'), ['a%', 'a%c']);
          assert.deepEqual(await listed('%'), []);
          assert.deepEqual(await listed('_'), []);
          assert.deepEqual(await listed('web'), ['web', 'web-y', 'webz']);
          assert.deepEqual(await listed('Web'), ['Web-x']);
          assert.deepEqual(await listed('webz'), ['webz']);
          assert.deepEqual(await listed('nothing'), []);
          const familiesWith = async (familyPrefix: string): Promise<string[]> =>
            store.taskDefinitions.listFamilies({ familyPrefix, status: 'ALL', limit: 100 });
          assert.deepEqual(await familiesWith('a_'), ['a_b', 'a_bc']);
          assert.deepEqual(await familiesWith('a%'), ['a%', 'a%c']);
          assert.deepEqual(await familiesWith('we'), ['web', 'web-y', 'webz', 'wex']);
        }));

      it('listFamilies: ACTIVE, INACTIVE and ALL, in byte order, keyset-paginated', () =>
        withStore(async (store) => {
          await registerMany(store, 'f-active', 2);
          await registerMany(store, 'f-mixed', 2);
          await store.taskDefinitions.setStatus({ family: 'f-mixed', revision: 2 }, 'INACTIVE', T0);
          await registerMany(store, 'f-inactive', 2);
          await registerMany(store, 'F-deleting', 1);
          for (const revision of [1, 2]) {
            await store.taskDefinitions.setStatus({ family: 'f-inactive', revision }, 'INACTIVE', T0);
          }
          await store.taskDefinitions.setStatus({ family: 'F-deleting', revision: 1 }, 'INACTIVE', T0);
          await store.taskDefinitions.setStatus(
            { family: 'F-deleting', revision: 1 },
            'DELETE_IN_PROGRESS',
            T0,
          );
          await registerMany(store, 'g-active', 1);

          const list = (
            status: 'ACTIVE' | 'INACTIVE' | 'ALL',
            extra: { after?: string; familyPrefix?: string } = {},
          ) => store.taskDefinitions.listFamilies({ status, limit: 100, ...extra });
          assert.deepEqual(await list('ACTIVE'), ['f-active', 'f-mixed', 'g-active']);
          assert.deepEqual(await list('INACTIVE'), ['F-deleting', 'f-inactive']);
          assert.deepEqual(await list('ALL'), [
            'F-deleting',
            'f-active',
            'f-inactive',
            'f-mixed',
            'g-active',
          ]);
          assert.deepEqual(await list('ALL', { familyPrefix: 'f-' }), ['f-active', 'f-inactive', 'f-mixed']);
          assert.deepEqual(await list('ACTIVE', { after: 'f-active' }), ['f-mixed', 'g-active']);
          assert.deepEqual(await list('ALL', { after: 'f-inactive', familyPrefix: 'f' }), ['f-mixed']);

          const paged: string[] = [];
          let after: string | undefined;
          for (;;) {
            const page = await store.taskDefinitions.listFamilies({
              status: 'ALL',
              limit: 2,
              ...(after !== undefined ? { after } : {}),
            });
            paged.push(...page);
            if (page.length < 2) break;
            after = page[page.length - 1];
          }
          assert.deepEqual(paged, await list('ALL'));
        }));
    });

    describe('tags', () => {
      it('replace sets the whole tag set; list returns it in byte order of key', () =>
        withStore(async (store) => {
          const arn = clusterArnOf('tagged');
          const other = clusterArnOf('other');
          assert.deepEqual(await store.tags.list(arn), []);
          await store.tags.replace(arn, [
            { key: 'team', value: 'web' },
            { key: 'Team', value: 'Web' },
            { key: 'empty', value: '' },
            { key: 'cost-center', value: 'ü 42 ✓' },
          ]);
          await store.tags.replace(other, [{ key: 'x', value: 'y' }]);
          assert.deepEqual(await store.tags.list(arn), [
            { key: 'Team', value: 'Web' },
            { key: 'cost-center', value: 'ü 42 ✓' },
            { key: 'empty', value: '' },
            { key: 'team', value: 'web' },
          ]);
          await store.tags.replace(arn, [{ key: 'team', value: 'api' }]);
          assert.deepEqual(await store.tags.list(arn), [{ key: 'team', value: 'api' }]);
          await store.tags.replace(arn, []);
          assert.deepEqual(await store.tags.list(arn), []);
          assert.deepEqual(await store.tags.list(other), [{ key: 'x', value: 'y' }]);
        }));
      it('concurrent read-merge-write transactions on one resource keep every tag (TagResource, UntagResource)', () =>
        withStore(async (store) => {
          const arn = clusterArnOf('busy');
          await store.tags.replace(arn, [
            { key: 'base', value: '0' },
            { key: 'gone', value: 'x' },
          ]);
          // What TagResource and UntagResource do: read the set, change it, write it back, in one transaction.
          const tag = (key: string): Promise<void> =>
            store.transaction(async (repos) => {
              const current = await repos.tags.list(arn);
              await repos.tags.replace(arn, [...current, { key, value: key }]);
            });
          const untag = (key: string): Promise<void> =>
            store.transaction(async (repos) => {
              const current = await repos.tags.list(arn);
              await repos.tags.replace(
                arn,
                current.filter((t) => t.key !== key),
              );
            });
          const keys = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`);
          await Promise.all([...keys.map(tag), untag('gone')]);
          assert.deepEqual(
            (await store.tags.list(arn)).map((t) => t.key),
            ['base', ...keys],
          );
          // And plain replaces racing each other leave exactly one of the sets, never a mix or an error.
          const sets = Array.from({ length: 10 }, (_, i) => [
            { key: 'a', value: String(i) },
            { key: `only-${i}`, value: String(i) },
          ]);
          await Promise.all(sets.map((set) => store.tags.replace(arn, set)));
          const final = await store.tags.list(arn);
          assert.ok(
            sets.some((set) => JSON.stringify(set) === JSON.stringify(final)),
            JSON.stringify(final),
          );
        }));
    });

    describe('account settings', () => {
      it('put upserts, remove reports whether it removed, forPrincipals reads several principals', () =>
        withStore(async (store) => {
          const root = `arn:aws:iam::${ACCOUNT}:root`;
          await store.accountSettings.put({
            principalArn: root,
            name: 'containerInsights',
            value: 'disabled',
          });
          await store.accountSettings.put({
            principalArn: ADMIN,
            name: 'taskLongArnFormat',
            value: 'enabled',
          });
          await store.accountSettings.put({
            principalArn: ADMIN,
            name: 'containerInsights',
            value: 'enabled',
          });
          await store.accountSettings.put({
            principalArn: ADMIN,
            name: 'containerInsights',
            value: 'enhanced',
          });

          assert.deepEqual(await store.accountSettings.forPrincipals([ADMIN]), [
            { principalArn: ADMIN, name: 'containerInsights', value: 'enhanced' },
            { principalArn: ADMIN, name: 'taskLongArnFormat', value: 'enabled' },
          ]);
          const both = await store.accountSettings.forPrincipals([ADMIN, root]);
          assert.equal(both.length, 3);
          assert.deepEqual(
            both.map((s) => s.name),
            ['containerInsights', 'containerInsights', 'taskLongArnFormat'],
          );
          assert.deepEqual(await store.accountSettings.forPrincipals([]), []);

          assert.equal(await store.accountSettings.remove(ADMIN, 'containerInsights'), true);
          assert.equal(await store.accountSettings.remove(ADMIN, 'containerInsights'), false);
          assert.deepEqual(
            (await store.accountSettings.forPrincipals([ADMIN, root])).map((s) => [s.principalArn, s.name]),
            [
              [root, 'containerInsights'],
              [ADMIN, 'taskLongArnFormat'],
            ],
          );
        }));
    });

    describe('access keys', () => {
      it('insert, find and firstFor (the oldest long-term key of a principal)', () =>
        withStore(async (store) => {
          const expiresAt = T0 + 3_600_000 + 7;
          await store.accessKeys.insert(
            {
              accessKeyId: 'ASIATEMP',
              secretAccessKey: 's0',
              principalArn: ADMIN,
              sessionToken: 'tok',
              expiresAt,
            },
            T0 - 1000,
          );
          await store.accessKeys.insert(
            { accessKeyId: 'AKIASECOND', secretAccessKey: 's2', principalArn: ADMIN },
            T0 + 1,
          );
          await store.accessKeys.insert(
            { accessKeyId: 'AKIAFIRST', secretAccessKey: 's1', principalArn: ADMIN },
            T0,
          );

          const temp = await store.accessKeys.find('ASIATEMP');
          assert.deepEqual(temp, {
            accessKeyId: 'ASIATEMP',
            secretAccessKey: 's0',
            principalArn: ADMIN,
            sessionToken: 'tok',
            expiresAt,
          });
          assert.equal(typeof temp?.expiresAt, 'number');
          assert.deepEqual(await store.accessKeys.find('AKIAFIRST'), {
            accessKeyId: 'AKIAFIRST',
            secretAccessKey: 's1',
            principalArn: ADMIN,
          });
          assert.equal(await store.accessKeys.find('AKIANONE'), undefined);
          assert.equal(await store.accessKeys.find('akiafirst'), undefined, 'key ids are case-sensitive');

          assert.equal((await store.accessKeys.firstFor(ADMIN))?.accessKeyId, 'AKIAFIRST');
          assert.equal(await store.accessKeys.firstFor(`arn:aws:iam::${ACCOUNT}:user/nobody`), undefined);
          await assert.rejects(
            store.accessKeys.insert(
              { accessKeyId: 'AKIAFIRST', secretAccessKey: 'x', principalArn: ADMIN },
              T0,
            ),
          );
        }));
    });

    describe('container instances', () => {
      it('insert, then byArn and byIds return the record as written', () =>
        withStore(async (store) => {
          const record = instance('web', 'a1', 'i-0aaa', {
            agentConnected: true,
            statusReason: 'checked',
            platformDevices: [{ id: 'gpu-0', type: 'GPU' }],
          });
          await store.containerInstances.insert(record);
          assert.deepEqual(await store.containerInstances.byArn(record.arn), record);
          assert.equal((await store.containerInstances.byArn(record.arn))?.registeredAt, T0);
          assert.deepEqual(await store.containerInstances.byIds('web', [record.id, 'missing', record.id]), [
            record,
          ]);
          assert.deepEqual(
            await store.containerInstances.byIds('other', [record.id]),
            [],
            'ids are per cluster',
          );
          assert.deepEqual(await store.containerInstances.byIds('web', []), []);
          assert.equal(await store.containerInstances.byArn(`${record.arn}x`), undefined);
        }));

      it('one registered instance per host; a deregistered host can register again', () =>
        withStore(async (store) => {
          const first = instance('web', 'a1', 'i-0aaa');
          await store.containerInstances.insert(first);
          await assert.rejects(store.containerInstances.insert(instance('web', 'a2', 'i-0aaa')));
          await assert.rejects(store.containerInstances.insert(instance('other', 'a3', 'i-0aaa')));
          await assert.rejects(
            store.containerInstances.insert({ ...instance('web', 'a4', 'i-0bbb'), arn: first.arn }),
          );
          assert.deepEqual(await store.containerInstances.registeredOnHost('i-0aaa'), first);

          assert.equal(
            await store.containerInstances.update({ ...first, status: 'INACTIVE', version: 2 }),
            true,
          );
          assert.equal(await store.containerInstances.registeredOnHost('i-0aaa'), undefined);
          const second = instance('web', 'a5', 'i-0aaa');
          await store.containerInstances.insert(second);
          assert.deepEqual(await store.containerInstances.registeredOnHost('i-0aaa'), second);
          await assert.rejects(store.containerInstances.insert(instance('web', 'a6', 'i-0aaa')));
        }));

      it('update writes only when the stored version is the one read', () =>
        withStore(async (store) => {
          const v1 = instance('web', 'a1', 'i-0aaa');
          await store.containerInstances.insert(v1);
          const v2: ContainerInstanceRecord = { ...v1, status: 'DRAINING', version: 2 };
          assert.equal(await store.containerInstances.update(v2), true);
          assert.equal(
            await store.containerInstances.update({ ...v1, version: 2, agentConnected: true }),
            false,
          );
          assert.equal(await store.containerInstances.update({ ...v2, version: 4 }), false);
          assert.deepEqual(await store.containerInstances.byArn(v1.arn), v2);
          const outcomes = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              store.containerInstances.update({ ...v2, version: 3, status: i % 2 ? 'ACTIVE' : 'DRAINING' }),
            ),
          );
          assert.equal(outcomes.filter(Boolean).length, 1, 'concurrent writers from one version: one wins');
        }));

      it('list: by status (every one but INACTIVE by default), in id order, keyset-paginated; attributesOf', () =>
        withStore(async (store) => {
          const ids = ['b', 'A', 'a', '9', 'c0', 'c', 'f', '1'];
          for (const [i, id] of ids.entries()) {
            await store.containerInstances.insert(
              instance('web', id, `i-${i}`, {
                status: i === 2 ? 'DRAINING' : i === 5 ? 'INACTIVE' : 'ACTIVE',
              }),
            );
          }
          await store.containerInstances.insert(instance('other', 'e', 'i-other'));
          const idOf = (r: ContainerInstanceRecord): string => r.id.replace(/^0+/, '');
          const registered = ids
            .filter((_, i) => i !== 5)
            .map((id) => id.padStart(32, '0'))
            .sort(byteOrder)
            .map((id) => id.replace(/^0+/, ''));
          const all = await store.containerInstances.list({ cluster: 'web', limit: 100 });
          assert.deepEqual(all.map(idOf), registered);
          const paged: string[] = [];
          let afterId: string | undefined;
          for (;;) {
            const page = await store.containerInstances.list({
              cluster: 'web',
              limit: 3,
              ...(afterId ? { afterId } : {}),
            });
            paged.push(...page.map(idOf));
            if (page.length < 3) break;
            afterId = page[page.length - 1]!.id;
          }
          assert.deepEqual(paged, registered);
          assert.deepEqual(
            (await store.containerInstances.list({ cluster: 'web', status: 'DRAINING', limit: 10 })).map(
              idOf,
            ),
            ['a'],
          );
          assert.deepEqual(
            (await store.containerInstances.list({ cluster: 'web', status: 'INACTIVE', limit: 10 })).map(
              idOf,
            ),
            ['c'],
          );

          const arnOf = (id: string): string => instance('web', id, '').arn;
          await store.containerInstances.putAttributes(arnOf('b'), [
            { name: 'EBS', value: 'io1' },
            { name: 'ssd' },
          ]);
          await store.containerInstances.putAttributes(arnOf('f'), [{ name: 'EBS', value: 'gp3' }]);
          await store.containerInstances.putAttributes(arnOf('c'), [{ name: 'EBS', value: 'io1' }]);
          const attributes = await store.containerInstances.attributesOf([
            arnOf('b'),
            arnOf('f'),
            arnOf('a'),
          ]);
          assert.deepEqual(attributes.get(arnOf('b')), [{ name: 'EBS', value: 'io1' }, { name: 'ssd' }]);
          assert.deepEqual(attributes.get(arnOf('f')), [{ name: 'EBS', value: 'gp3' }]);
          assert.deepEqual(attributes.get(arnOf('a')), [], 'an instance without attributes has none');

          assert.deepEqual(
            await store.containerInstances.countRegistered(['web', 'other', 'none']),
            new Map([
              ['web', 7],
              ['other', 1],
            ]),
          );
          assert.deepEqual(await store.containerInstances.countRegistered([]), new Map());
        }));

      it('attributes: put (upsert), delete, replace, attributesOf and listAttributes with keyset pages', () =>
        withStore(async (store) => {
          const a = instance('web', 'a', 'i-a');
          const b = instance('web', 'b', 'i-b');
          const gone = instance('web', 'c', 'i-c', { status: 'INACTIVE' });
          for (const r of [a, b, gone]) await store.containerInstances.insert(r);
          await store.containerInstances.insert(instance('other', 'd', 'i-d'));
          await store.containerInstances.putAttributes(a.arn, [
            { name: 'ecs.os-type', value: 'linux' },
            { name: 'EBS', value: 'io1' },
            { name: 'com.amazonaws.ecs.capability.privileged-container' },
          ]);
          await store.containerInstances.putAttributes(a.arn, [{ name: 'EBS', value: 'gp3' }]);
          await store.containerInstances.putAttributes(b.arn, [
            { name: 'EBS', value: 'io1' },
            { name: 'Zone', value: 'x' },
          ]);
          await store.containerInstances.putAttributes(gone.arn, [{ name: 'EBS', value: 'io1' }]);
          await store.containerInstances.putAttributes(instance('other', 'd', '').arn, [
            { name: 'EBS', value: 'io1' },
          ]);

          const of = await store.containerInstances.attributesOf([a.arn, b.arn, 'arn:none']);
          assert.deepEqual(of.get(a.arn), [
            { name: 'EBS', value: 'gp3' },
            { name: 'com.amazonaws.ecs.capability.privileged-container' },
            { name: 'ecs.os-type', value: 'linux' },
          ]);
          assert.deepEqual(of.get('arn:none'), []);

          const listed = await store.containerInstances.listAttributes({ cluster: 'web', limit: 100 });
          assert.deepEqual(
            listed.map((x) => [x.instanceArn === a.arn ? 'a' : 'b', x.name, x.value]),
            [
              ['a', 'EBS', 'gp3'],
              ['a', 'com.amazonaws.ecs.capability.privileged-container', undefined],
              ['a', 'ecs.os-type', 'linux'],
              ['b', 'EBS', 'io1'],
              ['b', 'Zone', 'x'],
            ],
            'registered instances of the cluster only, in (instance, name) byte order',
          );
          const paged = [];
          let after: { instanceArn: string; name: string } | undefined;
          for (;;) {
            const page = await store.containerInstances.listAttributes({
              cluster: 'web',
              limit: 2,
              ...(after ? { after } : {}),
            });
            paged.push(...page);
            const last = page[page.length - 1];
            if (page.length < 2 || !last) break;
            after = { instanceArn: last.instanceArn, name: last.name };
          }
          assert.deepEqual(paged, listed);
          assert.deepEqual(
            (
              await store.containerInstances.listAttributes({
                cluster: 'web',
                name: 'EBS',
                value: 'io1',
                limit: 10,
              })
            ).map((x) => x.instanceArn),
            [b.arn],
          );

          await store.containerInstances.deleteAttributes(a.arn, ['EBS', 'absent']);
          await store.containerInstances.replaceAttributes(b.arn, [{ name: 'rack', value: 'r1' }]);
          const after2 = await store.containerInstances.attributesOf([a.arn, b.arn]);
          assert.deepEqual(
            after2.get(a.arn)?.map((x) => x.name),
            ['com.amazonaws.ecs.capability.privileged-container', 'ecs.os-type'],
          );
          assert.deepEqual(after2.get(b.arn), [{ name: 'rack', value: 'r1' }]);
        }));

      it('attribute changes roll back with their transaction', () =>
        withStore(async (store) => {
          const a = instance('web', 'a', 'i-a');
          await store.containerInstances.insert(a);
          await assert.rejects(
            store.transaction(async (repos) => {
              await repos.containerInstances.putAttributes(a.arn, [{ name: 'EBS', value: 'io1' }]);
              await repos.containerInstances.insert(instance('web', 'b', 'i-b'));
              throw new Error('limit exceeded');
            }),
            /limit exceeded/,
          );
          assert.deepEqual((await store.containerInstances.attributesOf([a.arn])).get(a.arn), []);
          assert.equal(await store.containerInstances.registeredOnHost('i-b'), undefined);
        }));
    });

    describe('tasks', () => {
      it('inserts, reads back by ARN and id, and updates with a version check', () =>
        withStore(async (store) => {
          const a = task('web', 'a', { startedBy: 'me', clientToken: 't1', referenceId: 'r' });
          await store.tasks.insert([a, task('other', 'a')]);
          assert.deepEqual(await store.tasks.byArn(a.arn), a);
          assert.deepEqual(await store.tasks.byIds('web', [a.id, 'missing']), [a]);
          assert.deepEqual(await store.tasks.byArns([a.arn, 'arn:none']), [a]);
          assert.deepEqual(await store.tasks.byIds('web', []), []);
          await assert.rejects(
            store.tasks.insert([{ ...task('web', 'a'), arn: 'arn:x' }]),
            'unique (cluster, id)',
          );
          const stopped: TaskRecord = {
            ...a,
            state: { ...a.state, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: T0 + 5 },
            version: 2,
          };
          assert.equal(await store.tasks.update(stopped), true);
          assert.equal(await store.tasks.update({ ...a, version: 2 }), false, 'version 1 is gone');
          assert.deepEqual(await store.tasks.byArn(a.arn), stopped);
        }));

      it('lists by cluster and filters in id order, paged, and counts tasks that are not STOPPED', () =>
        withStore(async (store) => {
          const other = instance('web', 'b', 'i-b').arn;
          await store.tasks.insert([
            task('web', 'c'),
            task('web', 'a', { startedBy: 'svc', group: 'service:api' }),
            task('web', 'b', { containerInstanceArn: other, family: 'batch' }),
            task('web', 'd', {
              state: { ...task('web', 'd').state, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' },
            }),
            task('web', 'e', { state: { ...task('web', 'e').state, lastStatus: 'RUNNING' } }),
            task('other', 'f'),
          ]);
          const ids = (rows: TaskRecord[]) => rows.map((r) => r.id.replace(/^0+/, ''));
          const q = { cluster: 'web', desiredStatus: 'RUNNING' as const, limit: 100 };
          assert.deepEqual(ids(await store.tasks.list(q)), ['a', 'b', 'c', 'e']);
          assert.deepEqual(ids(await store.tasks.list({ ...q, limit: 2 })), ['a', 'b']);
          assert.deepEqual(ids(await store.tasks.list({ ...q, afterId: task('web', 'b').id })), ['c', 'e']);
          assert.deepEqual(ids(await store.tasks.list({ ...q, desiredStatus: 'STOPPED' })), ['d']);
          assert.deepEqual(ids(await store.tasks.list({ ...q, family: 'batch' })), ['b']);
          assert.deepEqual(ids(await store.tasks.list({ ...q, startedBy: 'svc' })), ['a']);
          assert.deepEqual(ids(await store.tasks.list({ ...q, group: 'service:api' })), ['a']);
          assert.deepEqual(ids(await store.tasks.list({ ...q, containerInstanceArn: other })), ['b']);
          assert.deepEqual(ids(await store.tasks.list({ ...q, launchType: 'FARGATE' })), []);
          assert.deepEqual(
            await store.tasks.countByCluster(['web', 'other', 'none']),
            new Map([
              [
                'web',
                new Map([
                  ['PENDING', 3],
                  ['RUNNING', 1],
                ]),
              ],
              ['other', new Map([['PENDING', 1]])],
            ]),
          );
          const first = instance('web', 'a', 'i-a').arn;
          assert.deepEqual(
            await store.tasks.countByInstance([first, other]),
            new Map([
              [
                first,
                new Map([
                  ['PENDING', 2],
                  ['RUNNING', 1],
                ]),
              ],
              [other, new Map([['PENDING', 1]])],
            ]),
          );
          assert.deepEqual(ids(await store.tasks.activeOnInstances([other])), ['b']);
          assert.deepEqual(await store.tasks.countByCluster([]), new Map());
        }));

      it('records a clientToken once per cluster, in the transaction that inserts the tasks', () =>
        withStore(async (store) => {
          const result = {
            taskArns: [task('web', 'a').arn],
            failures: [{ arn: 'x', reason: 'RESOURCE:CPU' }],
          };
          await store.transaction(async (repos) => {
            await repos.tasks.insert([task('web', 'a')]);
            await repos.tasks.recordToken('web', 'tok', result, T0);
          });
          assert.deepEqual(await store.tasks.tokenResult('web', 'tok'), result);
          assert.equal(await store.tasks.tokenResult('other', 'tok'), undefined);
          await assert.rejects(
            store.transaction(async (repos) => {
              await repos.tasks.insert([task('web', 'b')]);
              await repos.tasks.recordToken('web', 'tok', result, T0);
            }),
          );
          assert.equal(
            await store.tasks.byArn(task('web', 'b').arn),
            undefined,
            'rolled back with the token',
          );
        }));
    });

    describe('clusters and container instances', () => {
      it('holdActive answers whether the cluster is ACTIVE', () =>
        withStore(async (store) => {
          await store.clusters.insert(cluster('live'));
          await store.clusters.insert(cluster('gone', { status: 'INACTIVE' }));
          assert.equal(await store.transaction((repos) => repos.clusters.holdActive('live')), true);
          assert.equal(await store.transaction((repos) => repos.clusters.holdActive('gone')), false);
          assert.equal(await store.transaction((repos) => repos.clusters.holdActive('none')), false);
          assert.equal(
            (await store.clusters.byName('live'))?.version,
            1,
            'holding does not change the version',
          );
        }));
    });

    describe('transactions', () => {
      it('commit every write together', () =>
        withStore(async (store) => {
          const value = await store.transaction(async (repos) => {
            await repos.clusters.insert(cluster('committed'));
            await repos.tags.replace(clusterArnOf('committed'), [{ key: 'k', value: 'v' }]);
            return 'done';
          });
          assert.equal(value, 'done');
          assert.equal((await store.clusters.byName('committed'))?.name, 'committed');
          assert.deepEqual(await store.tags.list(clusterArnOf('committed')), [{ key: 'k', value: 'v' }]);
        }));

      it('roll back every write when the work throws', () =>
        withStore(async (store) => {
          await store.clusters.insert(cluster('existing'));
          await register(store, 'fam');
          const failure = new Error('boom');
          await assert.rejects(
            store.transaction(async (repos) => {
              await repos.clusters.insert(cluster('doomed'));
              assert.equal(
                await repos.clusters.update(cluster('existing', { version: 2, status: 'INACTIVE' })),
                true,
              );
              assert.equal((await register(repos, 'fam')).revision, 2);
              assert.equal((await register(repos, 'new-fam')).revision, 1);
              await repos.taskDefinitions.setStatus({ family: 'fam', revision: 1 }, 'INACTIVE', T0);
              await repos.tags.replace(clusterArnOf('existing'), [{ key: 'k', value: 'v' }]);
              await repos.accountSettings.put({
                principalArn: ADMIN,
                name: 'containerInsights',
                value: 'enabled',
              });
              await repos.accessKeys.insert(
                { accessKeyId: 'AKIADOOMED', secretAccessKey: 's', principalArn: ADMIN },
                T0,
              );
              // Inside the transaction its own writes are visible.
              assert.equal((await repos.clusters.byName('doomed'))?.name, 'doomed');
              throw failure;
            }),
            (error) => error === failure,
          );
          assert.equal(await store.clusters.byName('doomed'), undefined);
          assert.deepEqual(await store.clusters.byName('existing'), cluster('existing'));
          assert.equal((await store.taskDefinitions.get({ family: 'fam', revision: 1 }))?.status, 'ACTIVE');
          assert.equal(await store.taskDefinitions.get({ family: 'fam', revision: 2 }), undefined);
          assert.equal(await store.taskDefinitions.latestActive('new-fam'), undefined);
          assert.deepEqual(await store.tags.list(clusterArnOf('existing')), []);
          assert.deepEqual(await store.accountSettings.forPrincipals([ADMIN]), []);
          assert.equal(await store.accessKeys.find('AKIADOOMED'), undefined);
          // The counters rolled back too: the next revisions continue without a gap.
          assert.equal((await register(store, 'fam')).revision, 2);
          assert.equal((await register(store, 'new-fam')).revision, 1);
        }));
    });

    describe('durability', () => {
      it('data survives close and reopen of the same location', () =>
        withStoreLocation(dialect, async (where) => {
          const writer = await openStore(where.location);
          try {
            await writer.clusters.insert(cluster('durable'));
            await registerMany(writer, 'durable', 3);
            await writer.taskDefinitions.setStatus({ family: 'durable', revision: 3 }, 'INACTIVE', T0 + 5);
            await writer.tags.replace(clusterArnOf('durable'), [{ key: 'k', value: 'v' }]);
            await writer.accountSettings.put({
              principalArn: ADMIN,
              name: 'containerInsights',
              value: 'enabled',
            });
            await writer.accessKeys.insert(
              { accessKeyId: 'AKIADURABLE', secretAccessKey: 's', principalArn: ADMIN },
              T0,
            );
          } finally {
            await writer.close();
          }

          const reader = await openStore(where.location);
          try {
            assert.deepEqual(await reader.clusters.byName('durable'), cluster('durable'));
            const third = await reader.taskDefinitions.get({ family: 'durable', revision: 3 });
            assert.equal(third?.status, 'INACTIVE');
            assert.equal(third?.deregisteredAt?.getTime(), T0 + 5);
            assert.equal(third?.registeredAt?.getTime(), T0);
            assert.equal((await reader.taskDefinitions.latestActive('durable'))?.revision, 2);
            assert.deepEqual(await reader.tags.list(clusterArnOf('durable')), [{ key: 'k', value: 'v' }]);
            assert.deepEqual(await reader.accountSettings.forPrincipals([ADMIN]), [
              { principalArn: ADMIN, name: 'containerInsights', value: 'enabled' },
            ]);
            assert.equal((await reader.accessKeys.firstFor(ADMIN))?.accessKeyId, 'AKIADURABLE');
            assert.equal(
              (await register(reader, 'durable')).revision,
              4,
              'the revision counter survives too',
            );
          } finally {
            await reader.close();
          }
        }));
    });

    it('timestamps come back as numbers and Dates with millisecond precision', () =>
      withStore(async (store) => {
        const stamps = [0, 1, T0, 8_640_000_000_000_000 - 1, Date.UTC(1999, 11, 31, 23, 59, 59, 999)];
        for (const [i, at] of stamps.entries()) {
          await store.clusters.insert(cluster(`c${i}`, { createdAt: at }));
          const registered = await register(store, `t${i}`, at);
          await store.taskDefinitions.setStatus({ family: `t${i}`, revision: 1 }, 'INACTIVE', at + 1);
          await store.accessKeys.insert(
            {
              accessKeyId: `K${i}`,
              secretAccessKey: 's',
              principalArn: ADMIN,
              sessionToken: 't',
              expiresAt: at,
            },
            at,
          );
          const c = await store.clusters.byName(`c${i}`);
          assert.equal(typeof c?.createdAt, 'number');
          assert.equal(c?.createdAt, at);
          assert.equal(registered.registeredAt?.getTime(), at);
          const t = await store.taskDefinitions.get({ family: `t${i}`, revision: 1 });
          assert.ok(t?.registeredAt instanceof Date);
          assert.equal(t.registeredAt.getTime(), at);
          assert.equal(t.deregisteredAt?.getTime(), at + 1);
          const k = await store.accessKeys.find(`K${i}`);
          assert.equal(typeof k?.expiresAt, 'number');
          assert.equal(k?.expiresAt, at);
        }
        // And the bigint columns really are compared as numbers (not text) in ORDER BY.
        await store.accessKeys.insert({ accessKeyId: 'AKIA9', secretAccessKey: 's', principalArn: 'p' }, 9);
        await store.accessKeys.insert({ accessKeyId: 'AKIA10', secretAccessKey: 's', principalArn: 'p' }, 10);
        assert.equal((await store.accessKeys.firstFor('p'))?.accessKeyId, 'AKIA9');
      }));

    it('the database is really this dialect', () =>
      withStore(async (store, where) => {
        assert.equal(store.kind, dialect.kind);
        assert.equal(where.kind, dialect.kind);
        const { db } = await openDatabase(where.location);
        try {
          const probe =
            dialect.kind === 'postgres'
              ? sql<{ v: string }>`select version() as v`
              : sql<{ v: string }>`select sqlite_version() as v`;
          const { rows } = await probe.execute(db);
          assert.match(rows[0]!.v, dialect.kind === 'postgres' ? /PostgreSQL/ : /^3\./);
        } finally {
          await db.destroy();
        }
      }));
  });
}

const STORE_MODULE = new URL('../../src/store/index.ts', import.meta.url).href;

/** Opens and closes the store at `location` in a new Node process; resolves to what it printed. */
function openInChildProcess(location: string): Promise<string> {
  const code = [
    `const { openStore } = await import(${JSON.stringify(STORE_MODULE)});`,
    'const store = await openStore(process.argv[1]);',
    'await store.close();',
    "process.stdout.write('opened');",
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', code, location],
      { timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

/** Runs `work` with a fresh, empty location of `dialect` (nothing opened yet), then removes it. */
async function withStoreLocation(
  dialect: TestDialect,
  work: (where: TestStoreLocation) => Promise<void>,
): Promise<void> {
  const where = await dialect.fresh();
  try {
    await work(where);
  } finally {
    await where.dispose();
  }
}
