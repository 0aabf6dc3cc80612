import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { ModelCertificate, ModelListener, ModelLoadBalancer } from '../../src/core/elbv2/data-plane.js';
import type { Protocol } from '../../src/core/elbv2/types.js';
import { startStreamListener, type StreamDeps } from '../../src/lb/stream/index.js';
import type { ConnectionMetrics, Endpoint, PoolLookup, TargetPool } from '../../src/lb/types.js';

/**
 * Network load balancer listeners on real sockets (127.0.0.1 only, an `internal` load balancer):
 * TCP connections spread over a group's targets with data intact both ways (a payload far larger
 * than the socket buffers, and a half-close), TLS terminated with a certificate made here, UDP
 * flows with replies back to the right client, live updates that leave open connections alone,
 * and a taken port refused with EADDRINUSE.
 */

const LB: ModelLoadBalancer = {
  arn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/edge/0123456789abcdef',
  name: 'edge',
  type: 'network',
  scheme: 'internal',
  dnsName: 'internal-edge-0123456789abcdef.us-east-1.elb.localhost',
  listeners: [],
};
const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/a/0000000000000001';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/b/0000000000000002';

function listener(
  protocol: Protocol,
  port: number,
  weights: Record<string, number>,
  certificates: ModelCertificate[] = [],
): ModelListener {
  const TargetGroups = Object.entries(weights).map(([arn, w]) => ({ TargetGroupArn: arn, Weight: w }));
  return {
    arn: `arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/net/edge/0123456789abcdef/${port}`,
    port,
    protocol,
    certificates,
    rules: [
      {
        arn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/net/edge/default',
        isDefault: true,
        conditions: [],
        actions: [
          {
            Type: 'forward',
            Order: 1,
            ForwardConfig: { TargetGroups, TargetGroupStickinessConfig: { Enabled: false } },
          },
        ],
      },
    ],
  };
}

