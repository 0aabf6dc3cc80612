import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from './server.js';

/**
 * `berth up`: everything on one machine. Today that is the control plane on the embedded store;
 * the local agent, load balancer, DNS and console join here as their issues land.
 * Writes `<dataDir>/berth.env` (mode 0600) so `set -a; . .berth/berth.env; set +a` points the AWS
 * CLI and SDKs at this Berth with the administrator's key.
 */
export async function up(options: ServerOptions): Promise<{ server: RunningServer; envLines: string[] }> {
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
  return { server, envLines };
}
