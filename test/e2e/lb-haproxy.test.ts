import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  connect,
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type {
  LoadBalancingModel,
  ModelListener,
  ModelTargetGroup,
  TargetHealthReport,
} from '../../src/core/elbv2/data-plane.js';
import { HaproxyDriver } from '../../src/lb/haproxy/driver.js';
import {
  LB,
  defaultRule,
  fixed,
  forward,
  freePort,
  group,
  listenerOn,
  path,
  rule,
  selfSigned,
  startBackend,
  targetOf,
  type Backend,
} from '../support/lb-http.js';
import { until } from '../support/until.js';

/**
 * The HAProxy driver (src/lb/haproxy/) end to end: a real haproxy programmed from hand-built
 * models, node backends on 127.0.0.1, health checks ten times faster than the groups say (an
 * interval of 5 s → every 500 ms). Skipped without HAProxy (`apt-get install haproxy`).
 */

const HAPROXY = '/usr/sbin/haproxy';
const FAST = { intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2 };

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly peerCn?: string;
}

/** One request on a connection of its own (a reload closes idle keep-alive connections). */
function get(port: number, pathname: string, tls = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: pathname, agent: false, rejectUnauthorized: false };
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const cert = tls ? (res.socket as TLSSocket).getPeerCertificate?.() : undefined;
        const cn = cert?.subject?.CN;
        resolve({ status: res.statusCode ?? 0, body, ...(typeof cn === 'string' ? { peerCn: cn } : {}) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
const nameOf = (answer: Answer): string => (JSON.parse(answer.body) as { name: string }).name;

describe(
  'the HAProxy driver',
  { skip: !existsSync(HAPROXY) && 'haproxy is not installed', timeout: 120_000 },
  () => {
    const workDir = mkdtempSync(join(tmpdir(), 'berth-haproxy-e2e-'));
    const reports: TargetHealthReport[] = [];
    const driver = new HaproxyDriver({
      sink: (r) => {
        reports.push(...r);
        return Promise.resolve();
      },
      log: pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' }),
      workDir,
      haproxyBinary: HAPROXY,
      statsIntervalMs: 200,
      healthCheckScale: 0.1,
    });
    const servers: (Server | NetServer)[] = [];
    const echoSockets = new Set<Socket>();
    const backends: Record<string, Backend> = {};
    let sick: { port: number; served: number };
    let echo: number;
    let httpPort: number;
    let httpsPort: number;
    let tcpPort: number;
    let pem: { cert: string; key: string };

    const fast = (
      g: ModelTargetGroup,
      over: Partial<ModelTargetGroup['healthCheck']> = {},
    ): ModelTargetGroup => ({
      ...g,
      healthCheck: { ...g.healthCheck, ...FAST, ...over },
    });

    /** The model under test; `extraRule` and `drained` are what later tests change. */
    const model = (options: { extraRule?: boolean; drained?: number } = {}): LoadBalancingModel => {
      const web = fast(
        group(
          'web',
          ['web1', 'web2'].map((n) => {
            const port = backends[n]!.port;
            return targetOf(port, port === options.drained ? { drainUntil: Date.now() + 60_000 } : {});
          }),
        ),
      );
      const api = fast(group('api', [targetOf(backends.api!.port)]));
      const mixed = fast(group('mixed', [targetOf(backends.good!.port), targetOf(sick.port)]), {
        path: '/health',
      });
      const tcp: ModelTargetGroup = {
        ...fast(group('tcp', [targetOf(echo)]), { protocol: 'TCP' }),
        protocol: 'TCP',
      };
      const extra = group('extra', [targetOf(backends.extra!.port)]);
      const httpRules = [
        rule([path('/api/*')], forward(api.arn)),
        rule([path('/mixed/*')], forward(mixed.arn)),
        rule([path('/missing')], fixed('404', 'nothing here')),
        ...(options.extraRule ? [rule([path('/extra')], forward(extra.arn))] : []),
        defaultRule(forward(web.arn)),
      ];
      const listeners: ModelListener[] = [
        listenerOn(httpPort, httpRules),
        listenerOn(httpsPort, [defaultRule(forward(api.arn))], {
          protocol: 'HTTPS',
          certificates: [{ arn: 'arn:cert', certificatePem: pem.cert, privateKeyPem: pem.key }],
        }),
        listenerOn(tcpPort, [defaultRule(forward(tcp.arn))], { protocol: 'TCP' }),
      ];
      return {
        loadBalancers: [
          {
            arn: LB,
            name: 'web',
            type: 'application',
            scheme: 'internal',
            dnsName: 'web.elb.localhost',
            listeners,
          },
        ],
        targetGroups: [web, api, mixed, tcp, ...(options.extraRule ? [extra] : [])],
      };
    };

    before(async () => {
      for (const name of ['web1', 'web2', 'api', 'good', 'extra']) {
        backends[name] = await startBackend(name);
        servers.push(backends[name].server);
      }
      // Answers 500 on its health path, 200 (as `sick`) elsewhere.
      const sickServer = createHttpServer((req, res) => {
        if (req.url === '/health') res.statusCode = 500;
        else sick.served++;
        res.end(JSON.stringify({ name: 'sick' }));
      });
      await new Promise<void>((resolve) => sickServer.listen(0, '127.0.0.1', resolve));
      sick = { port: (sickServer.address() as AddressInfo).port, served: 0 };
      servers.push(sickServer);
      const echoServer = createNetServer((socket) => {
        echoSockets.add(socket);
        socket.once('close', () => echoSockets.delete(socket));
        socket.pipe(socket);
      });
      await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
      echo = (echoServer.address() as AddressInfo).port;
      servers.push(echoServer);
      [httpPort, httpsPort, tcpPort] = [await freePort(), await freePort(), await freePort()];
      pem = selfSigned(workDir, 'haproxy.test');
      const { faults } = await driver.apply(model());
      assert.deepEqual(faults, []);
    });

    after(async () => {
      await driver.close();
      for (const s of servers) if ('closeAllConnections' in s) s.closeAllConnections();
      // A net.Server has no closeAllConnections: the echo server's sockets are tracked.
      for (const socket of echoSockets) socket.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      rmSync(workDir, { recursive: true, force: true });
    });

    it('routes path rules to their backends and spreads the default rule over every target', async () => {
      assert.equal(nameOf(await get(httpPort, '/api/users')), 'api');
      const names = new Set<string>();
      for (let i = 0; i < 6; i++) names.add(nameOf(await get(httpPort, '/')));
      assert.deepEqual([...names].sort(), ['web1', 'web2']);
      const seen = JSON.parse((await get(httpPort, '/')).body) as { headers: Record<string, string> };
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(seen.headers['x-forwarded-proto'], 'http');
      assert.equal(seen.headers['x-forwarded-port'], String(httpPort));
    });

    it('answers a fixed response', async () => {
      assert.deepEqual(await get(httpPort, '/missing'), { status: 404, body: 'nothing here' });
    });

    it('reports a target failing its health checks and sends it no traffic', async () => {
      const verdict = await until(
        'the sick target reported unhealthy',
        () => Promise.resolve(reports.find((r) => r.port === sick.port && r.state === 'unhealthy')),
        10_000,
      );
      await until(
        'the good target reported healthy',
        () => Promise.resolve(reports.find((r) => r.port === backends.good!.port && r.state === 'healthy')),
        10_000,
      );
      assert.equal(verdict.reason, 'Target.ResponseCodeMismatch');
      assert.equal(verdict.description, 'Health checks failed with these codes: [500]');
      const before = sick.served;
      for (let i = 0; i < 6; i++) assert.equal(nameOf(await get(httpPort, '/mixed/x')), 'good');
      assert.equal(sick.served, before);
    });

    it('reloads without cutting a request in flight', async () => {
      const slow = get(httpPort, '/slow');
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.deepEqual((await driver.apply(model({ extraRule: true }))).faults, []);
      const answer = await slow;
      assert.equal(answer.status, 200);
      assert.match(nameOf(answer), /^web[12]$/);
      assert.equal(nameOf(await get(httpPort, '/extra')), 'extra');
      // The unhealthy verdict survived the reload (server states are carried over).
      for (let i = 0; i < 4; i++) assert.equal(nameOf(await get(httpPort, '/mixed/x')), 'good');
    });

    it('sends a draining target no new requests', async () => {
      const drained = backends.web2!;
      await driver.apply(model({ extraRule: true, drained: drained.port }));
      const before = drained.served;
      for (let i = 0; i < 6; i++) assert.equal(nameOf(await get(httpPort, '/')), 'web1');
      assert.equal(drained.served, before);
    });

    it('terminates HTTPS with the listener certificate', async () => {
      const answer = await get(httpsPort, '/', true);
      assert.equal(answer.status, 200);
      assert.equal(answer.peerCn, 'haproxy.test');
      assert.equal(nameOf(answer), 'api');
    });

    it('proxies a TCP listener both ways', async () => {
      const socket = connect(tcpPort, '127.0.0.1');
      const echoed = await new Promise<string>((resolve, reject) => {
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          data += chunk;
          if (data === 'ping') resolve(data);
        });
        socket.on('error', reject);
        socket.on('close', () => reject(new Error(`closed after '${data}'`)));
        socket.write('ping');
      });
      socket.destroy();
      assert.equal(echoed, 'ping');
    });

    it('serves metrics under the built-in names', async () => {
      await get(httpPort, '/api/metrics');
      const text = await driver.metricsText();
      assert.match(
        text,
        /^RequestCount\{LoadBalancer="app\/web\/0123456789abcdef",TargetGroup="targetgroup\/api\/0123456789abcdef"\} [1-9]/m,
      );
      assert.match(text, /^HealthyHostCount\{.*TargetGroup="targetgroup\/mixed\/0123456789abcdef"\} 1$/m);
      assert.match(text, /^UnHealthyHostCount\{.*TargetGroup="targetgroup\/mixed\/0123456789abcdef"\} 1$/m);
      assert.match(text, /^HTTPCode_Target_2XX_Count\{/m);
    });
  },
);

describe('the HAProxy driver without HAProxy', () => {
  it('faults every listener with a clear message', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'berth-haproxy-missing-'));
    const driver = new HaproxyDriver({
      sink: () => Promise.resolve(),
      log: pino({ level: 'silent' }),
      workDir,
      haproxyBinary: join(workDir, 'no-haproxy'),
    });
    try {
      const port = await freePort();
      const web = group('web', [targetOf(1)]);
      const { faults } = await driver.apply({
        loadBalancers: [
          {
            arn: LB,
            name: 'web',
            type: 'application',
            scheme: 'internal',
            dnsName: 'web.elb.localhost',
            listeners: [listenerOn(port, [defaultRule(forward(web.arn))])],
          },
        ],
        targetGroups: [web],
      });
      assert.deepEqual(
        faults.map((f) => [f.port, f.message]),
        [[port, `${join(workDir, 'no-haproxy')} not found: install HAProxy`]],
      );
    } finally {
      await driver.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
