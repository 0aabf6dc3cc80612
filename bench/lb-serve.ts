import { pino } from 'pino';
import type { LoadBalancingModel } from '../src/core/elbv2/data-plane.js';
import { BuiltInDriver } from '../src/lb/driver.js';
import { HealthChecker } from '../src/lb/health/checker.js';
import {
  LB,
  defaultRule,
  forward,
  freePort,
  group,
  listenerOn,
  targetOf,
  tgArn,
} from '../test/support/lb-http.js';
import { serveParent } from './lib/child.js';
import { CaseProfiler } from './lib/profiler.js';

/**
 * Berth's built-in data plane alone, for the load-balancer benchmark (bench/lb.ts): a
 * BuiltInDriver with a HealthChecker whose sink drops the reports, applied once with a hand-built
 * model — one internal application load balancer, one HTTP listener on a free port, its default
 * rule forwarding to one target group of `ip` targets, the backends' ports given as arguments. No
 * control plane, no store: what this process does under load is the data plane's work.
 *
 * Prints `{ port, pid }` as one JSON line once the listener serves; answers `cpu`, `memory`,
 * `profile start` and `profile stop <file>` (a V8 CPU profile, as `node --cpu-prof` writes);
 * exits when stdin closes.
 */
const backendPorts = process.argv.slice(2).map(Number);
if (backendPorts.length === 0 || backendPorts.some((p) => !Number.isInteger(p) || p <= 0))
  throw new Error('usage: lb-serve.ts <backend port>...');

const log = pino({ level: process.env.BERTH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const driver = new BuiltInDriver({
  health: () => new HealthChecker({ sink: () => Promise.resolve(), log }),
  log,
});
const port = await freePort();
const model: LoadBalancingModel = {
  loadBalancers: [
    {
      arn: LB,
      name: 'web',
      type: 'application',
      scheme: 'internal',
      dnsName: 'web.elb.localhost',
      listeners: [listenerOn(port, [defaultRule(forward(tgArn('bench')))])],
    },
  ],
  targetGroups: [
    group(
      'bench',
      backendPorts.map((p) => targetOf(p)),
    ),
  ],
};
const { faults } = await driver.apply(model);
if (faults.length > 0) throw new Error(`listener faults: ${JSON.stringify(faults)}`);

const profiler = new CaseProfiler();
serveParent(
  () => driver.close(),
  (line) => {
    if (line === 'profile start') return profiler.start();
    if (line.startsWith('profile stop ')) return profiler.stop(line.slice('profile stop '.length));
    return Promise.resolve(`unknown command: ${line}`);
  },
);
process.stdout.write(JSON.stringify({ port, pid: process.pid }) + '\n');
