import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DockerRuntime } from '../src/agent/runtime/docker.js';
import { startAgent } from '../src/app/agent.js';
import { startServer } from '../src/app/server.js';
import { serveParent } from './lib/child.js';
import { HttpTrace } from './lib/trace.js';

/**
 * Berth with its agent for the task-start benchmark, in one process of their own — as `berth up`
 * composes them: `startServer` on 127.0.0.1 (fresh temp data dir, SQLite store), a cluster, and
 * `startAgent` on the local Docker engine, talking to the control plane over its API as always.
 * Every container the agent creates carries the label `berth.bench=<run id>` (argv[2]).
 *
 * Agent settings: ECS_CONTAINER_STOP_TIMEOUT=2s (the `docker stop -t 2` of the baseline) and
 * ECS_IMAGE_PULL_BEHAVIOR=prefer-cached (the image is built locally; there is no registry), the
 * default Poll wait.
 *
 * Prints `{ port, region, accessKeyId, secretAccessKey, pid, cluster, containerInstanceArn }` as one
 * JSON line once the agent has registered. Commands on stdin: `trace` answers the HTTP events
 * recorded since the last `trace` (lib/trace.ts) as one JSON line. Exits when stdin closes,
 * leaving the containers to the parent (which removes them by label). Logs at warn on stderr.
 */
const run = process.argv[2];
if (!run) throw new Error('usage: serve-berth-agent.ts <run id>');
const REGION = 'us-east-1';
const CLUSTER = 'bench-tasks';
const trace = new HttpTrace();
const logger = pino({ level: process.env.BERTH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-tasks-'));
const server = await startServer({
  host: '127.0.0.1',
  port: 0,
  dataDir,
  region: REGION,
  accountId: '123456789012',
  logger,
});
const credentials = {
  accessKeyId: server.administratorKey.accessKeyId,
  secretAccessKey: server.administratorKey.secretAccessKey,
};
const setup = new ECSClient({ endpoint: server.endpoint, region: REGION, credentials, maxAttempts: 1 });
await setup.send(new CreateClusterCommand({ clusterName: CLUSTER }));
setup.destroy();
const agent = startAgent({
  endpoint: server.endpoint,
  region: REGION,
  credentials,
  dataDir: join(dataDir, 'agent'),
  env: {
    ECS_CLUSTER: CLUSTER,
    ECS_CONTAINER_STOP_TIMEOUT: '2s',
    ECS_IMAGE_PULL_BEHAVIOR: 'prefer-cached',
  },
  logger,
  runtime: new DockerRuntime(),
  labels: { 'berth.bench': run },
});
const containerInstanceArn = await agent.registered;

serveParent(
  async () => {
    await agent.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
  (line) => Promise.resolve(line === 'trace' ? JSON.stringify(trace.drain()) : `unknown command: ${line}`),
);
process.stdout.write(
  JSON.stringify({
    port: server.port,
    region: REGION,
    ...credentials,
    pid: process.pid,
    cluster: CLUSTER,
    containerInstanceArn,
  }) + '\n',
);
