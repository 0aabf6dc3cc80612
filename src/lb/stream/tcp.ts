import net from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ModelListener, ModelLoadBalancer } from '../../core/elbv2/data-plane.js';
import type { ListenerHandle } from '../types.js';
import { bindAddress, listen, type StreamDeps } from './deps.js';
import { defaultForward, route } from './route.js';

/**
 * A TCP listener of a network load balancer, and the plaintext half of a TLS one (tls.ts hands
 * its server here): each accepted connection goes to one target chosen when it opens, and bytes
 * are piped both ways with backpressure. Half-close is kept: a client that sends FIN still gets the
 * target's answer (both sockets allow half-open; `pipe` forwards each end). A connection with no
 * routable target, or whose target cannot be reached, is reset, as ELB does.
 */

/** NLB closes TCP connections idle for 350 s. */
const TCP_IDLE_TIMEOUT_MS = 350_000;
/** How long a target gets to accept the connection before the client is reset. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The server's per-connection event: `connection` for TCP, `secureConnection` after a TLS handshake. */
export type ConnectionEvent = 'connection' | 'secureConnection';

/** Serves `server` (already configured; not yet listening) as `listener`'s port. */
export async function serveStream(
  server: net.Server,
  event: ConnectionEvent,
  listener: ModelListener,
  loadBalancer: ModelLoadBalancer,
  deps: StreamDeps,
): Promise<ListenerHandle> {
  // Replaced by `update`; a connection reads them once, when it opens.
  let forward = defaultForward(listener);
  let loadBalancerArn = loadBalancer.arn;
  const idleMs = deps.tcpIdleTimeoutMs ?? TCP_IDLE_TIMEOUT_MS;

  server.on(event, (client: net.Socket) => {
    const lbArn = loadBalancerArn;
    deps.metrics.connectionOpened(lbArn);
    const routed = route(forward, deps.pools, client.remoteAddress);
    if (routed === undefined) {
      reset(client);
      deps.metrics.connectionClosed(lbArn);
      return;
    }
    const ended = routed.pool.begin(routed.endpoint);
    let open = 2;
    const closed = (): void => {
      if (--open > 0) return;
      ended();
      deps.metrics.connectionClosed(lbArn);
    };
    pipeBothWays(client, routed.endpoint, idleMs, deps, closed);
  });
  await listen(server, listener.port, bindAddress(loadBalancer.scheme));
  // After binding, an error is a failed accept: log it, the listener stays up.
  server.on('error', (err) => deps.log?.warn({ err, listenerArn: listener.arn }, 'listener socket error'));

  return {
    update(next, nextLoadBalancer) {
      forward = defaultForward(next);
      loadBalancerArn = nextLoadBalancer.arn;
    },
    close() {
      // Stops accepting now; resolves once the open connections have ended.
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export function startTcpListener(
  listener: ModelListener,
  loadBalancer: ModelLoadBalancer,
  deps: StreamDeps,
): Promise<ListenerHandle> {
  return serveStream(net.createServer({ allowHalfOpen: true }), 'connection', listener, loadBalancer, deps);
}

/** Connects to the target and pipes both ways; `closed` is called once per socket when it closes. */
function pipeBothWays(
  client: net.Socket,
  target: { readonly address: string; readonly port: number },
  idleMs: number,
  deps: StreamDeps,
  closed: () => void,
): void {
  const upstream = net.connect({ host: target.address, port: target.port, allowHalfOpen: true });
  let connected = false;
  upstream.setTimeout(CONNECT_TIMEOUT_MS);
  upstream.once('connect', () => {
    connected = true;
    upstream.setTimeout(idleMs);
  });
  client.setTimeout(idleMs);
  client.pipe(upstream);
  upstream.pipe(client);

  // Clean ends travel through `pipe`; failures and timeouts take both sockets down.
  const abandon = (): void => {
    if (connected) client.destroy();
    else reset(client);
    upstream.destroy();
  };
  upstream.on('timeout', abandon);
  client.on('timeout', abandon);
  upstream.on('error', (err) => {
    deps.log?.debug({ err, target }, 'target connection failed');
    // The target refused or reset: the client sees a reset too.
    reset(client);
  });
  client.on('error', () => upstream.destroy());
  client.once('close', (hadError) => {
    if (hadError) upstream.destroy();
    closed();
  });
  upstream.once('close', closed);
}

/** Ends a client connection with RST; a TLS session cannot be reset under its record layer, so it is closed. */
function reset(client: net.Socket): void {
  if (client instanceof TLSSocket || client.destroyed) client.destroy();
  else client.resetAndDestroy();
}
