import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServer } from '../src/app/server.js';
import { serveParent } from './lib/child.js';
import { CaseProfiler } from './lib/profiler.js';
import { ServedRequests } from './lib/served.js';

/**
 * Berth's control plane for the benchmark, in its own process: `startServer` on 127.0.0.1, a free
 * port and a fresh temp data dir (SQLite store), exactly as `berth server` composes it. Prints
 * `{ port, region, accessKeyId, secretAccessKey, pid }` as one JSON line once it listens; exits
 * (removing the data dir) when stdin closes. Logs at warn to stderr (BERTH_LOG_LEVEL overrides).
 * Commands on stdin: `profile start`, `profile stop <file.cpuprofile>` (see lib/profiler.ts), `requests`
 * (the requests served per operation since the last `requests`, as JSON; lib/served.ts).
 */
const REGION = 'us-east-1';
const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
const server = await startServer({
  host: '127.0.0.1',
  port: 0,
  dataDir,
  region: REGION,
  accountId: '123456789012',
  logger: pino({ level: process.env.BERTH_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
});
const profiler = new CaseProfiler();
const served = new ServedRequests();
serveParent(
  async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
  async (line) => {
    const [verb, action, file] = line.split(' ');
    if (verb === 'profile' && action === 'start') return profiler.start();
    if (verb === 'profile' && action === 'stop' && file) return profiler.stop(file);
    if (verb === 'requests') return JSON.stringify(served.drain());
    return `unknown command: ${line}`;
  },
);
process.stdout.write(
  JSON.stringify({
    port: server.port,
    region: REGION,
    accessKeyId: server.administratorKey.accessKeyId,
    secretAccessKey: server.administratorKey.secretAccessKey,
    pid: process.pid,
  }) + '\n',
);
