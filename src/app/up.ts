import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DockerRuntime } from '../agent/runtime/docker.js';
import { startAgent, type RunningAgent } from './agent.js';
import { startServer, type RunningServer, type ServerOptions } from './server.js';

/**
 * `berth up`: everything on one machine — the control plane on the embedded store, and an agent
 * that registers this host (when a Docker engine answers). The load balancer, DNS and console
 * join here as their issues land.
 * Writes `<dataDir>/berth.env` (mode 0600) so `set -a; . .berth/berth.env; set +a` points the AWS
 * CLI and SDKs at this Berth with the administrator's key.
 */
/** Bounded: an agent that cannot register yet (its ECS_CLUSTER not created) must not hold `up` back. */
const AGENT_CONNECT_WAIT_MS = 5_000;

export interface Up {
  readonly server: RunningServer;
  readonly agent: RunningAgent | undefined;
  readonly envLines: string[];
  close(): Promise<void>;
}

export async function up(options: ServerOptions): Promise<Up> {
  // The store holds the administrator's secret: keep the data dir private to its owner.
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(options.dataDir, 0o700);
  const server = await startServer(options);
  const key = server.administratorKey;
  const envLines = [
    `AWS_ENDPOINT_URL=${server.endpoint}`,
    `AWS_ACCESS_KEY_ID=${key.accessKeyId}`,
    `AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`,
    `AWS_REGION=${options.region}`,
    // AWS CLI v1 and older botocore read the region only from AWS_DEFAULT_REGION.
    `AWS_DEFAULT_REGION=${options.region}`,
  ];
  const envFile = join(options.dataDir, 'berth.env');
  writeFileSync(envFile, envLines.join('\n') + '\n', { mode: 0o600 });
  chmodSync(envFile, 0o600); // writeFileSync keeps the mode of a file that already existed

  const agent = await localAgent(options, server);
  // Ready means ready to place tasks here: wait (bounded) for the agent's first Poll.
  if (agent !== undefined)
    await Promise.race([agent.connected, delay(AGENT_CONNECT_WAIT_MS, undefined, { ref: false })]);
  return {
    server,
    agent,
    envLines,
    async close() {
      await agent?.close();
      await server.close();
    },
  };
}

/** The agent for this host, signing as the administrator; none when no Docker engine answers. */
async function localAgent(options: ServerOptions, server: RunningServer): Promise<RunningAgent | undefined> {
  const runtime = new DockerRuntime();
  try {
    await runtime.engineVersion({ signal: AbortSignal.timeout(5000) });
  } catch (err) {
    options.logger.error(
      { err },
      'no Docker engine answers: this host will not run tasks (start dockerd, then restart berth up)',
    );
    return undefined;
  }
  return startAgent({
    endpoint: server.endpoint,
    region: options.region,
    credentials: {
      accessKeyId: server.administratorKey.accessKeyId,
      secretAccessKey: server.administratorKey.secretAccessKey,
    },
    dataDir: join(options.dataDir, 'agent'),
    env: process.env,
    logger: options.logger,
    runtime,
  });
}
