import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { HaproxyDriver } from '../src/lb/haproxy/driver.js';
import { LB, defaultRule, forward, group, listenerOn, targetOf, tgArn } from '../test/support/lb-http.js';
import { startChild, type ServerChild } from './lib/child.js';
import { topCosts, type CpuProfile } from './lib/profiler.js';
import { nginxConfig } from './lib/nginx-config.js';
import { parseWrk, type WrkResult } from './lib/wrk-output.js';

/**
 * The load balancer's data plane against nginx and against no proxy at all
 * (`npm run bench:lb`), on 127.0.0.1, measured with wrk. See docs/benchmarks.md.
 *
 * Processes: the 3 backends (bench/lb-backends.ts, node:http, 64-byte body, keep-alive) in one
 * child; Berth's data plane alone (bench/lb-serve.ts: a BuiltInDriver applied with a hand-built
 * model) in another; nginx (/usr/sbin/nginx) as a reverse proxy to the same backends, twice —
 * `worker_processes 1` (one process, like Berth) and `worker_processes auto` — from configs in a
 * temp dir; HAProxy (/usr/sbin/haproxy) programmed by Berth's HaproxyDriver (src/lb/haproxy/) from
 * the same hand-built model as lb-serve.ts (HAProxy's default threads: one per CPU); wrk
 * (/usr/bin/wrk) as the load generator.
 *
 * Targets: direct to one backend (the baseline), nginx ×1, nginx auto, Berth, Berth → HAProxy. Cases: keep-alive
 * (`wrk -t2 -c32`) and a new client connection per request (`-H 'Connection: close'`; the proxies
 * keep their own keep-alive connections to the backends). Each target gets a warm-up, then a
 * measured wrk run; with several rounds the order of the targets alternates and the medians are
 * reported.
 *
 * Environment: BENCH_SECONDS (measured seconds per target and case, default 10), BENCH_WARMUP
 * (default 2), BENCH_ROUNDS (default 1), BENCH_THREADS (wrk -t, default 2), BENCH_CONNECTIONS
 * (wrk -c, default 32), BENCH_CASES (`keepalive,close`), BENCH_PROFILE (`auto`, the default: a CPU
 * profile of Berth under keep-alive load when it served fewer requests/s than nginx ×1; `1`:
 * always; `0`: never).
 */
const env = process.env;
const seconds = Number(env.BENCH_SECONDS ?? 10);
const warmupSeconds = Number(env.BENCH_WARMUP ?? 2);
const rounds = Number(env.BENCH_ROUNDS ?? 1);
const threads = Number(env.BENCH_THREADS ?? 2);
const connections = Number(env.BENCH_CONNECTIONS ?? 32);
const profileMode = env.BENCH_PROFILE ?? 'auto';
const NGINX = '/usr/sbin/nginx';
const WRK = '/usr/bin/wrk';
const HAPROXY = '/usr/sbin/haproxy';

type CaseName = 'keepalive' | 'close';
const CASES: readonly CaseName[] = (env.BENCH_CASES ?? 'keepalive,close')
  .split(',')
  .map((c) => c.trim())
  .filter((c): c is CaseName => c === 'keepalive' || c === 'close');
const CASE_LABEL: Record<CaseName, string> = {
  keepalive: 'keep-alive',
  close: 'Connection: close',
};

type TargetName = 'direct' | 'nginx-1' | 'nginx-auto' | 'berth' | 'haproxy';
const TARGET_LABEL: Record<TargetName, string> = {
  direct: 'direct (one backend)',
  'nginx-1': 'nginx, worker_processes 1',
  'nginx-auto': 'nginx, worker_processes auto',
  berth: 'Berth (BuiltInDriver)',
  haproxy: 'Berth → HAProxy (HaproxyDriver)',
};

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');
const profileDir = join(resultsDir, 'profiles');

// --- process bookkeeping: everything started is stopped, on success, failure or Ctrl-C ---

