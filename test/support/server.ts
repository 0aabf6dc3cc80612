import { ECSClient } from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServer, type RunningServer } from '../../src/app/server.js';

/**
 * A Berth control plane in this process on a free port, with its own data dir (and, when asked,
 * a PostgreSQL store). Tests talk to it only over HTTP, through the AWS SDK or signed requests.
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

export async function startTestServer(options: { store?: string } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    region: REGION,
    accountId: '123456789012',
    logger: pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.store ? { store: options.store } : {}),
  });
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
      const client = new ECSClient({ endpoint: server.endpoint, region: REGION, credentials, maxAttempts: 1 });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.destroy();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A cluster or family name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