/** The test's pool: round robin over fixed endpoints, counting what is in flight. */
class FixedPool implements TargetPool {
  active = 0;
  #next = 0;
  readonly affinityKeys: (string | undefined)[] = [];
  constructor(readonly endpoints: Endpoint[]) {}
  pick(affinityKey?: string): Endpoint | undefined {
    this.affinityKeys.push(affinityKey);
    return this.endpoints[this.#next++ % Math.max(1, this.endpoints.length)];
  }
  sticky(): Endpoint | undefined {
    return undefined;
  }
  begin(): () => void {
    this.active++;
    let ended = false;
    return () => {
      assert.equal(ended, false, 'end called twice');
      ended = true;
      this.active--;
    };
  }
}

function endpoints(groupArn: string, ports: number[]): Endpoint[] {
  return ports.map((port) => ({ groupArn, id: '127.0.0.1', port, address: '127.0.0.1' }));
}

/** Group A with one target `a`, group B with one target `b`. */
function groupsOf(a: { port: number }, b: { port: number }): PoolLookup {
  const pools = new Map([
    [TG_A, new FixedPool(endpoints(TG_A, [a.port]))],
    [TG_B, new FixedPool(endpoints(TG_B, [b.port]))],
  ]);
  return (arn) => pools.get(arn);
}

/** Deps for a listener that must fail to start. */
const unused = (): StreamDeps => ({ pools: () => undefined, metrics: new CountingMetrics() });

class CountingMetrics implements ConnectionMetrics {
  opened = 0;
  closed = 0;
  connectionOpened(lbArn: string): void {
    assert.equal(lbArn, LB.arn);
    this.opened++;
  }
  connectionClosed(): void {
    this.closed++;
  }
}

const toClose: { close(): Promise<void> | void }[] = [];
after(async () => {
  for (const c of toClose.reverse()) await c.close();
});

/** A TCP echo server that keeps half-open sockets, so it finishes echoing after the client's FIN. */
async function tcpEcho(): Promise<{ readonly port: number; connections: number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    backend.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const backend = { port: (server.address() as net.AddressInfo).port, connections: 0 };
  toClose.push({
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
  return backend;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function start(l: ModelListener, pools: PoolLookup, more: Partial<StreamDeps> = {}) {
  const handle = await startStreamListener(l, LB, { pools, metrics: new CountingMetrics(), ...more });
  toClose.push(handle);
  return handle;
}

/** Opens a connection that collects everything it receives. */
async function connect(
  port: number,
): Promise<{ socket: net.Socket; received: () => Buffer; ended: Promise<Buffer> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<Buffer>((resolve, reject) => {
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  toClose.push({ close: () => void socket.destroy() });
  return { socket, received: () => Buffer.concat(chunks), ended };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('TCP listener', () => {
  it('spreads connections over the group’s targets and echoes each one’s data', async () => {
    const [one, two] = [await tcpEcho(), await tcpEcho()];
    const pool = new FixedPool(endpoints(TG_A, [one.port, two.port]));
    const metrics = new CountingMetrics();
    const port = await freePort();
    await start(listener('TCP', port, { [TG_A]: 1 }), (arn) => (arn === TG_A ? pool : undefined), {
      metrics,
    });

    const answers = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const c = await connect(port);
        c.socket.end(`hello ${i}`);
        return (await c.ended).toString();
      }),
    );
    assert.deepEqual(answers, ['hello 0', 'hello 1', 'hello 2', 'hello 3']);
    assert.deepEqual([one.connections, two.connections], [2, 2]);
    assert.deepEqual(pool.affinityKeys, ['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
    await until('connections counted closed', () => metrics.closed === 4 && pool.active === 0);
    assert.equal(metrics.opened, 4);
  });

  it('carries a 16 MiB payload both ways intact, through backpressure and a half-close', async () => {
    const backend = await tcpEcho();
    const pool = new FixedPool(endpoints(TG_A, [backend.port]));
    const port = await freePort();
    await start(listener('TCP', port, { [TG_A]: 1 }), () => pool);

    const payload = randomBytes(16 * 1024 * 1024);
    const c = await connect(port);
    c.socket.end(payload); // FIN after the payload: the echo must still come back whole.
    const echoed = await c.ended;
    assert.equal(echoed.length, payload.length);
    assert.ok(echoed.equals(payload));
  });

  it('resets a client when the group has no routable target, or the target refuses', async () => {
    const empty = new FixedPool([]);
    const refusing = new FixedPool(endpoints(TG_B, [await freePort()]));
    const metrics = new CountingMetrics();
    const port = await freePort();
    const portB = await freePort();
    await start(listener('TCP', port, { [TG_A]: 1 }), () => empty, { metrics });
    await start(listener('TCP', portB, { [TG_B]: 1 }), () => refusing, { metrics });

    for (const p of [port, portB]) {
      const socket = net.connect({ host: '127.0.0.1', port: p });
      const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
        socket.on('error', resolve);
        socket.on('close', () => reject(new Error('closed without a reset')));
      });
      assert.equal(err.code, 'ECONNRESET');
    }
    await until('closed', () => metrics.closed === 2);
    assert.equal(refusing.active, 0);
  });

  it('forwards by weight: a group of weight 0 gets no connection', async () => {
    const [a, b] = [await tcpEcho(), await tcpEcho()];
    const pools = groupsOf(a, b);
    const port = await freePort();
    await start(listener('TCP', port, { [TG_A]: 0, [TG_B]: 5 }), pools);
    for (let i = 0; i < 6; i++) {
      const c = await connect(port);
      c.socket.end('x');
      assert.equal((await c.ended).toString(), 'x');
    }
    assert.deepEqual([a.connections, b.connections], [0, 6]);
  });

  it('update() sends new connections to the new group and leaves an open one on its target', async () => {
    const [a, b] = [await tcpEcho(), await tcpEcho()];
    const pools = groupsOf(a, b);
    const port = await freePort();
    const handle = await start(listener('TCP', port, { [TG_A]: 1 }), pools);

    const first = await connect(port);
    first.socket.write('before ');
    await until('first echo', () => first.received().toString() === 'before ');

    handle.update(listener('TCP', port, { [TG_B]: 1 }), LB);
    const second = await connect(port);
    second.socket.end('new');
    assert.equal((await second.ended).toString(), 'new');

    first.socket.end('after');
    assert.equal((await first.ended).toString(), 'before after');
    assert.deepEqual([a.connections, b.connections], [1, 1]);
  });

  it('close() stops accepting but lets an open connection finish', async () => {
    const backend = await tcpEcho();
    const pool = new FixedPool(endpoints(TG_A, [backend.port]));
    const port = await freePort();
    const handle = await start(listener('TCP', port, { [TG_A]: 1 }), () => pool);
    const open = await connect(port);
    const closed = handle.close();
    const refused = await new Promise<string | undefined>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
      s.on('connect', () => resolve('connected'));
    });
    assert.equal(refused, 'ECONNREFUSED');
    open.socket.end('still here');
    assert.equal((await open.ended).toString(), 'still here');
    await closed;
  });

  it('refuses a port already in use with EADDRINUSE', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    toClose.push({ close: () => new Promise<void>((resolve) => taken.close(() => resolve())) });
    const port = (taken.address() as net.AddressInfo).port;
    await assert.rejects(
      startStreamListener(listener('TCP', port, { [TG_A]: 1 }), LB, unused()),
      (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE',
    );
  });
});

describe('TLS listener', () => {
  let dir: string;
  let certificate: ModelCertificate;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-lb-tls-'));
    const [key, cert] = [join(dir, 'k'), join(dir, 'c')];
    const args = 'req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1'.split(' ');
    await promisify(execFile)('/usr/bin/openssl', [...args, '-keyout', key, '-out', cert]);
    certificate = {
      arn: 'arn:aws:acm:us-east-1:000000000000:certificate/test',
      certificatePem: await readFile(cert, 'utf8'),
      privateKeyPem: await readFile(key, 'utf8'),
    };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('terminates TLS with the listener’s certificate and pipes plaintext to the target', async () => {
    const backend = await tcpEcho();
    const pool = new FixedPool(endpoints(TG_A, [backend.port]));
    const port = await freePort();
    await start(listener('TLS', port, { [TG_A]: 1 }, [certificate]), () => pool);

    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: certificate.certificatePem,
    });
    toClose.push({ close: () => void socket.destroy() });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    assert.equal(socket.getPeerCertificate().subject.CN, 'localhost');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write('over tls');
    await until('echo', () => Buffer.concat(chunks).toString() === 'over tls');
    assert.equal(backend.connections, 1);
    socket.end();
  });

  it('refuses to start without the certificate’s PEM, naming the certificate', async () => {
    const port = await freePort();
    const noPem = { arn: 'arn:aws:acm:us-east-1:000000000000:certificate/missing' };
    await assert.rejects(
      startStreamListener(listener('TLS', port, { [TG_A]: 1 }, [noPem]), LB, unused()),
      /certificate\/missing has no PEM/,
    );
  });
});