const cleanups: (() => Promise<void>)[] = [];
const livePids = new Set<number>();
/** Last resort, synchronous: whatever is still running when this process exits gets SIGKILL. */
process.on('exit', () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping everything started\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop()!;
    await step().catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));
  }
}

async function child<T extends { pid: number }>(
  script: string,
  args: readonly string[] = [],
  nodeFlags: readonly string[] = [],
): Promise<ServerChild<T>> {
  const started = await startChild<T>(join(here, script), args, nodeFlags);
  livePids.add(started.info.pid);
  cleanups.push(async () => {
    await started.stop();
    livePids.delete(started.info.pid);
  });
  return started;
}

// --- nginx ---

interface Nginx {
  readonly port: number;
  readonly pid: number;
  readonly workers: string;
  /** CPU seconds of the master and its workers so far. */
  cpuSeconds(): number;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, proc: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`${what} exited before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${port} within 10 s`);
}

function procCpuSeconds(pid: number): number {
  try {
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

async function startNginx(workers: string, backendPorts: readonly number[]): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), `berth-bench-nginx-${workers}-`));
  cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, workers, backendPorts));
  // -e: the error log before the config is read (else the default path under /var/log).
  const proc = spawn(NGINX, ['-e', 'stderr', '-p', `${dir}/`, '-c', conf], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = proc.pid;
  if (pid === undefined) throw new Error('nginx did not start');
  livePids.add(pid);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM'); // nginx's fast shutdown: the master stops its workers, then exits
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    livePids.delete(pid);
  });
  await waitForPort(port, proc, `nginx (worker_processes ${workers})`);
  return {
    port,
    pid,
    workers,
    cpuSeconds: () => [pid, ...childPids(pid)].reduce((sum, p) => sum + procCpuSeconds(p), 0),
  };
}

// --- HAProxy, programmed by the driver ---

interface Haproxy {
  readonly port: number;
  readonly pid: number;
  cpuSeconds(): number;
}

/** The HaproxyDriver applied with lb-serve.ts's model: one internal listener, one group of the backends. */
async function startHaproxy(backendPorts: readonly number[]): Promise<Haproxy> {
  const workDir = mkdtempSync(join(tmpdir(), 'berth-bench-haproxy-'));
  cleanups.push(() => Promise.resolve(rmSync(workDir, { recursive: true, force: true })));
  const log = pino({ level: env.BERTH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const driver = new HaproxyDriver({ sink: () => Promise.resolve(), log, workDir, haproxyBinary: HAPROXY });
  cleanups.push(() => driver.close());
  const port = await freePort();
  const { faults } = await driver.apply({
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
  });
  if (faults.length > 0) throw new Error(`HAProxy listener faults: ${JSON.stringify(faults)}`);
  // The driver's HAProxy master is this process's child; its workers are the master's.
  const master = childPids(process.pid).find(
    (pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'haproxy',
  );
  if (master === undefined) throw new Error('no haproxy master among the children');
  return {
    port,
    pid: master,
    cpuSeconds: () => [master, ...childPids(master)].reduce((sum, p) => sum + procCpuSeconds(p), 0),
  };
}

// --- wrk ---

function wrkArgs(c: CaseName, port: number, durationSeconds: number): string[] {
  return [
    `-t${threads}`,
    `-c${connections}`,
    `-d${durationSeconds}s`,
    '--latency',
    ...(c === 'close' ? ['-H', 'Connection: close'] : []),
    `http://127.0.0.1:${port}/`,
  ];
}

async function wrk(c: CaseName, port: number, durationSeconds: number): Promise<WrkResult> {
  const proc = spawn(WRK, wrkArgs(c, port, durationSeconds), { stdio: ['ignore', 'pipe', 'inherit'] });
  if (proc.pid !== undefined) livePids.add(proc.pid);
  let out = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (exitCode) => resolve(exitCode));
  });
  if (proc.pid !== undefined) livePids.delete(proc.pid);
  if (code !== 0) throw new Error(`wrk exited ${code}:\n${out}`);
  return parseWrk(out);
}

// --- the run ---

