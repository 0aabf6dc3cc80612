import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DialectKind } from '../../src/store/dialect.js';

/**
 * Throwaway store locations for tests, one per dialect.
 *
 * Environment:
 * - `BERTH_TEST_POSTGRES_URL`: a postgres:// URL whose role may CREATE and DROP databases, e.g.
 *   postgres://berth:berth@127.0.0.1:5432/berth_test. The database it names is only used to connect;
 *   every fresh location is a new database of its own, dropped on dispose, so runs (and parallel test
 *   files) never see each other's data. Unset: the PostgreSQL cases skip.
 * - `BERTH_TEST_STORE=postgres`: startTestServer (test/support/server.ts) runs every in-process
 *   server on a fresh PostgreSQL database instead of a SQLite file, so the e2e suites cover PG too.
 */
export const POSTGRES_URL_ENV = 'BERTH_TEST_POSTGRES_URL';
export const STORE_ENV = 'BERTH_TEST_STORE';

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

export function postgresUrl(): string | undefined {
  const url = process.env[POSTGRES_URL_ENV];
  return url === undefined || url === '' ? undefined : url;
}

export const POSTGRES_SKIP_MESSAGE =
  `PostgreSQL cases skipped: set ${POSTGRES_URL_ENV}=postgres://USER:PASSWORD@HOST:5432/DB ` +
  '(a role that may create databases) to run them';

/** Every dialect the store supports; PostgreSQL is skipped (with a reason) when no server is configured. */
export function testDialects(): TestDialect[] {
  const url = postgresUrl();
  return [
    { kind: 'sqlite', skip: false, fresh: () => Promise.resolve(freshSqlite()) },
    {
      kind: 'postgres',
      skip: url ? false : POSTGRES_SKIP_MESSAGE,
      fresh: () => freshPostgres(url ?? ''),
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
export async function freshPostgres(adminUrl: string = postgresUrl() ?? ''): Promise<TestStoreLocation> {
  if (!adminUrl) throw new Error(`${POSTGRES_URL_ENV} is not set: ${POSTGRES_SKIP_MESSAGE}`);
  counter += 1;
  const name = `berth_t_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdmin(adminUrl, async (admin) => {
    try {
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`);
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
  if (!postgresUrl()) throw new Error(`${STORE_ENV}=postgres needs ${POSTGRES_URL_ENV} to be set as well.`);
  return freshPostgres();
}