describe('UDP listener', () => {
  async function udpEcho(): Promise<{ port: number; datagrams: number }> {
    const socket = dgram.createSocket('udp4');
    const backend = { port: 0, datagrams: 0 };
    socket.on('message', (msg, from) => {
      backend.datagrams++;
      socket.send(msg, from.port, from.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    backend.port = socket.address().port;
    toClose.push({ close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
    return backend;
  }

  async function client(): Promise<{ ask(text: string, port: number): Promise<string> }> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    toClose.push({ close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
    return {
      ask: (text, port) =>
        new Promise((resolve) => {
          socket.once('message', (m) => resolve(m.toString()));
          socket.send(text, port, '127.0.0.1');
        }),
    };
  }

  it('relays datagrams to a target and its replies back to each client; idle flows end', async () => {
    const backend = await udpEcho();
    const pool = new FixedPool(endpoints(TG_A, [backend.port]));
    const metrics = new CountingMetrics();
    const port = await freePort();
    await start(listener('UDP', port, { [TG_A]: 1 }), () => pool, { metrics, udpIdleTimeoutMs: 300 });
    const [one, two] = [await client(), await client()];
    assert.equal(await one.ask('ping 1', port), 'ping 1');
    assert.equal(await two.ask('ping 2', port), 'ping 2');
    assert.equal(await one.ask('again', port), 'again');
    assert.equal(backend.datagrams, 3);
    assert.deepEqual([metrics.opened, pool.active], [2, 2], 'one flow per client');
    await until('idle flows ended', () => metrics.closed === 2 && pool.active === 0);
  });
});