interface Measurement {
  readonly round: number;
  readonly case: CaseName;
  readonly target: TargetName;
  readonly wrk: WrkResult;
  /** CPU µs per request of the proxy's process(es) (undefined for direct), and of the backends'. */
  readonly proxyCpuUsPerRequest: number | undefined;
  readonly backendCpuUsPerRequest: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fixed = (n: number | undefined, digits: number): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
const ms = (n: number): string => fixed(n, n < 10 ? 2 : 1);
const signedMs = (n: number): string => `${n >= 0 ? '+' : '−'}${ms(Math.abs(n))}`;

interface Summary {
  readonly case: CaseName;
  readonly target: TargetName;
  readonly rps: number;
  readonly rpsMin: number;
  readonly rpsMax: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly proxyCpuUsPerRequest: number | undefined;
  readonly backendCpuUsPerRequest: number;
}

function summarize(all: readonly Measurement[], c: CaseName, target: TargetName): Summary | undefined {
  const ms = all.filter((m) => m.case === c && m.target === target);
  if (ms.length === 0) return undefined;
  const rps = ms.map((m) => m.wrk.rps);
  const proxyCpu = ms.flatMap((m) => (m.proxyCpuUsPerRequest === undefined ? [] : [m.proxyCpuUsPerRequest]));
  return {
    case: c,
    target,
    rps: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50: median(ms.map((m) => m.wrk.p50)),
    p99: median(ms.map((m) => m.wrk.p99)),
    errors: ms.reduce((sum, m) => {
      const e = m.wrk.socketErrors;
      return sum + e.connect + e.read + e.write + e.timeout + m.wrk.non2xx;
    }, 0),
    proxyCpuUsPerRequest: proxyCpu.length === 0 ? undefined : median(proxyCpu),
    backendCpuUsPerRequest: median(ms.map((m) => m.backendCpuUsPerRequest)),
  };
}

/** Self time by module (a package under node_modules, a file of src/, or Node's internals). */
function selfByModule(profile: CpuProfile, limit: number): { percent: number; name: string }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const moduleOf = (url: string, fn: string): string => {
    if (url === '') return fn.startsWith('(') ? fn : '(native / V8)';
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1]!;
    const own = /\/((?:src|bench|test)\/.*)$/.exec(url);
    if (own) return own[1]!;
    if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').replace(/\/[^/]*$/, '');
    return url;
  };
  const time = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    const dt = profile.timeDeltas[i] ?? 0;
    const name = moduleOf(node.callFrame.url, node.callFrame.functionName);
    time.set(name, (time.get(name) ?? 0) + dt);
    total += dt;
  });
  return [...time]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, t]) => ({ percent: (100 * t) / total, name }));
}

