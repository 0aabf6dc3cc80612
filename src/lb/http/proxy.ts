import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { ForwardTarget, HttpListenerDeps } from './forward.js';
import { clientAddress, upstreamRequestHeaders, withoutHopByHop } from './headers.js';
import { errorReply, sendReply } from './replies.js';

/** The listener as the proxied request sees it: for X-Forwarded-* and the metrics' labels. */
export interface ListenerSide {
  readonly loadBalancerArn: string;
  readonly protocol: 'http' | 'https';
  readonly port: number;
}

/**
 * Proxies one request to the chosen target over its keep-alive pool, streaming the body both
 * ways. A target that refuses or drops the connection is answered 502, one silent past the idle
 * timeout 504, as ELB does; once the response has started, a failure can only cut it short.
 */
export async function proxyRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardTarget,
  side: ListenerSide,
  deps: HttpListenerDeps,
): Promise<void> {
  const end = target.pool.begin(target.endpoint);
  const aborter = new AbortController();
  // The client went away before its response was complete: stop the upstream request too.
  res.once('close', () => {
    if (!res.writableFinished) aborter.abort();
  });
  const started = performance.now();
  try {
    const upstream = await deps.upstreams.pool(target.endpoint, target.protocol).request({
      path: pathOf(req.url ?? '/'),
      method: req.method ?? 'GET',
      headers: upstreamRequestHeaders(
        req.headers,
        clientAddress(req.socket.remoteAddress),
        side.protocol,
        side.port,
      ),
      body: hasBody(req) ? req : null,
      signal: aborter.signal,
    });
    deps.metrics.targetResponse(
      side.loadBalancerArn,
      target.group.arn,
      upstream.statusCode,
      (performance.now() - started) / 1000,
    );
    const headers = withoutHopByHop(upstream.headers);
    if (target.setCookie !== undefined) {
      const cookies = headers['set-cookie'];
      headers['set-cookie'] = [...(Array.isArray(cookies) ? cookies : []), target.setCookie];
    }
    res.writeHead(upstream.statusCode, headers);
    await relay(upstream.body, res);
  } catch (error) {
    if (aborter.signal.aborted) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status = statusFor(error);
    deps.log.warn({ err: error, target: target.endpoint, status }, 'target request failed');
    deps.metrics.elbError(side.loadBalancerArn, status);
    sendReply(res, errorReply(status));
  } finally {
    end();
  }
}

/** ELB's answer for a failed target request: 504 when the target timed out, else 502. */
export function statusFor(error: unknown): 502 | 504 {
  const code = (error as { code?: unknown }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 504 : 502;
}

/** An absolute-form request target (`GET http://host/p`) is sent on in origin form. */
function pathOf(url: string): string {
  if (url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return '/';
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Streams the target's response body to the client; resolves once the response is done with
 * (finished, or cut short). A failing body cuts the response; a client that goes away aborts the
 * upstream request (proxyRequest's `close` handler), which destroys the body. Not
 * `stream.pipeline`: it makes an AbortController per call and aborts it when done, which builds a
 * DOMException with a stack trace — about a tenth of the proxy's CPU per request under load.
 */
function relay(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      if (!body.destroyed) body.destroy();
    };
    // The client left while the target's headers were on their way: its `close` has been.
    if (res.destroyed) {
      stop();
      resolve();
      return;
    }
    body.on('error', () => res.destroy());
    res.on('error', stop);
    // ServerResponse emits `close` after `finish`, and when its connection is lost first.
    res.once('close', () => {
      stop();
      resolve();
    });
    body.pipe(res);
  });
}
