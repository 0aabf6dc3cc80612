import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type MigrationResultSet,
  type SqliteDatabase,
} from 'kysely';
import pg from 'pg';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { FALLBACK_PAGES, startCheckpointer } from './checkpointer.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

/**
 * The dialect seam: the only place that knows which SQL engine is underneath. Everything else talks
 * to Kysely<Database> through the repositories.
 *
 * `location` is either a file path (embedded SQLite, the default) or a postgres:// URL.
 */
export type DialectKind = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  readonly kind: DialectKind;
  readonly db: Kysely<Database>;
}

export function dialectOf(location: string): DialectKind {
  return /^postgres(ql)?:\/\//.test(location) ? 'postgres' : 'sqlite';
}

// PostgreSQL returns BIGINT as strings; every bigint here is an epoch-millisecond timestamp,
// well inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export async function openDatabase(location: string): Promise<OpenedDatabase> {
  const kind = dialectOf(location);
  const db =
    kind === 'postgres'
      ? new Kysely<Database>({
          dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: location, max: 10 }) }),
        })
      : new Kysely<Database>({
          dialect: new SqliteDialect({ database: openSqliteWithCheckpointer(location) }),
        });
  await migrate(db, kind);
  return { kind, db };
}

function openSqlite(path: string): SQLite.Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    // The store holds signing secrets: a new database file is private to its owner, and SQLite
    // gives its -wal and -shm files the database file's permissions.
    closeSync(openSync(path, 'a', 0o600));
  }
  const database = new SQLite(path);
  // WAL + NORMAL: a committed transaction survives the process being killed (-9); only an OS crash
  // or power loss can lose the last transactions. busy_timeout lets a second process (a CLI) wait;
  // it is set first so that even switching a new file to WAL waits for a process doing the same.
  database.pragma('busy_timeout = 5000');
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  return database;
}

/**
 * The file's connection, with its log checkpointed by a worker thread (checkpointer.ts); an
 * in-memory database has no log to checkpoint.
 */
function openSqliteWithCheckpointer(path: string): SqliteDatabase {
  const database = openSqlite(path);
  if (path === ':memory:') return withStatementCache(database, () => database.close());
  database.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
  // After a burst has grown the log, the file is cut back to this size once the log starts over.
  database.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
  const checkpointer = startCheckpointer(path);
  return withStatementCache(database, () => {
    checkpointer.stop();
    database.close();
  });
}

/**
 * Kysely prepares every query afresh; preparing costs several times what running a small statement
 * does. Reusing prepared statements by SQL text is safe here because Kysely's SQLite driver runs
 * one query at a time on its one connection, and SQLite re-prepares a statement itself when the
 * schema changes. The cache is bounded: queries with `IN (?, …)` lists vary in text.
 */
const STATEMENT_CACHE_SIZE = 256;

function withStatementCache(database: SQLite.Database, close: () => void): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close,
    prepare(sqlText: string) {
      let statement = statements.get(sqlText);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statement = database.prepare(sqlText);
        statements.set(sqlText, statement);
      }
      return statement;
    },
  };
}

async function migrate(db: Kysely<Database>, kind: DialectKind): Promise<void> {
  const provider = migrationProvider(kind);
  if (kind === 'postgres') {
    // Kysely's PostgreSQL adapter serialises concurrent migrators with an advisory lock.
    check(await new Migrator({ db, provider }).migrateToLatest());
    return;
  }
  // Kysely's SQLite "lock" only guards this process's one connection. Another process opening the
  // same new file at the same moment would run the migrations too ("table already exists"), so
  // the whole run happens inside BEGIN IMMEDIATE: the second process waits (busy_timeout) for the
  // first to commit, then finds nothing left to do.
  await db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    let outcome: MigrationResultSet;
    try {
      outcome = await new Migrator({ db: conn, provider, disableTransactions: true }).migrateToLatest();
    } catch (error) {
      await sql`rollback`.execute(conn);
      throw error;
    }
    if (outcome.error || outcome.results?.some((r) => r.status === 'Error')) {
      await sql`rollback`.execute(conn);
    } else {
      await sql`commit`.execute(conn);
    }
    check(outcome);
  });
}

function check({ error, results }: MigrationResultSet): void {
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
