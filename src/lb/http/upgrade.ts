import type { IncomingMessage } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import type { ForwardTarget, HttpListenerDeps } from './forward.js';
import { addForwarded, clientAddress } from './headers.js';
import type { ListenerSide } from './proxy.js';
import { errorReply, sendRawReply } from './replies.js';

/**
 * Upgrade requests (WebSocket): the request is written to the target on a connection of its own,
 * then the two sockets are piped together — the target answers the handshake itself, and every
 * frame after it passes through untouched. The pipe counts as one request in flight to the target
 * until either side closes, and ends after the idle timeout with no data either way, as ELB's does.
 */
export function pipeUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: ForwardTarget,
  side: ListenerSide,
  deps: HttpListenerDeps,
): void {
  const end = target.pool.begin(target.endpoint);
  const { address, port } = target.endpoint;
  const upstream: Socket =
    target.protocol === 'https'
      ? connectTls({ host: address, port, rejectUnauthorized: false })
      : connectTcp({ host: address, port });
  let connected = false;
  const fail = (status: 502 | 504): void => {
    deps.metrics.elbError(side.loadBalancerArn, status);
    sendRawReply(client, errorReply(status));
    upstream.destroy();
  };
  upstream.setTimeout(Math.min(10_000, deps.idleTimeoutMs), () => {
    if (connected) {
      upstream.destroy();
      client.destroy();
    } else fail(504);
  });
  upstream.once(target.protocol === 'https' ? 'secureConnect' : 'connect', () => {
    connected = true;
    upstream.setTimeout(deps.idleTimeoutMs);
    upstream.write(requestHead(req, side));
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', (error) => {
    deps.log.warn({ err: error, target: target.endpoint }, 'upgrade connection to target failed');
    if (!connected) fail(502);
    else client.destroy();
  });
  client.on('error', () => upstream.destroy());
  client.once('close', () => upstream.destroy());
  upstream.once('close', () => {
    if (connected) client.destroy();
    end();
  });
}

/** The request line and headers as received (Connection and Upgrade kept), plus X-Forwarded-*. */
function requestHead(req: IncomingMessage, side: ListenerSide): string {
  const headers = addForwarded(
    { ...req.headers },
    clientAddress(req.socket.remoteAddress),
    side.protocol,
    side.port,
  );
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${String(one)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}
