import type { Endpoint } from '../types.js';

/**
 * lb_cookie stickiness: ELB's `AWSALB` cookie names the target that served the client, so the next
 * request goes there while it stays routable. ELB encrypts the cookie; Berth only encodes it
 * (base64url JSON of group, target id and port) — it names a target, it grants nothing.
 */
export const STICKY_COOKIE = 'AWSALB';

export interface StickyTarget {
  readonly groupArn: string;
  readonly id: string;
  readonly port: number;
}

export function stickyCookie(endpoint: Endpoint, durationSeconds: number): string {
  const value = Buffer.from(
    JSON.stringify({ g: endpoint.groupArn, i: endpoint.id, p: endpoint.port }),
  ).toString('base64url');
  return `${STICKY_COOKIE}=${value}; Max-Age=${durationSeconds}; Path=/`;
}

/** The target the request's `AWSALB` cookie names, if it carries a well-formed one. */
export function stickyTarget(cookieHeader: string | undefined): StickyTarget | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== STICKY_COOKIE) continue;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(rest.join('='), 'base64url').toString('utf8'));
      if (isSticky(parsed)) return { groupArn: parsed.g, id: parsed.i, port: parsed.p };
    } catch {
      // A cookie that does not decode is ignored, as ELB ignores one it cannot decrypt.
    }
  }
  return undefined;
}

function isSticky(value: unknown): value is { g: string; i: string; p: number } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.g === 'string' && typeof v.i === 'string' && typeof v.p === 'number';
}
