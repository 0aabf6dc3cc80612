import { pino } from 'pino';
import { simReadyLine, startSim, type SimControlPlane } from '../src/app/sim.js';
import { parseSizes } from '../src/sim/fleet.js';
import { serveParent } from './lib/child.js';
import { CaseProfiler } from './lib/profiler.js';
import { ServedRequests } from './lib/served.js';

/**
 * `berth sim` for the placement benchmark, in its own process: `startSim` (the composition root the
 * CLI verb runs) with the fleet given as JSON in argv[2]:
 * `{ instances, zones, sizes: "2048:3800,…", cluster, attach?: { endpoint, accessKeyId, secretAccessKey } }`.
 * Without `attach` it starts the control plane too (127.0.0.1, a free port, a temp SQLite data
 * dir), as `berth sim` does; with it, only the simulated hosts, registered with that control plane.
 * Prints `berth sim`'s ready line plus `{ pid, registerMs }` once every host is connected; answers
 * `cpu`, `memory`, `profile start|stop <file>` and `requests` (served per operation since the last
 * `requests`) on stdin; exits when stdin closes. Logs at warn.
 */
interface Fleet {
  readonly instances: number;
  readonly zones: readonly string[];
  readonly sizes: string;
  readonly cluster: string;
  readonly attach?: {
    readonly endpoint: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  };
}

const fleet = JSON.parse(process.argv[2] ?? '') as Fleet;
const REGION = 'us-east-1';
const controlPlane: SimControlPlane = fleet.attach
  ? {
      attach: {
        endpoint: fleet.attach.endpoint,
        credentials: { accessKeyId: fleet.attach.accessKeyId, secretAccessKey: fleet.attach.secretAccessKey },
      },
    }
  : { start: { host: '127.0.0.1', port: 0, accountId: '123456789012' } };
const started = performance.now();
const sim = await startSim({
  controlPlane,
  region: REGION,
  cluster: fleet.cluster,
  instances: fleet.instances,
  fleet: { zones: fleet.zones, sizes: parseSizes(fleet.sizes), attributes: [] },
  env: {},
  logger: pino({ level: process.env.BERTH_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
});
const registerMs = performance.now() - started;
const profiler = new CaseProfiler();
const served = new ServedRequests();
serveParent(
  () => sim.close(),
  async (line) => {
    const [verb, action, file] = line.split(' ');
    if (verb === 'profile' && action === 'start') return profiler.start();
    if (verb === 'profile' && action === 'stop' && file) return profiler.stop(file);
    if (verb === 'requests') return JSON.stringify(served.drain());
    return `unknown command: ${line}`;
  },
);
process.stdout.write(
  JSON.stringify({ ...(JSON.parse(simReadyLine(sim)) as object), pid: process.pid, registerMs }) + '\n',
);
