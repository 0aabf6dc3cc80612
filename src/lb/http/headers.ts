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
  const named = connectionTokens(headers.connection);
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name) === true) continue;
    kept[name] = value;
  }
  return kept;
}

/**
 * What a target gets of a client's request headers, built in one pass (this runs for every proxied
 * request): `withoutHopByHop`, less `Expect` (node:http answers 100 Continue itself and undici
 * refuses to send it), plus `addForwarded`'s X-Forwarded-*.
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  client: string,
  protocol: 'http' | 'https',
  port: number,
): Record<string, string | string[]> {
  const named = connectionTokens(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'expect' || named?.has(name) === true)
      continue;
    out[name] = value;
  }
  const sent = out['x-forwarded-for'];
  const before = Array.isArray(sent) ? sent.join(', ') : (sent ?? '');
  out['x-forwarded-for'] = before === '' ? client : `${before}, ${client}`;
  out['x-forwarded-proto'] = protocol;
  out['x-forwarded-port'] = String(port);
  return out;
}

/** The header names a Connection header lists (lower-cased); undefined when it names none. */
function connectionTokens(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  const named = new Set<string>();
  for (const token of String(connection).split(',')) {
    const name = token.trim().toLowerCase();
    // `keep-alive` is hop-by-hop anyway: the common `Connection: keep-alive` needs no set.
    if (name !== '' && name !== 'keep-alive') named.add(name);
  }
  return named.size === 0 ? undefined : named;
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
