import type { ModelRule } from './data-plane.js';
import type { ForwardConfig, QueryStringPair, RedirectConfig, RuleCondition } from './types.js';

/**
 * How an application load balancer routes one request, as ELB documents it: the listener's rules
 * are tried by priority and the first whose conditions all hold wins (the default rule, last and
 * without conditions, always holds). Within one condition any value may match; across conditions
 * all must. Pure: the HTTP listener (src/lb/http/) builds the request view and acts on the answer.
 */

/** What rule conditions look at in a request. */
export interface RequestView {
  readonly method: string;
  /** The Host header as sent (a port, if any, is ignored). */
  readonly host: string;
  /** The path, without the query string. */
  readonly path: string;
  readonly query: URLSearchParams | readonly (readonly [string, string])[];
  /** By lower-case name, as node:http gives them. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The client's address (IPv4, or IPv4-mapped IPv6 as node reports it). */
  readonly sourceIp: string;
}

export function matchRule(rules: readonly ModelRule[], request: RequestView): ModelRule | undefined {
  return rules.find((rule) => rule.conditions.every((condition) => conditionHolds(condition, request)));
}

export function conditionHolds(condition: RuleCondition, request: RequestView): boolean {
  switch (condition.Field) {
    case 'host-header': {
      const host = hostWithoutPort(request.host);
      return anyGlob(condition.HostHeaderConfig?.Values ?? condition.Values ?? [], host, true);
    }
    case 'path-pattern':
      return anyGlob(condition.PathPatternConfig?.Values ?? condition.Values ?? [], request.path, false);
    case 'http-header': {
      const config = condition.HttpHeaderConfig;
      if (!config) return false;
      const sent = request.headers[config.HttpHeaderName.toLowerCase()];
      const values = sent === undefined ? [] : typeof sent === 'string' ? [sent] : sent;
      return values.some((value) => anyGlob(config.Values, value, true));
    }
    case 'http-request-method':
      return (condition.HttpRequestMethodConfig?.Values ?? []).includes(request.method);
    case 'query-string':
      return (condition.QueryStringConfig?.Values ?? []).some((pair) => queryHas(request.query, pair));
    case 'source-ip':
      return (condition.SourceIpConfig?.Values ?? []).some((cidr) => inCidr(request.sourceIp, cidr));
  }
}

/** The host name of a Host header: `[::1]:8080` → `[::1]`, `example.com:80` → `example.com`. */
export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function anyGlob(patterns: readonly string[], value: string, ignoreCase: boolean): boolean {
  return patterns.some((pattern) => globMatches(pattern, value, ignoreCase));
}

/**
 * ELB's wildcards: `*` any run of characters (also none), `?` exactly one; `\*` and `\?` stand for
 * the characters themselves. The whole value must match.
 */
export function globMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    const next = pattern.charAt(i + 1);
    if (c === '\\' && (next === '*' || next === '?')) {
      source += `\\${next}`;
      i++;
    } else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** A key/value pair (or, without a key, a value under any key) in the query; case-insensitive. */
function queryHas(query: RequestView['query'], pair: QueryStringPair): boolean {
  for (const [key, value] of query) {
    if (pair.Key !== undefined && !globMatches(pair.Key, key, true)) continue;
    if (globMatches(pair.Value, value, true)) return true;
  }
  return false;
}

/** Whether an IPv4 client address lies in an IPv4 CIDR block. IPv6 blocks match no IPv4 client. */
export function inCidr(address: string, cidr: string): boolean {
  const [block, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const base = ipv4ToInt(block ?? '');
  const ip = ipv4ToInt(address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address);
  if (base === undefined || ip === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    return false;
  }
  // `>>> 0` keeps the 32-bit values unsigned; a /0 mask is all zeros.
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ip & mask) >>> 0 === (base & mask) >>> 0;
}

function ipv4ToInt(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** The parts of the original request a redirect's `#{…}` placeholders stand for. */
export interface RedirectSource {
  readonly protocol: 'http' | 'https';
  /** Without the port. */
  readonly host: string;
  readonly port: number;
  /** With its leading `/`. */
  readonly path: string;
  /** Without the leading `?`; empty when the request had none. */
  readonly query: string;
}

/**
 * The Location of a redirect action. ELB's placeholders: `#{protocol}`, `#{host}`, `#{port}`,
 * `#{path}` (the original path without its leading `/`, which is why the default Path is
 * `/#{path}`), `#{query}`. ELB writes the port into the Location even when it is the protocol's
 * default, and leaves off `?` when the query comes out empty.
 */
export function redirectLocation(
  config: RedirectConfig,
  source: RedirectSource,
): { status: 301 | 302; location: string } {
  const fill = (template: string): string =>
    template
      .replaceAll('#{protocol}', source.protocol)
      .replaceAll('#{host}', source.host)
      .replaceAll('#{port}', String(source.port))
      .replaceAll('#{path}', source.path.replace(/^\//, ''))
      .replaceAll('#{query}', source.query);
  const protocol = fill(config.Protocol).toLowerCase();
  const path = fill(config.Path);
  const query = fill(config.Query);
  const location = `${protocol}://${fill(config.Host)}:${fill(config.Port)}${path.startsWith('/') ? path : `/${path}`}${query === '' ? '' : `?${query}`}`;
  return { status: config.StatusCode === 'HTTP_301' ? 301 : 302, location };
}

/**
 * The target group a forward action sends one request to, by weight: `random` in [0, 1) falls in
 * one group's share of the total. A group of weight 0 is never chosen; undefined when all are 0.
 */
export function chooseTargetGroup(config: ForwardConfig, random: number): string | undefined {
  const groups = config.TargetGroups.filter((group) => group.Weight > 0);
  const total = groups.reduce((sum, group) => sum + group.Weight, 0);
  let point = random * total;
  for (const group of groups) {
    if (point < group.Weight) return group.TargetGroupArn;
    point -= group.Weight;
  }
  // Rounding can leave `point` at the very end of the range: that is the last group's share.
  return groups.at(-1)?.TargetGroupArn;
}
