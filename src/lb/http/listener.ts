import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ModelListener, ModelLoadBalancer, ModelRule } from '../../core/elbv2/data-plane.js';
import { hostWithoutPort, matchRule, type RequestView } from '../../core/elbv2/routing.js';
import type { Action } from '../../core/elbv2/types.js';
import type { ListenerHandle } from '../types.js';
import { forwardTarget, type ForwardTarget, type HttpListenerDeps } from './forward.js';
import { clientAddress } from './headers.js';
import { proxyRequest, type ListenerSide } from './proxy.js';
import { errorReply, fixedReply, redirectReply, sendRawReply, sendReply, type Reply } from './replies.js';
import { sameMaterial, tlsMaterial, type TlsMaterial } from './tls.js';
import { pipeUpgrade } from './upgrade.js';

/**
 * One HTTP or HTTPS listener of an application load balancer: a node:http(s) server on the
 * listener's port (loopback for `internal` load balancers) that routes each request by the
 * listener's rules and answers, redirects or forwards it. `update` swaps rules and certificate in
 * place, so open client connections keep working; `close` stops accepting and lets in-flight
 * requests finish for up to the idle timeout before cutting what is left.
 */
export async function startHttpListener(
  listener: ModelListener,
  loadBalancer: ModelLoadBalancer,
  deps: HttpListenerDeps,
): Promise<ListenerHandle> {
  const https = listener.protocol === 'HTTPS';
  let tls: TlsMaterial | undefined = https ? tlsMaterial(listener) : undefined;
  let rules: readonly ModelRule[] = listener.rules;
  let side: ListenerSide = {
    loadBalancerArn: loadBalancer.arn,
    protocol: https ? 'https' : 'http',
    port: listener.port,
  };

  const route = (req: IncomingMessage): { action: Action | undefined; view: RequestView } => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    let query: URLSearchParams | undefined;
    const view: RequestView = {
      method: req.method ?? 'GET',
      host: req.headers.host ?? '',
      path: queryAt === -1 ? url : url.slice(0, queryAt),
      // Parsed only when a query-string condition reads it (most requests meet none).
      get query(): URLSearchParams {
        query ??= new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
        return query;
      },
      headers: req.headers,
      sourceIp: clientAddress(req.socket.remoteAddress),
    };
    const actions = matchRule(rules, view)?.actions;
    const action = actions?.length === 1 ? actions[0] : actions?.toSorted((a, b) => a.Order - b.Order)[0];
    return { action, view };
  };

  /** The load balancer's own answer for a non-forward action, or where a forward goes. */
  const decide = (req: IncomingMessage): Reply | ForwardTarget => {
    const { action, view } = route(req);
    const lb = side.loadBalancerArn;
    if (!action) return elbError(503);
    switch (action.Type) {
      case 'fixed-response':
        deps.metrics.request(lb);
        deps.metrics.fixedResponse(lb);
        return fixedReply(action.FixedResponseConfig);
      case 'redirect': {
        deps.metrics.request(lb);
        deps.metrics.redirect(lb);
        const queryAt = (req.url ?? '').indexOf('?');
        return redirectReply(action.RedirectConfig, {
          protocol: side.protocol,
          host: hostWithoutPort(view.host),
          port: side.port,
          path: view.path,
          query: queryAt === -1 ? '' : (req.url ?? '').slice(queryAt + 1),
        });
      }
      case 'forward': {
        const target = forwardTarget(action.ForwardConfig, deps, view.sourceIp, req.headers.cookie);
        if (!target) return elbError(503);
        deps.metrics.request(lb, target.group.arn);
        return target;
      }
    }
  };
  const elbError = (status: number): Reply => {
    deps.metrics.request(side.loadBalancerArn);
    deps.metrics.elbError(side.loadBalancerArn, status);
    return errorReply(status);
  };

  let closing = false;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // While closing, a keep-alive connection goes as soon as its response is out.
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    const decision = decide(req);
    if ('status' in decision) sendReply(res, decision);
    else void proxyRequest(req, res, decision, side, deps);
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const decision = decide(req);
    if ('status' in decision) sendRawReply(socket, decision);
    else pipeUpgrade(req, socket, head, decision, side, deps);
  };

  const secureServer = tls ? createHttpsServer({ ...tls }, onRequest) : undefined;
  const server = secureServer ?? createHttpServer(onRequest);
  server.keepAliveTimeout = deps.idleTimeoutMs;
  server.on('upgrade', onUpgrade);
  // Every client socket, tracked for the connection metrics and to cut what is left at close.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    deps.metrics.connectionOpened(side.loadBalancerArn);
    socket.once('close', () => {
      sockets.delete(socket);
      deps.metrics.connectionClosed(side.loadBalancerArn);
    });
  });
  server.on('clientError', (error, socket) => {
    deps.metrics.elbError(side.loadBalancerArn, 400);
    if (socket.writable) sendRawReply(socket, errorReply(400));
    else socket.destroy(error);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listener.port, loadBalancer.scheme === 'internal' ? '127.0.0.1' : '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => deps.log.error({ err: error, port: listener.port }, 'listener error'));

  return {
    update(next, nextLoadBalancer) {
      if (tls) {
        const material = tlsMaterial(next);
        if (!sameMaterial(material, tls)) secureServer?.setSecureContext({ ...material });
        tls = material;
      }
      rules = next.rules;
      side = { ...side, loadBalancerArn: nextLoadBalancer.arn };
    },
    close() {
      closing = true;
      return new Promise<void>((resolve) => {
        const grace = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, deps.idleTimeoutMs);
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
