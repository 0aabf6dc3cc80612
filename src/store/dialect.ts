import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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
      : new Kysely<Database>({ dialect: new SqliteDialect({ database: openSqlite(location) }) });
  await migrate(db);
  return { kind, db };
}

function openSqlite(path: string): SQLite.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  // WAL + NORMAL: a committed transaction survives the process being killed (-9); only an OS crash
  // or power loss can lose the last transactions. busy_timeout lets a second process (a CLI) wait.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return database;
}

async function migrate(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
