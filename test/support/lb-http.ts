import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type {
  ModelListener,
  ModelRule,
  ModelTarget,
  ModelTargetGroup,
} from '../../src/core/elbv2/data-plane.js';
import type { Action, RuleCondition } from '../../src/core/elbv2/types.js';

/** Backends and model builders for test/e2e/lb-http.test.ts (the built-in HTTP data plane). */

export const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
export const LB = `${ARN}:loadbalancer/app/web/0123456789abcdef`;
export const tgArn = (name: string): string => `${ARN}:targetgroup/${name}/0123456789abcdef`;

/** What a backend answers: its name and the request as it arrived. */
export interface Seen {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

export interface Backend {
  readonly name: string;
  readonly port: number;
  readonly server: Server;
  inFlight: number;
  served: number;
}

/** A backend that answers who it is and what it saw; `/hang` never answers, `/slow` after 600 ms. */
export async function startBackend(name: string): Promise<Backend> {
  const server = createServer();
  const backend: Backend = { name, port: 0, server, inFlight: 0, served: 0 };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    backend.inFlight++;
    res.once('close', () => backend.inFlight--);
    if (req.url?.endsWith('/hang')) return;
    const answer = (): void => {
      backend.served++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name, url: req.url, headers: req.headers }));
    };
    if (req.url?.endsWith('/slow')) setTimeout(answer, 600);
    else answer();
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => echoWebSocket(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(backend, { port: (server.address() as AddressInfo).port });
}

/**
 * The smallest WebSocket echo server: RFC 6455's handshake, then each (short, masked) client frame
 * is sent back unmasked — a close frame too, after which the socket ends.
 */
export function echoWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const accept = createHash('sha1')
    .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let buffered = head;
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 6) {
      const opcode = buffered[0]! & 0x0f;
      const length = buffered[1]! & 0x7f;
      if (buffered.length < 6 + length) return;
      const mask = buffered.subarray(2, 6);
      const payload = Buffer.from(buffered.subarray(6, 6 + length).map((b, i) => b ^ mask[i % 4]!));
      buffered = buffered.subarray(6 + length);
      socket.write(Buffer.concat([Buffer.from([0x80 | opcode, length]), payload]));
      if (opcode === 8) socket.end();
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  onData(Buffer.alloc(0));
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function selfSigned(dir: string, cn: string): { cert: string; key: string } {
  const [cert, key] = [join(dir, `${cn}.crt`), join(dir, `${cn}.key`)];
  const args = `req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=${cn} -keyout ${key} -out ${cert}`;
  execFileSync('/usr/bin/openssl', args.split(' '), { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

// --- the model ---

export const forward = (...arns: string[]): Action => ({
  Type: 'forward',
  Order: 1,
  ForwardConfig: {
    TargetGroups: arns.map((TargetGroupArn) => ({ TargetGroupArn, Weight: 1 })),
    TargetGroupStickinessConfig: { Enabled: false },
  },
});
export const fixed = (StatusCode: string, MessageBody: string): Action => ({
  Type: 'fixed-response',
  Order: 1,
  FixedResponseConfig: { StatusCode, ContentType: 'text/plain', MessageBody },
});
export const path = (...Values: string[]): RuleCondition => ({
  Field: 'path-pattern',
  PathPatternConfig: { Values },
});
export const host = (...Values: string[]): RuleCondition => ({
  Field: 'host-header',
  HostHeaderConfig: { Values },
});

let ruleCount = 0;
export const rule = (conditions: RuleCondition[], action: Action): ModelRule => ({
  arn: `${ARN}:listener-rule/app/web/0123456789abcdef/l/${++ruleCount}`,
  priority: ruleCount,
  isDefault: false,
  conditions,
  actions: [action],
});
export const defaultRule = (action: Action): ModelRule => ({
  arn: `${ARN}:rule/default`,
  isDefault: true,
  conditions: [],
  actions: [action],
});

export const targetOf = (port: number, over: Partial<ModelTarget> = {}): ModelTarget => ({
  id: '127.0.0.1',
  port,
  address: '127.0.0.1',
  registeredAt: 0,
  ...over,
});
export const group = (name: string, targets: ModelTarget[]): ModelTargetGroup => ({
  arn: tgArn(name),
  name,
  protocol: 'HTTP',
  port: 80,
  targetType: 'ip',
  healthCheck: {
    protocol: 'HTTP',
    port: 'traffic-port',
    enabled: true,
    intervalSeconds: 30,
    timeoutSeconds: 5,
    healthyThreshold: 5,
    unhealthyThreshold: 2,
  },
  attributes: { 'load_balancing.algorithm.type': 'round_robin' },
  deregistrationDelayMs: 300_000,
  targets,
});
export const listenerOn = (
  port: number,
  rules: ModelRule[],
  over: Partial<ModelListener> = {},
): ModelListener => ({
  arn: `${ARN}:listener/app/web/0123456789abcdef/${port}`,
  port,
  protocol: 'HTTP',
  certificates: [],
  rules,
  ...over,
});
