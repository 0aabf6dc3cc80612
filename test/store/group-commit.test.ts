import SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterRecord } from '../../src/core/ecs/cluster.js';
import type { ContainerInstanceRecord } from '../../src/core/ecs/container-instance.js';
import { ClusterRepository } from '../../src/store/clusters.js';
import { openDatabase } from '../../src/store/dialect.js';
import { BATCH_BUDGET_MS, GroupCommit, MAX_BATCH } from '../../src/store/group-commit.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { Database } from '../../src/store/schema.js';
import { freshSqlite } from '../support/stores.js';

/**
 * Group commit on the embedded SQLite store (store/group-commit.ts): transactions asked for while
 * one runs share one SQLite transaction, each in a savepoint, and every caller hears its outcome
 * only after that transaction's COMMIT. What is committed is read through a second, read-only
 * connection on the same file, which sees only committed data (WAL).
 */

const ACCOUNT = '123456789012';
const T0 = Date.UTC(2031, 4, 17, 9, 30, 15, 123);

function cluster(name: string): ClusterRecord {
  return {
    arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${name}`,
    name,
    status: 'ACTIVE',
    createdAt: T0,
    version: 1,
    settings: [],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
  };
}

function instance(id: string): ContainerInstanceRecord {
  const fullId = id.padStart(32, '0');
  return {
    arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/web/${fullId}`,
    id: fullId,
    cluster: 'web',
    hostId: `i-${id}`,
    status: 'ACTIVE',
    agentConnected: false,
    registeredAt: T0,
    version: 1,
    registeredResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 2048, doubleValue: 0, longValue: 0 }],
    remainingResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 2048, doubleValue: 0, longValue: 0 }],
    versionInfo: { agentVersion: '1.89.0', dockerVersion: '25.0.3' },
    platformDevices: [],
  };
}

