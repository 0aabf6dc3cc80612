import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ModelTarget, ModelTargetGroup, TargetHealthReport } from '../../src/core/elbv2/data-plane.js';
import type { HealthCheck } from '../../src/core/elbv2/types.js';
import { HealthChecker } from '../../src/lb/health/checker.js';

/**
 * The data plane's health checker with real probes on 127.0.0.1: HTTP backends whose answers
 * change, one that never answers, a closed port, TCP checks; what reaches the sink (once per
 * change, with the target's group, id and port) and what `verdict` answers the pools.
 * Intervals run at 1/50 of ELB's: a 10 s interval is 200 ms, a 5 s timeout 100 ms.
 */

const SCALE = 0.02;
const GROUP = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef';

interface Backend {
  readonly port: number;
  /** Requests (HTTP) or connections (TCP) seen so far. */
  hits: number;
  status: number;
  close(): Promise<void>;
}

const opened: { close(): Promise<void> }[] = [];
after(async () => {
  for (const o of opened.reverse()) await o.close();
});

async function httpBackend(status = 200, answer = true): Promise<Backend> {
  const server = http.createServer((req, res) => {
    backend.hits++;
    if (answer) res.writeHead(backend.status).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const backend: Backend = {
    port: (server.address() as net.AddressInfo).port,
    hits: 0,
    status,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  opened.push(backend);
  return backend;
}

async function tcpBackend(): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    backend.hits++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const backend: Backend = {
    port: (server.address() as net.AddressInfo).port,
    hits: 0,
    status: 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  opened.push(backend);
  return backend;
}

/** A port nothing listens on (bound once to find it free, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function healthCheck(over: Partial<HealthCheck> = {}): HealthCheck {
  return {
    protocol: 'HTTP',
    port: 'traffic-port',
    enabled: true,
    path: '/health',
    intervalSeconds: 10,
    timeoutSeconds: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
    httpCode: '200',
    ...over,
  };
}

function target(port: number, over: Partial<ModelTarget> = {}): ModelTarget {
  return { id: '127.0.0.1', port, address: '127.0.0.1', registeredAt: 0, ...over };
}

function group(targets: ModelTarget[], over: Partial<ModelTargetGroup> = {}): ModelTargetGroup {
  return {
    arn: GROUP,
    name: 'web',
    protocol: 'HTTP',
    port: 80,
    targetType: 'ip',
    healthCheck: healthCheck(),
    attributes: {},
    deregistrationDelayMs: 0,
    targets,
    ...over,
  };
}

const USED = new Set([GROUP]);

/** A checker whose sink records every report; `failNext` makes the sink refuse its next call. */
function checker() {
  const reports: TargetHealthReport[] = [];
  const calls: (readonly TargetHealthReport[])[] = [];
  const sink = { failNext: false };
  const hc = new HealthChecker({
    intervalScale: SCALE,
    sink: (batch) => {
      calls.push(batch);
      if (sink.failNext) {
        sink.failNext = false;
        return Promise.reject(new Error('store unavailable'));
      }
      reports.push(...batch);
      return Promise.resolve();
    },
  });
  opened.push(hc);
  return { hc, reports, calls, sink };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('HealthChecker (real probes on 127.0.0.1)', () => {
  it('reports a 200-answering backend healthy with its group, id and port; a 500 makes it unhealthy', async () => {
    const backend = await httpBackend(200);
    const { hc, reports } = checker();
    assert.equal(hc.verdict(GROUP, '127.0.0.1', backend.port), 'initial');
    hc.update([group([target(backend.port)])], USED);

    await until('healthy', () => reports.length === 1);
    assert.deepEqual(reports[0], {
      targetGroupArn: GROUP,
      id: '127.0.0.1',
      port: backend.port,
      state: 'healthy',
    });
    assert.equal(hc.verdict(GROUP, '127.0.0.1', backend.port), 'healthy');

    backend.status = 500;
    await until('unhealthy', () => reports.length === 2);
    assert.deepEqual(reports[1], {
      targetGroupArn: GROUP,
      id: '127.0.0.1',
      port: backend.port,
      state: 'unhealthy',
      reason: 'Target.ResponseCodeMismatch',
      description: 'Health checks failed with these codes: [500]',
    });
    assert.equal(hc.verdict(GROUP, '127.0.0.1', backend.port), 'unhealthy');
    // Further failing checks do not re-report an unchanged verdict.
    const hits = backend.hits;
    await until('more checks', () => backend.hits >= hits + 3);
    assert.equal(reports.length, 2);
  });

  it('sends GET on the health-check path to a backend answering a matcher range', async () => {
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(`${req.method} ${req.url} ${req.headers['user-agent']}`);
      res.writeHead(302).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    opened.push({ close: () => new Promise((r) => server.close(() => r())) });
    const port = (server.address() as net.AddressInfo).port;
    const { hc, reports } = checker();
    hc.update(
      [group([target(port)], { healthCheck: healthCheck({ path: '/ping', httpCode: '200-399' }) })],
      USED,
    );
    await until('healthy', () => reports.length === 1);
    assert.equal(reports[0]?.state, 'healthy');
    assert.equal(paths[0], 'GET /ping ELB-HealthChecker/2.0');
  });

  it('marks a backend that never answers unhealthy with Target.Timeout', async () => {
    const backend = await httpBackend(200, false);
    const { hc, reports } = checker();
    hc.update([group([target(backend.port)])], USED);
    await until('unhealthy', () => reports.length === 1);
    assert.equal(reports[0]?.state, 'unhealthy');
    assert.equal(reports[0]?.reason, 'Target.Timeout');
    assert.equal(reports[0]?.description, 'Request timed out');
  });

  it('marks a closed port unhealthy with Target.FailedHealthChecks', async () => {
    const port = await closedPort();
    const { hc, reports } = checker();
    hc.update([group([target(port)])], USED);
    await until('unhealthy', () => reports.length === 1);
    assert.deepEqual(
      [reports[0]?.state, reports[0]?.reason, reports[0]?.port],
      ['unhealthy', 'Target.FailedHealthChecks', port],
    );
    assert.equal(hc.verdict(GROUP, '127.0.0.1', port), 'unhealthy');
  });

  it('checks a TCP group by opening a connection, on the health-check port when one is set', async () => {
    const probed = await tcpBackend();
    const trafficPort = await closedPort();
    const { hc, reports } = checker();
    const tcpCheck = healthCheck({ protocol: 'TCP', port: String(probed.port) });
    hc.update([group([target(trafficPort)], { protocol: 'UDP', healthCheck: tcpCheck })], USED);
    await until('healthy', () => reports.length === 1);
    assert.equal(reports[0]?.state, 'healthy');
    assert.equal(reports[0]?.port, trafficPort);
    assert.ok(probed.hits >= 2);
  });

  it('stops probing a removed target, and probes neither draining targets nor unused groups', async () => {
    const backend = await httpBackend(200);
    const draining = await httpBackend(200);
    const unused = await httpBackend(200);
    const { hc, reports } = checker();
    const other = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/other/fedcba9876543210';
    const groups = [
      group([target(backend.port), target(draining.port, { drainUntil: Date.now() + 60_000 })]),
      group([target(unused.port)], { arn: other }),
    ];
    hc.update(groups, USED);
    await until('healthy', () => reports.length === 1);

    hc.update([group([])], USED);
    const hits = backend.hits;
    await sleep(600); // three intervals
    assert.ok(backend.hits <= hits + 1, `probed ${backend.hits - hits} times after removal`);
    assert.equal(draining.hits, 0);
    assert.equal(unused.hits, 0);
    assert.equal(hc.verdict(GROUP, '127.0.0.1', backend.port), 'initial');
  });

  it('keeps a target’s state across updates, so an unchanged verdict is not reported again', async () => {
    const backend = await httpBackend(200);
    const { hc, reports } = checker();
    hc.update([group([target(backend.port)])], USED);
    await until('healthy', () => reports.length === 1);
    hc.update([group([target(backend.port)], { healthCheck: healthCheck({ path: '/other' }) })], USED);
    const hits = backend.hits;
    await until('more checks', () => backend.hits >= hits + 3);
    assert.equal(reports.length, 1);
    assert.equal(hc.verdict(GROUP, '127.0.0.1', backend.port), 'healthy');
  });

  it('starts a target the control plane remembers as healthy from healthy, without reporting it', async () => {
    const backend = await httpBackend(200);
    const { hc, reports } = checker();
    hc.update([group([target(backend.port, { health: { state: 'healthy' } })])], USED);
    assert.equal(hc.verdict(GROUP, '127.0.0.1', backend.port), 'healthy');
    await until('checks', () => backend.hits >= 3);
    assert.deepEqual(reports, []);
  });

  it('reports a target without an address unavailable, without probing it', async () => {
    const { hc, reports } = checker();
    hc.update(
      [group([{ id: 'i-0123456789abcdef0', port: 8080, registeredAt: 0 }], { targetType: 'instance' })],
      USED,
    );
    assert.equal(hc.verdict(GROUP, 'i-0123456789abcdef0', 8080), 'unavailable');
    await until('report', () => reports.length === 1);
    assert.equal(reports[0]?.state, 'unavailable');
    assert.equal(reports[0]?.id, 'i-0123456789abcdef0');
  });

  it('re-sends a verdict the sink refused when the model is applied again', async () => {
    const backend = await httpBackend(200);
    const { hc, reports, calls, sink } = checker();
    sink.failNext = true;
    const model = [group([target(backend.port)])];
    hc.update(model, USED);
    await until('the refused call', () => calls.length === 1);
    assert.equal(reports.length, 0);
    // The driver re-applies the model (or another verdict changes): the refused report goes again.
    hc.update(model, USED);
    await until('re-sent', () => reports.length === 1);
    assert.equal(reports[0]?.state, 'healthy');
  });

  it('close() stops every probe', async () => {
    const backend = await httpBackend(200);
    const { hc } = checker();
    hc.update([group([target(backend.port)])], USED);
    await until('checks', () => backend.hits >= 1);
    await hc.close();
    const hits = backend.hits;
    await sleep(500);
    assert.equal(backend.hits, hits);
  });
});
