import { ImportCertificateCommand, type ACMClient } from '@aws-sdk/client-acm';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
  type ProtocolEnum,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Agent, request, WebSocket } from 'undici';
import { acmClient, scratch, selfSigned } from '../support/acm.js';
import { fastDataPlane } from '../support/data-plane.js';
import { elbClient, forwardTo } from '../support/elbv2.js';
import { freePort, startBackend, type Backend } from '../support/lb-http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

/**
 * The built-in load balancer end to end, configured only through Berth's ELBv2 and ACM APIs (the
 * AWS SDKs) on a test server running the data plane with health checks ten times faster than ELB's
 * (interval 5 s → a check every 500 ms). Backends are node servers on 127.0.0.1 registered as `ip`
 * targets; load balancers are `internal`, so every listener binds 127.0.0.1. What is asserted is
 * what a user sees: target health in DescribeTargetHealth, answers through the listeners, the TLS
 * certificate served, bytes echoed, and the metrics on Berth's own port.
 */

const FAST_CHECKS = {
  HealthCheckIntervalSeconds: 5,
  HealthCheckTimeoutSeconds: 2,
  HealthyThresholdCount: 2,
  UnhealthyThresholdCount: 2,
} as const;

describe(
  'the load balancer data plane, configured through the ELBv2 and ACM APIs',
  { timeout: 120_000 },
  () => {
    let berth: TestServer;
    let elb: ElasticLoadBalancingV2Client;
    let acm: ACMClient;
    const dispatcher = new Agent({ keepAliveTimeout: 1000 });
    const servers: Server[] = [];

    before(async () => {
      berth = await startTestServer({ dataPlane: fastDataPlane(), serviceScheduler: { run: false } });
      elb = elbClient(berth);
      acm = acmClient(berth);
    });
    after(async () => {
      elb?.destroy();
      acm?.destroy();
      await dispatcher.close();
      await berth?.close();
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    });

    const backend = async (name: string): Promise<Backend> => {
      const b = await startBackend(name);
      servers.push(b.server);
      return b;
    };
    const suffix = (): string => Math.random().toString(36).slice(2, 8);

    /** An internal load balancer, an `ip` target group and a listener on a free port forwarding to it. */
    const forwarding = async (
      name: string,
      options: {
        type?: 'application' | 'network';
        protocol?: ProtocolEnum;
        certificateArn?: string;
        healthCheckPath?: string;
      } = {},
    ) => {
      const network = options.type === 'network';
      const lb = await elb.send(
        new CreateLoadBalancerCommand({
          Name: `${name}-${suffix()}`,
          Scheme: 'internal',
          Type: options.type ?? 'application',
        }),
      );
      const loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
      const tg = await elb.send(
        new CreateTargetGroupCommand({
          Name: `${name}-${suffix()}`,
          Protocol: network ? 'TCP' : 'HTTP',
          Port: 80,
          TargetType: 'ip',
          ...FAST_CHECKS,
          ...(options.healthCheckPath !== undefined ? { HealthCheckPath: options.healthCheckPath } : {}),
        }),
      );
      const targetGroupArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
      const port = await freePort();
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Protocol: options.protocol ?? (network ? 'TCP' : 'HTTP'),
          Port: port,
          ...(options.certificateArn !== undefined
            ? { Certificates: [{ CertificateArn: options.certificateArn }] }
            : {}),
          DefaultActions: [forwardTo(targetGroupArn)],
        }),
      );
      return { loadBalancerArn, targetGroupArn, port };
    };
    const register = (targetGroupArn: string, ...ports: number[]) =>
      elb.send(
        new RegisterTargetsCommand({
          TargetGroupArn: targetGroupArn,
          Targets: ports.map((Port) => ({ Id: '127.0.0.1', Port })),
        }),
      );
    const health = async (targetGroupArn: string): Promise<TargetHealthDescription[]> =>
      (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })))
        .TargetHealthDescriptions ?? [];
    const stateOf = async (targetGroupArn: string, port: number) =>
      (await health(targetGroupArn)).find((d) => d.Target?.Port === port)?.TargetHealth;
    const allHealthy = (targetGroupArn: string, count: number) =>
      until(`${count} healthy targets`, async () => {
        const described = await health(targetGroupArn);
        const healthy = described.filter((d) => d.TargetHealth?.State === 'healthy');
        return described.length === count && healthy.length === count ? described : undefined;
      });
    /** GET through a listener: the status and which backend answered (its `name`). */
    const get = async (port: number, path = '/'): Promise<{ status: number; name: string }> => {
      const res = await request(`http://127.0.0.1:${port}${path}`, { dispatcher });
      const text = await res.body.text();
      const name = res.statusCode === 200 ? (JSON.parse(text) as { name: string }).name : '';
      return { status: res.statusCode, name };
    };

    it('checks HTTP targets initial → healthy, spreads requests over them, drains one, and counts requests in /metrics', async () => {
      const [a, b] = [await backend('a'), await backend('b')];
      const { loadBalancerArn, targetGroupArn, port } = await forwarding('web', {
        healthCheckPath: '/health',
      });
      // What reached b other than the health checker.
      const trafficToB: string[] = [];
      b.server.on('request', (req: { url?: string }) => {
        if (req.url !== '/health') trafficToB.push(req.url ?? '');
      });
      await elb.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: targetGroupArn,
          Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '60' }],
        }),
      );
      await register(targetGroupArn, a.port, b.port);
      assert.deepEqual(
        (await health(targetGroupArn))
          .map((d) => [d.Target?.Port, d.TargetHealth?.State, d.TargetHealth?.Reason])
          .sort((x, y) => Number(x[0]) - Number(y[0])),
        [a.port, b.port].sort((x, y) => x - y).map((p) => [p, 'initial', 'Elb.RegistrationInProgress']),
      );
      await allHealthy(targetGroupArn, 2);
      // The data plane's own checks made them healthy: each backend saw ELB's health checker.
      assert.ok(a.served > 0 && b.served > 0, 'both backends were probed');

      const answered = new Map<string, number>();
      for (let i = 0; i < 10; i++) {
        const res = await get(port, '/hello');
        assert.equal(res.status, 200);
        answered.set(res.name, (answered.get(res.name) ?? 0) + 1);
      }
      assert.deepEqual([...answered.keys()].sort(), ['a', 'b'], 'every backend answered');

      await elb.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: targetGroupArn,
          Targets: [{ Id: '127.0.0.1', Port: b.port }],
        }),
      );
      assert.deepEqual(
        [(await stateOf(targetGroupArn, b.port))?.State, (await stateOf(targetGroupArn, b.port))?.Reason],
        ['draining', 'Target.DeregistrationInProgress'],
      );
      // The data plane re-reads the model every 100 ms; once it has, b gets no new request.
      await until('requests to go to a only', async () => {
        for (let i = 0; i < 5; i++) if ((await get(port, '/after')).name !== 'a') return undefined;
        return true;
      });
      const seenByB = trafficToB.length;
      for (let i = 0; i < 10; i++) assert.equal((await get(port, '/after')).name, 'a');
      assert.deepEqual(trafficToB.slice(seenByB), [], 'the draining target got no new request');
      assert.equal((await stateOf(targetGroupArn, b.port))?.State, 'draining');

      const metrics = await request(`${berth.endpoint}/metrics`, { dispatcher });
      assert.equal(metrics.statusCode, 200);
      const text = await metrics.body.text();
      const lbDimension = loadBalancerArn.split(':loadbalancer/')[1] ?? '';
      const tgDimension = targetGroupArn.split(':').slice(5).join(':');
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('RequestCount{') &&
            l.includes(`LoadBalancer="${lbDimension}"`) &&
            l.includes(`TargetGroup="${tgDimension}"`),
        );
      assert.ok(line, `RequestCount for ${lbDimension} in:\n${text}`);
      assert.ok(Number(line.split(' ').at(-1)) >= 20, line);
    });

    it('terminates TLS on an HTTPS listener with a certificate imported through ACM', async () => {
      const dir = scratch();
      const pem = selfSigned(dir, 'localhost', { cn: 'localhost', sans: ['localhost'] });
      rmSync(dir, { recursive: true, force: true });
      const imported = await acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(pem.certificatePem),
          PrivateKey: Buffer.from(pem.keyPem),
        }),
      );
      const secure = await backend('secure');
      const { targetGroupArn, port } = await forwarding('tls', {
        protocol: 'HTTPS',
        certificateArn: imported.CertificateArn ?? '',
      });
      await register(targetGroupArn, secure.port);
      const answer = await until('the HTTPS listener to answer', () =>
        new Promise<{ status: number; body: string; cn: unknown }>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: '127.0.0.1',
              port,
              path: '/secret',
              servername: 'localhost',
              ca: pem.certificatePem,
              agent: false,
            },
            (res) => {
              const cn = (res.socket as TLSSocket).getPeerCertificate().subject?.CN;
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (body += chunk));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cn }));
            },
          );
          req.on('error', reject);
          req.end();
          // 503 until the data plane has the registered target (it reads the model every 100 ms).
        }).then((a) => (a.status === 200 ? a : undefined)),
      );
      assert.equal(answer.status, 200);
      assert.equal((JSON.parse(answer.body) as { name: string }).name, 'secure');
      assert.equal(answer.cn, 'localhost');
    });

    it('carries a WebSocket round trip through an HTTP listener', async () => {
      const echo = await backend('echo');
      const { targetGroupArn, port } = await forwarding('ws');
      await register(targetGroupArn, echo.port);
      await until('the listener to answer', async () =>
        (await get(port)).status === 200 ? true : undefined,
      );
      const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
      try {
        const message = new Promise<unknown>((resolve, reject) => {
          ws.addEventListener('message', (event) => resolve(event.data));
          ws.addEventListener('error', () => reject(new Error('WebSocket error')));
        });
        await once(ws as unknown as EventTarget, 'open');
        ws.send('hello through berth');
        assert.equal(await message, 'hello through berth');
      } finally {
        const closed = once(ws as unknown as EventTarget, 'close');
        ws.close();
        await closed;
      }
    });

    it('forwards TCP through a network load balancer to a target its TCP checks made healthy', async () => {
      const echo = createNetServer((socket: Socket) => {
        socket.on('error', () => socket.destroy());
        socket.pipe(socket);
      });
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      const echoPort = (echo.address() as AddressInfo).port;
      try {
        const { targetGroupArn, port } = await forwarding('tcp', { type: 'network' });
        await register(targetGroupArn, echoPort);
        assert.equal((await stateOf(targetGroupArn, echoPort))?.State, 'initial');
        await allHealthy(targetGroupArn, 1);
        const payload = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 251));
        const echoed = await new Promise<Buffer>((resolve, reject) => {
          const client = connect(port, '127.0.0.1');
          const chunks: Buffer[] = [];
          client.on('data', (chunk: Buffer) => chunks.push(chunk));
          client.on('end', () => resolve(Buffer.concat(chunks)));
          client.on('error', reject);
          // Half-close: the echo server's answer still comes back after our FIN.
          client.end(payload);
        });
        assert.equal(echoed.length, payload.length);
        assert.ok(echoed.equals(payload), 'the bytes came back unchanged');
      } finally {
        await new Promise((resolve) => echo.close(resolve));
      }
    });

    it('marks a target unhealthy with Target.ResponseCodeMismatch once its health check answers 500', async () => {
      let failing = false;
      const flaky = createHttpServer((req, res) => {
        if (req.url === '/health' && failing) res.writeHead(500).end('broken');
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"flaky"}');
      });
      servers.push(flaky);
      await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
      const flakyPort = (flaky.address() as AddressInfo).port;
      const { targetGroupArn } = await forwarding('flaky', { healthCheckPath: '/health' });
      await register(targetGroupArn, flakyPort);
      await allHealthy(targetGroupArn, 1);
      failing = true;
      const verdict = await until('the target to turn unhealthy', async () => {
        const state = await stateOf(targetGroupArn, flakyPort);
        return state?.State === 'unhealthy' ? state : undefined;
      });
      assert.equal(verdict.Reason, 'Target.ResponseCodeMismatch');
      assert.equal(verdict.Description, 'Health checks failed with these codes: [500]');
    });
  },
);