/** A promise the test resolves when it chooses. */
function gate(): { readonly wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Whether `promise` has settled yet, without waiting for it. */
function track(promise: Promise<unknown>): { readonly settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { settled: () => settled };
}

/** What a second connection sees: only what has been committed. */
interface Peek {
  clusters(): string[];
  close(): void;
}

function peekAt(location: string): Peek {
  const db = new SQLite(location, { readonly: true, fileMustExist: true });
  return {
    clusters: () => db.prepare('select name from clusters order by name').pluck().all() as string[],
    close: () => db.close(),
  };
}

/** A store on a fresh SQLite file with a peek at it; both closed, and the file removed, after. */
async function withStore(work: (store: Store, peek: Peek, location: string) => Promise<void>): Promise<void> {
  const where = freshSqlite();
  try {
    const store = await openStore(where.location);
    const peek = peekAt(where.location);
    try {
      await work(store, peek, where.location);
    } finally {
      peek.close();
      await store.close();
    }
  } finally {
    await where.dispose();
  }
}

/** Runs a transaction that holds the store until `hold` opens; resolves `started` once it runs. */
function blocking(
  store: Store,
  name: string,
  hold: Promise<void>,
): { started: Promise<void>; done: Promise<void> } {
  const started = gate();
  const done = store.transaction(async (repos) => {
    await repos.clusters.insert(cluster(name));
    started.open();
    await hold;
  });
  return { started: started.wait, done };
}

describe('group commit (SQLite store)', () => {
  it('concurrent transactions all commit, each once, and their rows are visible', () =>
    withStore(async (store, peek) => {
      const names = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
      const results = await Promise.all(
        names.map((name) =>
          store.transaction(async (repos) => {
            await repos.clusters.insert(cluster(name));
            return name;
          }),
        ),
      );
      assert.deepEqual(results, names, 'each caller gets its own work result');
      assert.deepEqual(peek.clusters(), names);
      assert.deepEqual((await store.clusters.byNames(names)).map((c) => c.name).sort(), names);
    }));

  it('an idle store runs a transaction at once: no wait to gather a batch', () =>
    withStore(async (store, peek) => {
      const done = track(store.transaction((repos) => repos.clusters.insert(cluster('first'))));
      // Before any timer or I/O callback: the work ran and its COMMIT happened in this turn.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(done.settled(), true);
      assert.deepEqual(peek.clusters(), ['first']);
    }));

  it('a transaction alone in its batch that throws writes nothing; the next one commits', () =>
    withStore(async (store, peek) => {
      await assert.rejects(
        store.transaction(async (repos) => {
          await repos.clusters.insert(cluster('lost'));
          throw new Error('alone and failing');
        }),
        /alone and failing/,
      );
      await store.transaction((repos) => repos.clusters.insert(cluster('kept')));
      assert.deepEqual(peek.clusters(), ['kept']);
      assert.equal(await store.clusters.byName('lost'), undefined);
    }));

  it('a work that throws is rolled back alone; the others of its batch commit', () =>
    withStore(async (store, peek) => {
      const hold = gate();
      const a = blocking(store, 'a', hold.wait);
      await a.started;
      let committedDuringBatch: string[] = [];
      const b = store.transaction((repos) => repos.clusters.insert(cluster('b')));
      const c = store.transaction(async (repos) => {
        await repos.clusters.insert(cluster('c'));
        throw new Error('c fails after writing');
      });
      const d = store.transaction(async (repos) => {
        committedDuringBatch = peek.clusters();
        // Inside the batch, this work sees b (earlier in the batch), not c (rolled back).
        assert.ok(await repos.clusters.byName('b'));
        assert.equal(await repos.clusters.byName('c'), undefined);
        await repos.clusters.insert(cluster('d'));
      });
      hold.open();
      await a.done;
      await b;
      await assert.rejects(c, /c fails after writing/);
      await d;
      assert.deepEqual(committedDuringBatch, ['a'], 'b, c and d ran in one batch, after a committed');
      assert.deepEqual(peek.clusters(), ['a', 'b', 'd']);
    }));

  it("no caller's promise settles before its batch commits", () =>
    withStore(async (store, peek) => {
      const first = gate();
      const a = blocking(store, 'a', first.wait);
      await a.started;
      const b = store.transaction((repos) => repos.clusters.insert(cluster('b')));
      const bTracked = track(b);
      const second = gate();
      const c = blocking(store, 'c', second.wait);
      first.open();
      await a.done;
      await c.started; // b's work is done, c's holds the batch open
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(bTracked.settled(), false, "b's caller waits for the batch's COMMIT");
      assert.deepEqual(peek.clusters(), ['a'], 'b is not committed yet');
      second.open();
      await Promise.all([b, c.done]);
      assert.deepEqual(peek.clusters(), ['a', 'b', 'c']);
    }));

  /** The sizes of the batches the works ran in, from how many rows each saw committed. */
  function batchSizes(committedBefore: readonly number[]): number[] {
    const sizes: number[] = [];
    committedBefore.forEach((seen, i) => {
      if (i > 0 && seen === committedBefore[i - 1]) sizes[sizes.length - 1]! += 1;
      else sizes.push(1);
    });
    return sizes;
  }

  it(`a batch holds at most ${MAX_BATCH} works; the rest run in the next batch`, () =>
    withStore(async (store, peek) => {
      const hold = gate();
      const a = blocking(store, 'a', hold.wait);
      await a.started;
      const count = MAX_BATCH + 6;
      const committedBefore: number[] = [];
      const works = Array.from({ length: count }, (_, i) =>
        store.transaction(async (repos) => {
          committedBefore[i] = peek.clusters().length;
          await repos.clusters.insert(cluster(`w${String(i).padStart(3, '0')}`));
        }),
      );
      hold.open();
      await Promise.all([a.done, ...works]);
      // In order, each batch seeing what the batches before it committed (a's row first).
      assert.equal(committedBefore[0], 1);
      assert.deepEqual(
        [...committedBefore].sort((x, y) => x - y),
        committedBefore,
      );
      const sizes = batchSizes(committedBefore);
      assert.ok(sizes.length >= 2, `${count} works in batches of ${sizes.join(', ')}`);
      assert.ok(Math.max(...sizes) <= MAX_BATCH, `batches of ${sizes.join(', ')}`);
      assert.ok(Math.max(...sizes) > 1, `works queued together share a batch: ${sizes.join(', ')}`);
      assert.equal(peek.clusters().length, 1 + count);
    }));

  it(`a batch takes no more work once it has run ${BATCH_BUDGET_MS} ms (the event loop gets its turn)`, () =>
    withStore(async (store, peek) => {
      const hold = gate();
      const a = blocking(store, 'a', hold.wait);
      await a.started;
      const count = 12;
      const committedBefore: number[] = [];
      const works = Array.from({ length: count }, (_, i) =>
        store.transaction(async (repos) => {
          committedBefore[i] = peek.clusters().length;
          // A long work: the CPU is held for 60 % of the budget.
          const until = performance.now() + BATCH_BUDGET_MS * 0.6;
          while (performance.now() < until);
          await repos.clusters.insert(cluster(`slow${String(i).padStart(2, '0')}`));
        }),
      );
      hold.open();
      await Promise.all([a.done, ...works]);
      const sizes = batchSizes(committedBefore);
      assert.ok(Math.max(...sizes) <= 2, `batches of ${sizes.join(', ')}`);
      assert.equal(peek.clusters().length, 1 + count);
    }));

  it('committed data survives closing and reopening the store', async () => {
    const where = freshSqlite();
    try {
      const store = await openStore(where.location);
      const names = Array.from({ length: 20 }, (_, i) => `kept${String(i).padStart(2, '0')}`);
      await Promise.all(
        names.map((name) => store.transaction((repos) => repos.clusters.insert(cluster(name)))),
      );
      await store.close();
      const reopened = await openStore(where.location);
      try {
        assert.deepEqual((await reopened.clusters.byNames(names)).map((c) => c.name).sort(), names);
      } finally {
        await reopened.close();
      }
    } finally {
      await where.dispose();
    }
  });

  it('instance-write listeners hear each ARN at the write and again after the batch ends, rolled back or not', () =>
    withStore(async (store) => {
      const x = instance('x');
      const y = instance('y');
      await store.containerInstances.insert(y);
      const heard: string[] = [];
      store.onInstanceWrite((arn) => heard.push(arn));
      const hold = gate();
      const a = blocking(store, 'a', hold.wait);
      await a.started;
      const b = store.transaction((repos) => repos.containerInstances.insert(x));
      let heardWhenBSettled: string[] = [];
      void b.then(() => (heardWhenBSettled = [...heard]));
      const c = store.transaction(async (repos) => {
        assert.equal(await repos.containerInstances.update({ ...y, status: 'DRAINING', version: 2 }), true);
        throw new Error('c rolls back');
      });
      const last = gate();
      const d = store.transaction(async () => {
        await last.wait;
        heard.push('d done');
      });
      hold.open();
      await a.done;
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(heard, [x.arn, y.arn], 'told at the writes; the batch has not ended');
      last.open();
      await Promise.allSettled([b, c, d]);
      await assert.rejects(c, /c rolls back/);
      assert.deepEqual(heard, [x.arn, y.arn, 'd done', x.arn, y.arn], 'told again after the batch');
      assert.deepEqual(heardWhenBSettled, heard, 'before the caller hears its outcome');
      assert.equal((await store.containerInstances.byArn(y.arn))?.status, 'ACTIVE');
      assert.equal((await store.containerInstances.byArn(x.arn))?.arn, x.arn);
    }));
});

/**
 * The module on its own, over a migrated database, with works given the raw transaction: the
 * schema has no constraint checked at COMMIT, so these tests add a table with a deferred foreign key.
 */
describe('GroupCommit', () => {
  interface Raw {
    readonly trx: Kysely<Database>;
    readonly clusters: ClusterRepository;
  }

  async function withGroup(
    work: (
      group: GroupCommit<Raw>,
      ctx: { peek: Peek; location: string; ended: () => number },
    ) => Promise<void>,
  ): Promise<void> {
    const where = freshSqlite();
    const { db } = await openDatabase(where.location);
    let ended = 0;
    const group = new GroupCommit<Raw>(db, (trx) => ({
      repos: { trx, clusters: new ClusterRepository(trx) },
      ended: () => (ended += 1),
    }));
    const peek = peekAt(where.location);
    try {
      await work(group, { peek, location: where.location, ended: () => ended });
    } finally {
      peek.close();
      await db.destroy();
      await where.dispose();
    }
  }

  it('a failed COMMIT rolls the whole batch back and rejects every work in it', () =>
    withGroup(async (group, { peek, ended }) => {
      await group.run(async ({ trx }) => {
        await sql`create table gc_parent (id integer primary key)`.execute(trx);
        await sql`create table gc_child (parent integer references gc_parent (id) deferrable initially deferred)`.execute(
          trx,
        );
      });
      const hold = gate();
      const held = gate();
      const a = group.run(async ({ clusters }) => {
        await clusters.insert(cluster('a'));
        held.open();
        await hold.wait;
      });
      await held.wait;
      const b = group.run(({ clusters }) => clusters.insert(cluster('b')));
      // Violates the deferred foreign key: the statement succeeds, the COMMIT fails.
      const c = group.run(async ({ trx }) => {
        await sql`insert into gc_child (parent) values (42)`.execute(trx);
        return 'c wrote';
      });
      const d = group.run(({ clusters }) => clusters.insert(cluster('d')));
      const endedBefore = ended();
      hold.open();
      await a;
      for (const work of [b, c, d]) await assert.rejects(work, /FOREIGN KEY constraint failed/);
      assert.equal(ended() - endedBefore, 4, "every work's end was told, the failed batch's too");
      assert.deepEqual(peek.clusters(), ['a']);
      // The store goes on: the next batch commits.
      assert.equal(await group.run(({ clusters }) => clusters.insert(cluster('e')).then(() => 'e')), 'e');
      assert.deepEqual(peek.clusters(), ['a', 'e']);
    }));

  it('a failed BEGIN rejects the batch; the next batch runs when the lock is free', () =>
    withGroup(async (group, { peek, location }) => {
      await group.run(({ trx }) => sql`pragma busy_timeout = 50`.execute(trx).then(() => undefined));
      // Another writer on the same file (as a second process would be) holds the write lock.
      const other = new SQLite(location);
      try {
        other.exec('begin immediate');
        const works = [1, 2].map((i) => group.run(({ clusters }) => clusters.insert(cluster(`busy${i}`))));
        for (const work of works) await assert.rejects(work, { code: 'SQLITE_BUSY' });
        other.exec('rollback');
        await group.run(({ clusters }) => clusters.insert(cluster('free')));
        assert.deepEqual(peek.clusters(), ['free']);
      } finally {
        other.close();
      }
    }));

  it('the batch holds the write lock from its BEGIN (BEGIN IMMEDIATE)', () =>
    withGroup(async (group, { location }) => {
      const other = new SQLite(location, { timeout: 0 });
      try {
        await group.run(async ({ clusters }) => {
          await clusters.byName('none'); // a read first: a deferred BEGIN would still hold no write lock
          assert.throws(() => other.exec('begin immediate'), { code: 'SQLITE_BUSY' });
        });
        other.exec('begin immediate');
        other.exec('rollback');
      } finally {
        other.close();
      }
    }));
});
