import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Headers across the proxy: hop-by-hop headers (RFC 9110 §7.6.1, plus those a Connection header
 * names) belong to one connection and are not passed on; ELB's X-Forwarded-* tell the target who
 * the client was.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}

/** The client's address as ELB writes it: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) as plain IPv4. */
export function clientAddress(remoteAddress: string | undefined): string {
  const address = remoteAddress ?? '';
  return address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * X-Forwarded-For gets the client appended (a proxy in front keeps its entries first);
 * X-Forwarded-Proto and -Port are the listener's, replacing whatever the client sent.
 */
export function addForwarded(
  headers: OutgoingHttpHeaders,
  client: string,
  protocol: 'http' | 'https',
  port: number,
): OutgoingHttpHeaders {
  const sent = headers['x-forwarded-for'];
  const before = Array.isArray(sent) ? sent.join(', ') : sent === undefined ? '' : String(sent);
  return {
    ...headers,
    'x-forwarded-for': before === '' ? client : `${before}, ${client}`,
    'x-forwarded-proto': protocol,
    'x-forwarded-port': String(port),
  };
}
