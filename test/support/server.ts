import { ECSClient } from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServer, type RunningServer, type ServerOptions } from '../../src/app/server.js';
import { serverStoreFromEnv } from './stores.js';

/**
 * A Berth control plane in this process on a free port, with its own data dir (and, when asked,
 * a PostgreSQL store). Tests talk to it only over HTTP, through the AWS SDK or signed requests.
 *
 * Store: `options.store` when given; otherwise, with `BERTH_TEST_STORE=postgres`, a fresh
 * PostgreSQL database per server (created on the server `BERTH_TEST_POSTGRES_URL` names, default
 * postgres://berth:berth@127.0.0.1:5432/berth_test, by a role that may create databases), dropped
 * on close(); otherwise a SQLite file in the data dir. So
 * `BERTH_TEST_STORE=postgres BERTH_TEST_POSTGRES_URL=postgres://… npm test` runs every e2e suite on
 * PostgreSQL (see test/support/stores.ts and docs/store.md).
 */
export interface TestServer {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly server: RunningServer;
  readonly dataDir: string;
  ecs(): ECSClient;
  close(): Promise<void>;
}

export const REGION = 'us-east-1';

export async function startTestServer(
  options: {
    store?: string;
    stoppedTaskRetentionMs?: number;
    serviceScheduler?: ServerOptions['serviceScheduler'];
    /** The load balancers' data plane (test/support/data-plane.ts); none unless given. */
    dataPlane?: ServerOptions['dataPlane'];
  } = {},
): Promise<TestServer> {
  const fromEnv = options.store ? undefined : await serverStoreFromEnv();
  const store = options.store ?? fromEnv?.location;
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  let server: RunningServer;
  try {
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      dataDir,
      region: REGION,
      accountId: '123456789012',
      logger: pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' }),
      ...(store ? { store } : {}),
      ...(options.stoppedTaskRetentionMs !== undefined
        ? { stoppedTaskRetentionMs: options.stoppedTaskRetentionMs }
        : {}),
      ...(options.serviceScheduler !== undefined ? { serviceScheduler: options.serviceScheduler } : {}),
      ...(options.dataPlane !== undefined ? { dataPlane: options.dataPlane } : {}),
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    await fromEnv?.dispose();
    throw error;
  }
  const credentials = {
    accessKeyId: server.administratorKey.accessKeyId,
    secretAccessKey: server.administratorKey.secretAccessKey,
  };
  const clients: ECSClient[] = [];
  return {
    endpoint: server.endpoint,
    region: REGION,
    credentials,
    server,
    dataDir,
    ecs() {
      const client = new ECSClient({
        endpoint: server.endpoint,
        region: REGION,
        credentials,
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.destroy();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      await fromEnv?.dispose();
    },
  };
}

/** A cluster or family name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
