import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { memoryIdentity } from '../agent/identity.js';
import { FakeRuntime } from '../agent/runtime/fake.js';
import { forEachBounded } from '../sim/bounded.js';
import { untilConnected } from '../sim/connected.js';
import { hostEnv, simHost, type FleetSpec, type SimHost } from '../sim/fleet.js';
import { startAgent, type RunningAgent } from './agent.js';
import { startServer, type RunningServer, type ServerOptions } from './server.js';

/**
 * Composition root of `berth sim`: the real control plane (or one already running) with N
 * simulated hosts. Each host is a real Berth agent (`startAgent`) over its own FakeRuntime,
 * registering, long-polling and reporting over HTTP through the public API as a remote host does;
 * only what a simulated host has no use for is left out or shared (docs/sim.md):
 * - one ECS client for every host's registration and reports (one keep-alive pool: a connection per
 *   report in flight, few kept idle) instead of a client and an idle connection per host; each host
 *   keeps its own Poll connection, which the long poll holds open;
 * - no task metadata endpoint (a listener per host), identities in memory (no file per host);
 * - registration at a bounded concurrency, so thousands of hosts do not arrive at once.
 * Ready means every host is ACTIVE with its agent connected, as DescribeContainerInstances shows.
 */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A control plane as `berth server` starts it; a temporary data dir (removed on close) when none is given. */
export type SimServerOptions = Omit<ServerOptions, 'dataDir' | 'region' | 'logger'> & {
  readonly dataDir?: string;
};

/** Start a control plane, or attach the hosts to one already running. */
export type SimControlPlane =
  | { readonly start: SimServerOptions }
  | { readonly attach: { readonly endpoint: string; readonly credentials: Credentials } };

export interface SimOptions {
  readonly controlPlane: SimControlPlane;
  readonly region: string;
  readonly cluster: string;
  readonly instances: number;
  readonly fleet: FleetSpec;
  /** ECS_* settings every host shares (normally process.env); the fleet's (cluster, zone, type, attributes) win. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Hosts registering at once; default 32. */
  readonly registerConcurrency?: number;
  /** Aborting it during the start stops what was started and rejects. */
  readonly signal?: AbortSignal;
}

export interface RunningSimHost {
  readonly host: SimHost;
  readonly containerInstanceArn: string;
  readonly agent: RunningAgent;
  /** The host's simulated container engine (its control methods make containers exit, OOM, …). */
  readonly runtime: FakeRuntime;
}

export interface RunningSim {
  readonly endpoint: string;
  readonly region: string;
  readonly cluster: string;
  readonly hosts: readonly RunningSimHost[];
  /** The control plane the sim started (none when attached to another). */
  readonly server: RunningServer | undefined;
  close(): Promise<void>;
}

const DEFAULT_REGISTER_CONCURRENCY = 32;
/**
 * The shared client's sockets. A real host has at most one report in flight (its reporter sends
 * one at a time), so the pool allows one per host: a smaller one queues the hosts' reports in the
 * client where a real fleet's would reach the control plane (after filling 200 hosts, every task
 * was RUNNING 47–97 s later with 64 sockets, 19 s later with one per host). Capped because in one
 * process each connection costs two file descriptors, beside the two of every host's Poll. Idle
 * connections beyond `IDLE_SOCKETS` are closed, so a quiet fleet does not hold one per host.
 */
const MAX_SOCKETS = 4096;
const IDLE_SOCKETS = 256;
/** After the last registration, how long every host may take to show connected. */
const CONNECT_TIMEOUT_MS = 60_000;

export async function startSim(options: SimOptions): Promise<RunningSim> {
  const { logger: log, region, cluster, signal } = options;
  const plane = options.controlPlane;
  let server: RunningServer | undefined;
  let scratch: string | undefined;
  let endpoint: string;
  let credentials: Credentials;
  if ('start' in plane) {
    scratch = plane.start.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'berth-sim-')) : undefined;
    const dataDir = plane.start.dataDir ?? scratch ?? '';
    try {
      server = await startServer({ ...plane.start, dataDir, region, logger: log });
    } catch (err) {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
      throw err;
    }
    endpoint = server.endpoint;
    credentials = server.administratorKey;
  } else {
    ({ endpoint, credentials } = plane.attach);
  }
  const sdkLog = (...content: unknown[]): void =>
    log.debug({ sdk: content.map(String).join(' ') }, 'AWS SDK');
  const client = new ECSClient({
    endpoint,
    region,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    requestHandler: {
      httpAgent: {
        keepAlive: true,
        maxSockets: Math.min(options.instances, MAX_SOCKETS),
        maxFreeSockets: IDLE_SOCKETS,
      },
      // Past MAX_SOCKETS reports queue for the pool by design: the SDK's warning about that is not news.
      logger: { debug: sdkLog, info: sdkLog, warn: sdkLog, error: sdkLog },
    },
  });
  const hosts: RunningSimHost[] = [];
  const started: RunningAgent[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(started.map((a) => a.close()));
    client.destroy();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };
  // One line per host is noise at thousands; at `debug` every host's lines show again.
  const hostLog = log.level === 'info' ? log.child({}, { level: 'warn' }) : log;
  const aborted = new Promise<never>((_, reject) => {
    if (signal?.aborted) reject(signal.reason as Error);
    signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
  aborted.catch(() => undefined); // only raced below

  try {
    await client.send(
      new CreateClusterCommand({ clusterName: cluster }),
      signal ? { abortSignal: signal } : {},
    );
    const step = Math.max(1, Math.ceil(options.instances / 10));
    let registered = 0;
    await forEachBounded(
      options.instances,
      options.registerConcurrency ?? DEFAULT_REGISTER_CONCURRENCY,
      async (index) => {
        const host = simHost(options.fleet, index);
        const runtime = new FakeRuntime({ registryImages: 'any', hostMemoryMiB: host.size.memoryMiB });
        const agent = startAgent({
          endpoint,
          region,
          credentials,
          client,
          identity: memoryIdentity(), // nothing on disk, and no metadata endpoint

          host: { cpuUnits: host.size.cpuUnits, memoryMiB: host.size.memoryMiB },
          metadataEndpoint: false,
          env: { ...options.env, ...hostEnv(host, cluster) },
          logger: hostLog,
          runtime,
        });
        started.push(agent);
        const containerInstanceArn = await Promise.race([agent.registered, aborted]);
        hosts[index] = { host, containerInstanceArn, agent, runtime };
        registered += 1;
        if (registered % step === 0 || registered === options.instances)
          log.info({ registered, of: options.instances }, 'simulated hosts registered');
      },
      signal,
    );
    signal?.throwIfAborted();
    await Promise.race([
      untilConnected(
        client,
        cluster,
        hosts.map((h) => h.containerInstanceArn),
        { timeoutMs: CONNECT_TIMEOUT_MS, ...(signal ? { signal } : {}) },
      ),
      aborted,
    ]);
  } catch (err) {
    await close();
    throw err;
  }
  log.info({ endpoint, cluster, instances: hosts.length }, 'berth sim ready');
  return { endpoint, region, cluster, hosts, server, close };
}

/**
 * What `berth sim` prints once ready, as one JSON line: where the control plane is, the cluster,
 * and (when the sim started the control plane) the administrator's key to sign with.
 */
export function simReadyLine(sim: RunningSim): string {
  const key = sim.server?.administratorKey;
  return JSON.stringify({
    endpoint: sim.endpoint,
    region: sim.region,
    cluster: sim.cluster,
    instances: sim.hosts.length,
    ...(key ? { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } : {}),
  });
}
