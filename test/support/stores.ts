import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DialectKind } from '../../src/store/dialect.js';

/**
 * Throwaway store locations for tests, one per dialect.
 *
 * Environment:
 * - `BERTH_TEST_POSTGRES_URL` (default postgres://berth:berth@127.0.0.1:5432/berth_test, which
 *   .ci/setup creates): a PostgreSQL server and a role on it that may create databases. The database
 *   it names is only used to connect: every fresh location is a new database of its own, dropped on
 *   dispose, so runs (and parallel test files) never see each other's data. When the server cannot
 *   be reached the PostgreSQL cases skip, and the skip message says why and what to set.
 * - `BERTH_TEST_REQUIRE_POSTGRES=1` (CI): the PostgreSQL cases never skip; an unreachable server
 *   fails them.
 * - `BERTH_TEST_STORE=postgres`: startTestServer (test/support/server.ts) runs every in-process
 *   server on a fresh PostgreSQL database instead of a SQLite file, so the e2e suites cover PG too.
 */
export const POSTGRES_URL_ENV = 'BERTH_TEST_POSTGRES_URL';
export const REQUIRE_POSTGRES_ENV = 'BERTH_TEST_REQUIRE_POSTGRES';
export const STORE_ENV = 'BERTH_TEST_STORE';
export const DEFAULT_POSTGRES_URL = 'postgres://berth:berth@127.0.0.1:5432/berth_test';

export interface TestStoreLocation {
  readonly kind: DialectKind;
  /** What openStore() / startServer({ store }) take: a SQLite file path or a postgres:// URL. */
  readonly location: string;
  /** Removes the database (file or PG database). Close every store on it first. */
  dispose(): Promise<void>;
}

export interface TestDialect {
  readonly kind: DialectKind;
  /** Why this dialect's cases skip, or false when they run. */
  readonly skip: string | false;
  fresh(): Promise<TestStoreLocation>;
}

/** The PostgreSQL server tests use: `BERTH_TEST_POSTGRES_URL`, or the default .ci/setup prepares. */
export function postgresUrl(): string {
  const url = process.env[POSTGRES_URL_ENV];
  return url === undefined || url === '' ? DEFAULT_POSTGRES_URL : url;
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/** Undefined when the server answers, else why not. */
async function unreachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Every dialect the store supports. PostgreSQL is skipped, with the reason and what to set, when
 * its server cannot be reached, unless BERTH_TEST_REQUIRE_POSTGRES=1: then its cases run and fail.
 */
export async function testDialects(): Promise<TestDialect[]> {
  const url = postgresUrl();
  const required = process.env[REQUIRE_POSTGRES_ENV] === '1';
  const problem = required ? undefined : await unreachable(url);
  return [
    { kind: 'sqlite', skip: false, fresh: () => Promise.resolve(freshSqlite()) },
    {
      kind: 'postgres',
      skip:
        problem === undefined
          ? false
          : `PostgreSQL cases skipped: ${redacted(url)} is unreachable (${problem}); set ` +
            `${POSTGRES_URL_ENV}=postgres://USER:PASSWORD@HOST:5432/DB (a role that may create databases) ` +
            `to run them, or ${REQUIRE_POSTGRES_ENV}=1 to fail instead of skipping`,
      fresh: () => freshPostgres(url),
    },
  ];
}

/** A SQLite file in a new temporary directory. */
export function freshSqlite(): TestStoreLocation {
  const dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  return {
    kind: 'sqlite',
    location: join(dir, 'berth.db'),
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

let counter = 0;

/**
 * A new, empty PostgreSQL database on the server `adminUrl` points at. It is created with an ICU
 * en-US collation when the server has ICU (not byte order, like most production databases), so the
 * suites catch any query that silently depends on the server's default collation.
 */
export async function freshPostgres(adminUrl: string = postgresUrl()): Promise<TestStoreLocation> {
  counter += 1;
  const name = `berth_t_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdmin(adminUrl, async (admin) => {
    try {
      await admin.query(
        `CREATE DATABASE "${name}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`,
      );
    } catch {
      // No ICU (or PostgreSQL < 15): the server's default collation will have to do.
      await admin.query(`CREATE DATABASE "${name}"`);
    }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    location: url.toString(),
    dispose: () => dropPostgres(adminUrl, name),
  };
}

async function dropPostgres(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    // A pool that has just been destroyed may still be disconnecting: give it a moment before forcing.
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006') throw error; // 55006: object in use
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

async function withAdmin(adminUrl: string, work: (admin: pg.Client) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

/**
 * The store an in-process test server should use: undefined (its own SQLite file in the data dir)
 * unless `BERTH_TEST_STORE=postgres`, then a fresh PostgreSQL database.
 */
export async function serverStoreFromEnv(): Promise<TestStoreLocation | undefined> {
  const wanted = process.env[STORE_ENV];
  if (wanted === undefined || wanted === '' || wanted === 'sqlite') return undefined;
  if (wanted !== 'postgres') throw new Error(`${STORE_ENV} must be 'sqlite' or 'postgres', not '${wanted}'.`);
  return freshPostgres();
}
