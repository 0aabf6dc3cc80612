import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import type { ForwardTarget, HttpListenerDeps } from './forward.js';
import { addForwarded, clientAddress, withoutHopByHop } from './headers.js';
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
      headers: stringHeaders(
        addForwarded(upstreamHeaders(req), clientAddress(req.socket.remoteAddress), side.protocol, side.port),
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
    await pipeline(upstream.body, res).catch(() => res.destroy());
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

/** `Expect` is answered by node:http itself (100 Continue) and undici refuses to send it. */
function upstreamHeaders(req: IncomingMessage): ReturnType<typeof withoutHopByHop> {
  const headers = withoutHopByHop(req.headers);
  delete headers.expect;
  return headers;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function stringHeaders(headers: ReturnType<typeof withoutHopByHop>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}
