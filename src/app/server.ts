import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { acmService } from '../api/acm/index.js';
import { agentService } from '../api/agent/index.js';
import { berthService } from '../api/berth/index.js';
import { administratorsOnly } from '../api/authorizer.js';
import { ecsService } from '../api/ecs/index.js';
import { elbv2Service } from '../api/elbv2/index.js';
import { createGateway } from '../api/gateway.js';
import { stsService } from '../api/sts/index.js';
import type { Scope } from '../core/arn.js';
import { AgentStateChangeOperations } from '../control/agent-channel/state-changes.js';
import { AgentHealthOperations } from '../control/agent-channel/health.js';
import { InstanceNotifier } from '../control/agent-channel/notifier.js';
import { PlacementCache } from '../control/placement-cache.js';
import { ServiceScheduler, type SchedulerOptions } from '../control/services/scheduler.js';
import { DataPlaneRunner, type DataPlaneRunnerOptions } from '../control/lb/runner.js';
import { AgentChannelOperations, SWEEP_EVERY_MS } from '../control/agent-channel/poll.js';
import { administratorArn, ensureAdministratorKey } from '../control/credentials.js';
import { ClusterOperations } from '../control/ecs/clusters.js';
import { TaskDefinitionOperations } from '../control/ecs/task-definitions.js';
import { createAcmControl } from '../control/acm/index.js';
import { createEcsControl } from '../control/ecs/index.js';
import { createElbv2Control } from '../control/elbv2/index.js';
import { DEFAULT_STOPPED_TASK_RETENTION_MS, expireStoppedTasks } from '../control/ecs/task-retention.js';
import { openPostgresChangeFeed, type ChangeFeed } from '../store/change-feed.js';
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
  /** How long STOPPED tasks stay visible before they are removed; default one hour, as ECS. */
  readonly stoppedTaskRetentionMs?: number;
  /** The service scheduler's pace (control/services/scheduler.ts); ECS's defaults otherwise. */
  readonly serviceScheduler?: Pick<SchedulerOptions, 'intervalMs' | 'leaseMs' | 'noHealthCheckWaitMs'> & {
    /** False: this replica never schedules services (another does, or a test looks at the API alone). */
    readonly run?: boolean;
  };
  /**
   * The load balancers' data plane (control/lb/runner.ts), served by whichever replica holds its
   * lease; absent: this process serves no listener. `metricsText` answers `GET /metrics`.
   */
  readonly dataPlane?: Omit<DataPlaneRunnerOptions, 'logger'> & {
    readonly metricsText?: () => Promise<string>;
  };
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

  const storeLocation = options.store ?? join(options.dataDir, 'berth.db');
  // Replicas on one PostgreSQL store wake each other's held agent Polls.
  const feed = store.kind === 'postgres' ? await openPostgresChangeFeed(storeLocation) : undefined;
  const notifier = new InstanceNotifier(feed);
  const placementCache = new PlacementCache(store);
  if (feed) shareInstanceWrites(store, placementCache, feed);
  const deps = { store, scope, now, notifier, placementCache };
  const ecs = createEcsControl(deps);
  const channel = new AgentChannelOperations(
    deps,
    new ClusterOperations(deps),
    new TaskDefinitionOperations(deps),
  );
  const gateway = createGateway({
    region: options.region,
    jsonServices: [
      ecsService(ecs),
      agentService(
        channel,
        new AgentHealthOperations(deps, ecs.clusters, ecs.tasks),
        new AgentStateChangeOperations(deps, ecs.clusters),
      ),
      berthService(ecs.plans),
      acmService(createAcmControl(deps)),
    ],
    queryServices: [stsService(), elbv2Service(createElbv2Control(deps))],
    findKey: (id) => store.accessKeys.find(id),
    authorizer: administratorsOnly((principal) => principal === adminArn),
    now,
    logger: options.logger,
  });

  // Requests in flight per connection, so close() can end every connection as soon as it is quiet
  // (closeIdleConnections leaves connections that never sent a request open until headersTimeout).
  const inFlight = new Map<Socket, number>();
  let closing = false;
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.on('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (closing && left === 0) socket.destroy();
    });
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.method === 'GET' && req.url === '/metrics') {
      serveMetrics(res, options.dataPlane?.metricsText);
      return;
    }
    gateway(req, res);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.on('close', () => inFlight.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port, store: store.kind }, 'berth control plane listening');
  // Level-triggered: instances whose agent stopped polling lose `agentConnected`.
  let sweeping: Promise<void> | undefined;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = channel
      .sweep()
      .then(() => undefined)
      .catch((err: unknown) => options.logger.warn({ err }, 'agent sweep failed'))
      .finally(() => (sweeping = undefined));
  }, SWEEP_EVERY_MS);
  sweeper.unref();
  // Stopped tasks past their retention are removed, checked a few times per retention period.
  const retentionMs = options.stoppedTaskRetentionMs ?? DEFAULT_STOPPED_TASK_RETENTION_MS;
  let expiring: Promise<void> | undefined;
  const expirer = setInterval(
    () => {
      if (expiring) return;
      expiring = expireStoppedTasks(deps, retentionMs)
        .then(() => undefined)
        .catch((err: unknown) => options.logger.warn({ err }, 'removing expired stopped tasks failed'))
        .finally(() => (expiring = undefined));
    },
    Math.min(Math.max(retentionMs / 4, 250), 60_000),
  );
  expirer.unref();
  const scheduler = new ServiceScheduler(deps, { logger: options.logger, ...options.serviceScheduler });
  if (options.serviceScheduler?.run !== false) scheduler.start();
  const dataPlane =
    options.dataPlane && new DataPlaneRunner(deps, { logger: options.logger, ...options.dataPlane });
  dataPlane?.start();

  return {
    endpoint: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    port,
    administratorKey,
    store,
    async close() {
      clearInterval(sweeper);
      clearInterval(expirer);
      await scheduler.close();
      await dataPlane?.close();
      notifier.close(); // held Polls answer now instead of holding the close up
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Quiet connections end now; busy ones (a Poll woken above) once their answer is sent.
      for (const [socket, busy] of inFlight) if (busy === 0) socket.destroy();
      await closed;
      await sweeping; // the store stays open until a running sweep is done
      await expiring;
      await feed?.close();
      await store.close();
    },
  };
}

/**
 * With replicas, each one's writes reach the others' placement caches through the change feed (at
 * most one notification per instance per tick: a write is told at its statement and its commit).
 */
function shareInstanceWrites(store: Store, cache: PlacementCache, feed: ChangeFeed): void {
  const outgoing = new Set<string>();
  store.onInstanceWrite((arn) => {
    if (outgoing.size === 0) {
      setImmediate(() => {
        for (const key of outgoing) void feed.publish(key);
        outgoing.clear();
      });
    }
    outgoing.add(arn);
  });
  feed.onChange((key) => (key === '*' ? cache.invalidateAll() : cache.invalidate(key)));
}

/** Prometheus text of the data plane's metrics (load balancers, target groups); empty without one. */
function serveMetrics(res: ServerResponse, metricsText: (() => Promise<string>) | undefined): void {
  const text = metricsText?.() ?? Promise.resolve('');
  text.then(
    (body) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body),
    () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
  );
}
