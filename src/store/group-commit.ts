import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Group commit for the embedded SQLite store: transactions asked for while one is running queue up
 * and then run one after another inside ONE SQLite transaction, which pays one COMMIT for all of
 * them. A COMMIT writes every page the transaction touched to the WAL (and now and then a
 * checkpoint with its fsyncs); works in a row share many pages (the tables' last leaves, index
 * pages), so a batch writes fewer (measured: 11 WAL pages per RunTask in batches of 15, not 35).
 *
 * Each work of a batch runs inside a SAVEPOINT: one that throws is rolled back alone and its caller
 * gets its error, while the rest of the batch commits. Every caller's promise settles only after
 * the batch's COMMIT, so an acknowledged write is as durable as it was with a transaction of its
 * own. If BEGIN or COMMIT fails, the whole batch is rolled back and every work in it rejects.
 *
 * An idle store adds no wait: the first transaction starts at once, with whatever was asked for
 * before it got the connection. Works run strictly one at a time on the one connection (SQLite
 * transactions were already serialised on it), in the order they were asked for. A work must not
 * call the store outside `repos` (store.transaction or the store's own repositories): that waits
 * for the connection its batch holds, as it waited for the one a Kysely transaction held before.
 */

/**
 * The most works in one batch. The batch holds the connection, so reads outside a transaction wait
 * for it; the cap bounds that wait (64 RunTasks take some 0.3 s of CPU), while a batch of a few
 * dozen already shares most of what a COMMIT costs.
 */
export const MAX_BATCH = 64;

/**
 * A batch takes no further work once it has run this long. Its works run back to back without the
 * event loop getting a turn (each query's await is a microtask), so a batch of large works (an
 * agent's report of 100 tasks each) would keep every socket waiting — at 5,000 simulated hosts,
 * long enough for connections to time out.
 */
export const BATCH_BUDGET_MS = 10;

/** What one work is given: its repositories over the batch's transaction, and what to do once the batch has ended. */
export interface Bound<R> {
  readonly repos: R;
  /** Called after the batch's COMMIT or ROLLBACK, before the work's caller hears the outcome. */
  ended(): void;
}

interface Queued<R> {
  readonly work: (repos: R) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

export class GroupCommit<R> {
  private readonly queue: Queued<R>[] = [];
  private draining = false;

  /** `bind` builds one work's repositories over the batch's transaction. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly bind: (trx: Kysely<Database>) => Bound<R>,
  ) {}

  /** Runs `work` in the next batch; settles once that batch has committed (or rolled back). */
  run<T>(work: (repos: R) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  /** Runs batches until nothing is queued. One drain at a time: batches never overlap. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let batches = 0; this.queue.length > 0; batches++) {
        // The event loop's turn between batches (not before the first: an idle store adds no wait),
        // for the requests and connections that waited meanwhile.
        if (batches > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        try {
          await this.db.connection().execute((conn) => this.batch(conn));
        } catch (error) {
          // batch() settles every work it took, so this is the connection itself failing (a closed
          // store): what is still queued would meet the same fate.
          for (const queued of this.queue.splice(0)) queued.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async batch(conn: Kysely<Database>): Promise<void> {
    // Taken one by one once the connection is ours, so the batch also holds what queued while we
    // waited for it, until MAX_BATCH or BATCH_BUDGET_MS.
    const first = this.queue.shift();
    if (first === undefined) return;
    const batch: Queued<R>[] = [first];
    const started = performance.now();
    const take = (): Queued<R> | undefined => {
      if (batch.length >= MAX_BATCH || performance.now() - started > BATCH_BUDGET_MS) return undefined;
      const next = this.queue.shift();
      if (next !== undefined) batch.push(next);
      return next;
    };
    const run = (statement: CompiledQuery): Promise<unknown> => conn.executeQuery(statement);
    const trx = asTransaction(conn);
    // A work with nothing queued behind it (the usual case on an idle store) runs alone and needs
    // no savepoint: rolling the transaction back undoes it alone. That spares it two statements and
    // the sub-journal a savepoint keeps of every page the work changes.
    const alone = this.queue.length === 0;
    const bound: Bound<R>[] = [];
    const outcomes: Outcome[] = [];
    let failed: { error: unknown } | undefined;
    try {
      // IMMEDIATE takes the write lock now, waiting busy_timeout for another process (a second
      // server on the same file). A deferred BEGIN would take it at the first write, and upgrading a
      // read transaction fails at once (SQLITE_BUSY, no wait) when another process writes: the
      // whole batch would be lost rather than one transaction.
      await run(BEGIN);
      try {
        for (
          let queued: Queued<R> | undefined = first;
          queued !== undefined;
          queued = alone ? undefined : take()
        ) {
          const { work } = queued;
          const one = this.bind(trx);
          bound.push(one);
          if (!alone) await run(SAVEPOINT);
          let outcome: Outcome;
          try {
            outcome = { ok: true, value: await work(one.repos) };
          } catch (error) {
            outcome = { ok: false, error };
          }
          outcomes.push(outcome);
          if (alone) break;
          // A failure of these statements themselves (SQLite may have rolled the whole transaction
          // back after an I/O error, say) is the batch's: it is rolled back below.
          if (!outcome.ok) await run(ROLLBACK_TO);
          await run(RELEASE);
        }
        await run(alone && !outcomes[0]!.ok ? ROLLBACK : COMMIT);
      } catch (error) {
        // A failed COMMIT (a deferred constraint, a full disk) leaves the transaction open. The
        // ROLLBACK's own error, if any (no transaction left to roll back), adds nothing.
        await run(ROLLBACK).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      failed = { error };
    }
    for (const one of bound) one.ended();
    batch.forEach((queued, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok === false) queued.reject(outcome.error);
      else if (failed) queued.reject(failed.error);
      else queued.resolve(outcome?.value);
    });
  }
}

// Compiled once: these run several times per batch.
const BEGIN = CompiledQuery.raw('begin immediate');
const SAVEPOINT = CompiledQuery.raw('savepoint work');
const ROLLBACK_TO = CompiledQuery.raw('rollback to work');
const RELEASE = CompiledQuery.raw('release work');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/**
 * The batch's connection as the repositories must see it: inside a transaction (`isTransaction`),
 * so that they join it rather than open one of their own, which SQLite would refuse inside ours.
 * Kysely's own Transaction cannot be had here: its SQLite driver only issues a deferred BEGIN.
 * Methods are bound to the real object because Kysely keeps its state in private (#) fields, which
 * a Proxy cannot read through.
 */
function asTransaction(conn: Kysely<Database>): Kysely<Database> {
  return new Proxy(conn, {
    get(target, key) {
      if (key === 'isTransaction') return true;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
