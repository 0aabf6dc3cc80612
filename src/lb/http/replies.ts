import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { redirectLocation, type RedirectSource } from '../../core/elbv2/routing.js';
import type { FixedResponseConfig, RedirectConfig } from '../../core/elbv2/types.js';

/**
 * What the load balancer answers by itself — fixed responses, redirects and its own errors — as
 * plain data, written either to a ServerResponse or (for an upgrade request) to the raw socket.
 */
export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function fixedReply(config: FixedResponseConfig): Reply {
  const body = config.MessageBody ?? '';
  return {
    status: Number(config.StatusCode),
    headers: { 'content-type': `${config.ContentType ?? 'text/plain'}; charset=utf-8` },
    body,
  };
}

export function redirectReply(config: RedirectConfig, source: RedirectSource): Reply {
  const { status, location } = redirectLocation(config, source);
  return { status, headers: { location, 'content-type': 'text/html' }, body: errorPage(status) };
}

/** ELB's own errors (400, 502, 503, 504) come with a small HTML page, as ELB's do. */
export function errorReply(status: number): Reply {
  return { status, headers: { 'content-type': 'text/html' }, body: errorPage(status) };
}

function errorPage(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  res.end(res.req.method === 'HEAD' ? undefined : reply.body);
}

/** For an upgrade request, whose socket node:http has handed over: HTTP/1.1 by hand, then close. */
export function sendRawReply(socket: Duplex, reply: Reply): void {
  const lines = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`];
  for (const [name, value] of Object.entries(reply.headers)) lines.push(`${name}: ${value}`);
  lines.push(`content-length: ${Buffer.byteLength(reply.body)}`, 'connection: close', '', '');
  socket.end(lines.join('\r\n') + reply.body);
}