async function main(): Promise<void> {
  if (CASES.length === 0) throw new Error('BENCH_CASES names no case (keepalive, close)');
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg();
  process.stderr.write(
    `bench:lb — ${CASES.join(', ')}; wrk -t${threads} -c${connections}, ${warmupSeconds} s warm-up + ${seconds} s per target, ${rounds} round(s); load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}\n`,
  );

  const backends = await child<{ ports: number[]; pid: number }>('lb-backends.ts');
  const backendPorts = backends.info.ports;
  const berth = await child<{ port: number; pid: number }>(
    'lb-serve.ts',
    backendPorts.map(String),
    env.BENCH_NODE_FLAGS ? env.BENCH_NODE_FLAGS.split(' ') : [],
  );
  const nginx1 = await startNginx('1', backendPorts);
  const nginxAuto = await startNginx('auto', backendPorts);
  const haproxy = await startHaproxy(backendPorts);

  interface Target {
    readonly name: TargetName;
    readonly port: number;
    readonly cpuUs: (() => Promise<number>) | undefined;
  }
  const targets: Target[] = [
    { name: 'direct', port: backendPorts[0]!, cpuUs: undefined },
    { name: 'nginx-1', port: nginx1.port, cpuUs: () => Promise.resolve(nginx1.cpuSeconds() * 1e6) },
    { name: 'nginx-auto', port: nginxAuto.port, cpuUs: () => Promise.resolve(nginxAuto.cpuSeconds() * 1e6) },
    { name: 'berth', port: berth.info.port, cpuUs: () => berth.cpuUs() },
    { name: 'haproxy', port: haproxy.port, cpuUs: () => Promise.resolve(haproxy.cpuSeconds() * 1e6) },
  ];

  // Every proxy answers through to a backend before anything is measured.
  for (const t of targets) {
    const res = await fetch(`http://127.0.0.1:${t.port}/`);
    const body = await res.text();
    if (res.status !== 200 || body.length !== 64)
      throw new Error(`${t.name} answered ${res.status} '${body}'`);
  }

  process.stderr.write(
    `backends :${backendPorts.join(', :')} (pid ${backends.info.pid}); Berth :${berth.info.port} (pid ${berth.info.pid}); nginx ×1 :${nginx1.port} (pid ${nginx1.pid}); nginx auto :${nginxAuto.port} (pid ${nginxAuto.pid}, ${childPids(nginxAuto.pid).length} workers); HAProxy :${haproxy.port} (master pid ${haproxy.pid})\n`,
  );

  const measurements: Measurement[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, so a burst of background load does not always land on the same target.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const c of CASES) {
      for (const t of order) {
        if (warmupSeconds > 0) await wrk(c, t.port, warmupSeconds);
        const proxyBefore = t.cpuUs ? await t.cpuUs() : undefined;
        const backendBefore = await backends.cpuUs();
        const result = await wrk(c, t.port, seconds);
        const proxyAfter = t.cpuUs ? await t.cpuUs() : undefined;
        const backendAfter = await backends.cpuUs();
        const m: Measurement = {
          round,
          case: c,
          target: t.name,
          wrk: result,
          proxyCpuUsPerRequest:
            proxyBefore === undefined || proxyAfter === undefined
              ? undefined
              : (proxyAfter - proxyBefore) / result.requests,
          backendCpuUsPerRequest: (backendAfter - backendBefore) / result.requests,
        };
        measurements.push(m);
        const e = result.socketErrors;
        process.stderr.write(
          `round ${round + 1} ${CASE_LABEL[c]} ${TARGET_LABEL[t.name]}: ${result.rps.toFixed(0)} req/s, p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms, proxy ${fixed(m.proxyCpuUsPerRequest, 0)} µs/req, errors connect ${e.connect} read ${e.read} write ${e.write} timeout ${e.timeout} non-2xx ${result.non2xx}; load ${loadavg()[0]!.toFixed(2)}\n`,
        );
      }
    }
  }

  // --- the tables ---
  const names = Object.keys(TARGET_LABEL) as TargetName[];
  const summaries = CASES.flatMap((c) =>
    names.flatMap((n) => {
      const s = summarize(measurements, c, n);
      return s ? [s] : [];
    }),
  );
  const get = (c: CaseName, n: TargetName): Summary => summaries.find((s) => s.case === c && s.target === n)!;
  const range = (s: Summary): string =>
    rounds > 1 ? ` (${s.rpsMin.toFixed(0)}–${s.rpsMax.toFixed(0)})` : '';
  const resultsTable = [
    '| Case | Target | req/s | p50 ms | p99 ms | Errors | Proxy CPU µs/req | Backends CPU µs/req |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summaries.map(
      (s) =>
        `| ${CASE_LABEL[s.case]} | ${TARGET_LABEL[s.target]} | ${s.rps.toFixed(0)}${range(s)} | ${ms(s.p50)} | ${ms(s.p99)} | ${s.errors} | ${fixed(s.proxyCpuUsPerRequest, 0)} | ${fixed(s.backendCpuUsPerRequest, 0)} |`,
    ),
  ].join('\n');
  const ratiosTable = [
    '| Case | Berth / nginx ×1 req/s | Berth / nginx auto req/s | Berth-HAProxy / nginx ×1 req/s | Berth-HAProxy / nginx auto req/s | Berth / direct | nginx ×1 / direct | Added p50 / p99 ms: Berth | Berth-HAProxy | nginx ×1 | nginx auto | Proxy CPU per request: Berth / nginx ×1 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...CASES.map((c) => {
      const [d, n1, na, b, h] = [
        get(c, 'direct'),
        get(c, 'nginx-1'),
        get(c, 'nginx-auto'),
        get(c, 'berth'),
        get(c, 'haproxy'),
      ];
      const added = (s: Summary): string => `${signedMs(s.p50 - d.p50)} / ${signedMs(s.p99 - d.p99)}`;
      const cpuRatio =
        b.proxyCpuUsPerRequest !== undefined && n1.proxyCpuUsPerRequest !== undefined
          ? b.proxyCpuUsPerRequest / n1.proxyCpuUsPerRequest
          : Number.NaN;
      return `| ${CASE_LABEL[c]} | ${fixed(b.rps / n1.rps, 2)} | ${fixed(b.rps / na.rps, 2)} | ${fixed(h.rps / n1.rps, 2)} | ${fixed(h.rps / na.rps, 2)} | ${fixed(b.rps / d.rps, 2)} | ${fixed(n1.rps / d.rps, 2)} | ${added(b)} | ${added(h)} | ${added(n1)} | ${added(na)} | ${fixed(cpuRatio, 1)} |`;
    }),
  ].join('\n');
  const loadAtEnd = loadavg();
  const header = `Load balancer, ${startedAt.toISOString()}: wrk -t${threads} -c${connections} -d${seconds}s (+${warmupSeconds} s warm-up), ${rounds} round(s), ${cpus().length} CPUs, Node ${process.version}; load average ${loadAtStart[0]!.toFixed(2)} at the start, ${loadAtEnd[0]!.toFixed(2)} at the end`;
  process.stdout.write(`\n${header}\n\n${resultsTable}\n\n${ratiosTable}\n`);

  // --- the profile ---
  const keepAlive = CASES.includes('keepalive') ? get('keepalive', 'berth') : undefined;
  const slower = keepAlive !== undefined && keepAlive.rps < get('keepalive', 'nginx-1').rps;
  let profile: { file: string; self: unknown; inclusive: unknown; modules: unknown } | undefined;
  if (profileMode === '1' || (profileMode === 'auto' && slower)) {
    mkdirSync(profileDir, { recursive: true });
    const file = join(profileDir, `lb-berth-keepalive-${stamp}.cpuprofile`);
    process.stderr.write(`profiling Berth under keep-alive load for ${seconds} s\n`);
    await berth.command('profile start');
    const profiled = await wrk('keepalive', berth.info.port, seconds);
    const written = await berth.command(`profile stop ${file}`);
    if (written !== file) throw new Error(`profile stop answered '${written}'`);
    const cpu = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const { self, inclusive } = topCosts(cpu, 25);
    const modules = selfByModule(cpu, 15);
    profile = { file, self, inclusive, modules };
    const lines = (list: readonly { percent: number; name: string }[]): string =>
      list.map((l) => `  ${l.percent.toFixed(1).padStart(5)} %  ${l.name}`).join('\n');
    process.stdout.write(
      `\nCPU profile of Berth under keep-alive load (${profiled.rps.toFixed(0)} req/s while profiled): ${file}\nshares of busy time — self, by module:\n${lines(modules)}\nself, by function:\n${lines(self)}\ninclusive:\n${lines(inclusive)}\n`,
    );
  }

  mkdirSync(resultsDir, { recursive: true });
  const json = JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      settings: { seconds, warmupSeconds, rounds, threads, connections, cases: CASES },
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        node: process.version,
        loadAtStart,
        loadAtEnd,
      },
      measurements,
      summaries,
      tables: { results: resultsTable, ratios: ratiosTable },
      profile,
    },
    null,
    2,
  );
  writeFileSync(join(resultsDir, `lb-${stamp}.json`), json);
  writeFileSync(join(resultsDir, 'lb-latest.json'), json);
  process.stderr.write(`results: ${join(resultsDir, `lb-${stamp}.json`)}\n`);
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(
    `bench:lb failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
} finally {
  await cleanUp();
}
