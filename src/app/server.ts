import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { administratorsOnly } from '../api/authorizer.js';
import { ecsService } from '../api/ecs/index.js';
import { createGateway } from '../api/gateway.js';
import { stsService } from '../api/sts/index.js';
import type { Scope } from '../core/arn.js';
import { administratorArn, ensureAdministratorKey } from '../control/credentials.js';
import { createEcsControl } from '../control/ecs/index.js';
import { openStore, type AccessKey, type Store } from '../store/index.js';

/**
 * Composition root of the control plane (`berth server`, and the heart of `berth up`): opens the
 * store, builds the control operations and API facades, and serves them on one HTTP port.
 */
export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** A postgres:// URL, or a SQLite file path; default `<dataDir>/berth.db`. */
  readonly store?: string;
  readonly region: string;
  readonly accountId: string;
  readonly logger: Logger;
}

export interface RunningServer {
  readonly endpoint: string;
  readonly port: number;
  readonly administratorKey: AccessKey;
  readonly store: Store;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const scope: Scope = { partition: 'aws', region: options.region, accountId: options.accountId };
  const now = (): number => Date.now();
  const store = await openStore(options.store ?? join(options.dataDir, 'berth.db'));
  const administratorKey = await ensureAdministratorKey(store, scope, now());
  const adminArn = administratorArn(scope);

  const ecs = createEcsControl({ store, scope, now });
  const gateway = createGateway({
    region: options.region,
    jsonServices: [ecsService(ecs)],
    queryServices: [stsService()],
    findKey: (id) => store.accessKeys.find(id),
    authorizer: administratorsOnly((principal) => principal === adminArn),
    now,
    logger: options.logger,
  });

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    gateway(req, res);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port, store: store.kind }, 'berth control plane listening');

  return {
    endpoint: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    port,
    administratorKey,
    store,
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}
