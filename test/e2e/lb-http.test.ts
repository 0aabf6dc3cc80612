import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { pino } from 'pino';
import { Agent, Client, WebSocket, request } from 'undici';
import type { LoadBalancingModel, ModelListener, ModelTargetGroup } from '../../src/core/elbv2/data-plane.js';
import { BuiltInDriver } from '../../src/lb/driver.js';
import {
  ARN,
  LB,
  defaultRule,
  fixed,
  forward,
  freePort,
  group,
  host,
  listenerOn,
  path,
  rule,
  selfSigned,
  startBackend,
  targetOf,
  tgArn,
  type Backend,
  type Seen,
} from '../support/lb-http.js';

/**
 * The built-in HTTP/HTTPS data plane on real sockets (127.0.0.1 only): node:http backends behind a
 * BuiltInDriver applied with hand-built models, asserting what a client and a target see.
 */

describe('built-in HTTP data plane', () => {
  let api: Backend[];
  let admin: Backend;
  let drain: Backend[];
  let driver: BuiltInDriver;
  let httpPort: number;
  let httpsPort: number;
  let refusedPort: number;
  let certDir: string;
  let certs: { cert: string; key: string }[];
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  let listeners: ModelListener[];
  let groups: ModelTargetGroup[];
  const apply = (extra: ModelListener[] = []) =>
    driver.apply({
      loadBalancers: [
        {
          arn: LB,
          name: 'web',
          type: 'application',
          scheme: 'internal',
          dnsName: 'web.elb.localhost',
          listeners: [...listeners, ...extra],
        },
      ],
      targetGroups: groups,
    } satisfies LoadBalancingModel);
  const get = async (
    port: number,
    urlPath: string,
    headers: Record<string, string> = {},
    scheme = 'http',
  ) => {
    const res = await request(`${scheme}://127.0.0.1:${port}${urlPath}`, { dispatcher: agent, headers });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Seen };
  };

  before(async () => {
    api = await Promise.all(['a1', 'a2', 'a3'].map(startBackend));
    admin = await startBackend('admin');
    drain = await Promise.all(['d1', 'd2'].map(startBackend));
    [httpPort, httpsPort, refusedPort] = [await freePort(), await freePort(), await freePort()];
    certDir = mkdtempSync(join(tmpdir(), 'berth-lb-'));
    certs = [selfSigned(certDir, 'localhost'), selfSigned(certDir, 'second')];
    driver = new BuiltInDriver({
      health: { verdict: () => 'healthy', update: () => undefined, close: () => Promise.resolve() },
      log: pino({ level: 'silent' }),
      idleTimeoutMs: 1000,
    });
    groups = [
      group(
        'api',
        api.map((b) => targetOf(b.port)),
      ),
      group('admin', [targetOf(admin.port)]),
      group(
        'drain',
        drain.map((b) => targetOf(b.port)),
      ),
      group('refused', [targetOf(refusedPort)]),
      group('empty', []),
      group('ws', [targetOf(api[0]!.port)]),
    ];
    listeners = [
      listenerOn(httpPort, [
        rule([path('/api/*')], forward(tgArn('api'))),
        rule([host('admin.example.com')], forward(tgArn('admin'))),
        rule([path('/drain/*')], forward(tgArn('drain'))),
        rule([path('/refused')], forward(tgArn('refused'))),
        rule([path('/empty')], forward(tgArn('empty'))),
        rule([path('/ws/*')], forward(tgArn('ws'))),
        rule([path('/old/*')], {
          Type: 'redirect',
          Order: 1,
          RedirectConfig: {
            Protocol: 'HTTPS',
            Port: '443',
            Host: '#{host}',
            Path: '/new/#{path}',
            Query: '#{query}',
            StatusCode: 'HTTP_301',
          },
        }),
        defaultRule(fixed('404', 'nothing here')),
      ]),
      listenerOn(httpsPort, [defaultRule(forward(tgArn('api')))], {
        protocol: 'HTTPS',
        certificates: [
          { arn: `${ARN}:certificate/one`, certificatePem: certs[0]!.cert, privateKeyPem: certs[0]!.key },
        ],
      }),
    ];
    assert.deepEqual(await apply(), { faults: [] });
  });

  after(async () => {
    await driver.close();
    await agent.close();
    await Promise.all(
      [...api, admin, ...drain].map((b) => new Promise((resolve) => b.server.close(resolve))),
    );
    rmSync(certDir, { recursive: true, force: true });
  });

  it('routes by path to the target group of the matching rule, round robin across its targets', async () => {
    const names = [];
    for (let i = 0; i < 6; i++) names.push((await get(httpPort, `/api/item/${i}`)).json().name);
    assert.deepEqual(names.toSorted(), ['a1', 'a1', 'a2', 'a2', 'a3', 'a3']);
  });

  it('routes by host header', async () => {
    const res = await get(httpPort, '/anything', { host: 'ADMIN.example.com:8080' });
    assert.equal(res.json().name, 'admin');
  });

  it('answers the default rule’s fixed response', async () => {
    const res = await get(httpPort, '/nowhere');
    assert.equal(res.status, 404);
    assert.equal(res.text, 'nothing here');
    assert.match(String(res.headers['content-type']), /^text\/plain/);
  });

  it('redirects with the placeholders filled in', async () => {
    const res = await get(httpPort, '/old/page?x=1', { host: 'example.com' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, 'https://example.com:443/new/old/page?x=1');
  });

  it('tells the target the client, protocol and port in X-Forwarded-*', async () => {
    const seen = (await get(httpPort, '/api/h', { 'x-forwarded-for': '198.51.100.1' })).json().headers;
    assert.equal(seen['x-forwarded-for'], '198.51.100.1, 127.0.0.1');
    assert.equal(seen['x-forwarded-proto'], 'http');
    assert.equal(seen['x-forwarded-port'], String(httpPort));
  });

  it('answers 502 when the target refuses the connection', async () => {
    assert.equal((await get(httpPort, '/refused')).status, 502);
  });

  it('answers 503 when the group has no routable target', async () => {
    assert.equal((await get(httpPort, '/empty')).status, 503);
  });

  it('answers 504 when the target does not answer within the idle timeout', async () => {
    const started = Date.now();
    assert.equal((await get(httpPort, '/api/hang')).status, 504);
    assert.ok(Date.now() - started >= 900, 'after the idle timeout, not before');
  });

  it('sends a draining target no new requests while its in-flight one finishes', async () => {
    const slow = get(httpPort, '/drain/slow');
    while (!drain.some((b) => b.inFlight > 0)) await new Promise((resolve) => setTimeout(resolve, 10));
    const busy = drain.find((b) => b.inFlight > 0)!;
    const other = drain.find((b) => b !== busy)!;
    const drainGroup = groups.find((g) => g.name === 'drain')!;
    groups = groups.map((g) =>
      g !== drainGroup
        ? g
        : {
            ...g,
            targets: g.targets.map((t) =>
              t.port === busy.port ? { ...t, drainUntil: Date.now() + 60_000 } : t,
            ),
          },
    );
    await apply();
    for (let i = 0; i < 4; i++) assert.equal((await get(httpPort, '/drain/fast')).json().name, other.name);
    const finished = await slow;
    assert.equal(finished.status, 200);
    assert.equal(finished.json().name, busy.name);
  });

  it('carries a WebSocket round trip through the proxy', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws/echo`);
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send('hello through the balancer');
      ws.onmessage = (event) => resolve(String(event.data));
      ws.onerror = () => reject(new Error('websocket failed'));
    });
    assert.equal(echoed, 'hello through the balancer');
    await new Promise<void>((resolve) => {
      ws.onclose = () => resolve();
      ws.close();
    });
  });

  it('terminates HTTPS with the listener’s certificate and swaps it live', async () => {
    const res = await get(httpsPort, '/secure', {}, 'https');
    assert.equal(res.status, 200);
    assert.equal(res.json().headers['x-forwarded-proto'], 'https');
    const subject = async () =>
      new Promise<string>((resolve, reject) => {
        const socket = connectTls({ host: '127.0.0.1', port: httpsPort, rejectUnauthorized: false }, () => {
          resolve(String(socket.getPeerCertificate().subject.CN));
          socket.end();
        });
        socket.on('error', reject);
      });
    assert.equal(await subject(), 'localhost');
    listeners = listeners.map((l) =>
      l.port !== httpsPort
        ? l
        : {
            ...l,
            certificates: [
              { arn: `${ARN}:certificate/two`, certificatePem: certs[1]!.cert, privateKeyPem: certs[1]!.key },
            ],
          },
    );
    assert.deepEqual(await apply(), { faults: [] });
    assert.equal(await subject(), 'second');
  });

  it('reports an HTTPS listener whose certificate has no PEM material as a fault', async () => {
    const port = await freePort();
    const bare = listenerOn(port, [defaultRule(fixed('200', 'x'))], {
      protocol: 'HTTPS',
      certificates: [{ arn: `${ARN}:certificate/none` }],
    });
    const { faults } = await apply([bare]);
    assert.deepEqual(
      faults.map((f) => f.port),
      [port],
    );
    assert.equal((await get(httpPort, '/nowhere')).status, 404, 'the other listeners still serve');
  });

  it('reports a port in use as a listener fault and keeps serving the others', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const { faults } = await apply([listenerOn(taken, [defaultRule(fixed('200', 'x'))])]);
      assert.equal(faults.length, 1);
      assert.equal(faults[0]!.port, taken);
      assert.match(faults[0]!.message, /EADDRINUSE/);
      assert.equal((await get(httpPort, '/nowhere')).status, 404);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('applies new rules on a live keep-alive connection without closing it', async () => {
    // The listener's 1 s idle timeout is announced as Keep-Alive: timeout=1; undici's default 2 s
    // safety margin would drop the connection at once.
    const client = new Client(`http://127.0.0.1:${httpPort}`, { keepAliveTimeoutThreshold: 100 });
    let connects = 0;
    client.on('connect', () => connects++);
    try {
      const first = await client.request({ path: '/api/x', method: 'GET' });
      assert.equal(first.statusCode, 200);
      await first.body.text();
      listeners = listeners.map((l) =>
        l.port !== httpPort
          ? l
          : { ...l, rules: [rule([path('/api/*')], fixed('200', 'moved')), ...l.rules] },
      );
      assert.deepEqual(await apply(), { faults: [] });
      const second = await client.request({ path: '/api/x', method: 'GET' });
      assert.equal(await second.body.text(), 'moved');
      assert.equal(connects, 1, 'both requests went over the same connection');
    } finally {
      await client.close();
    }
  });

  it('exposes RequestCount and host counts for the load balancer', async () => {
    const text = await driver.metricsText();
    assert.match(
      text,
      /RequestCount\{LoadBalancer="app\/web\/0123456789abcdef",TargetGroup="targetgroup\/api\/0123456789abcdef"\} [1-9]/,
    );
    assert.match(text, /HTTPCode_ELB_5XX_Count\{LoadBalancer="app\/web\/0123456789abcdef"\} [1-9]/);
    assert.match(
      text,
      /HealthyHostCount\{LoadBalancer="app\/web\/0123456789abcdef",TargetGroup="targetgroup\/api\/0123456789abcdef"\} 3/,
    );
    // RequestCountPerTarget is RequestCount over the healthy targets, as CloudWatch computes it.
    const count = (name: string): number =>
      Number(
        new RegExp(
          `^${name}\\{LoadBalancer="app/web/0123456789abcdef",TargetGroup="targetgroup/api/0123456789abcdef"\\} (\\S+)$`,
          'm',
        ).exec(text)?.[1],
      );
    assert.ok(count('RequestCount') > 0);
    assert.equal(count('RequestCountPerTarget'), count('RequestCount') / 3);
  });
});
