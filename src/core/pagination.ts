import { invalidParameter } from './fault.js';

/**
 * Opaque `nextToken`s: the sort key of the last item returned, base64url-encoded JSON.
 * Clients must treat them as opaque; a token that does not decode is the client's error.
 */
export function encodeToken(lastKey: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
}

export function decodeToken(token: string | undefined): (string | number)[] | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    // A key with NUL was never issued (inputs cannot carry NUL) and PostgreSQL cannot compare one.
    const isKey = (k: unknown): k is string | number =>
      (typeof k === 'string' && !k.includes('\u0000')) || typeof k === 'number';
    if (Array.isArray(parsed) && parsed.every(isKey)) {
      return parsed;
    }
  } catch {
    // fall through to the client error below
  }
  throw invalidParameter('Invalid nextToken: it must be a token returned by a previous call.');
}

export function pageSize(maxResults: number | undefined, max = 100, fallback = max): number {
  if (maxResults === undefined) return fallback;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > max) {
    throw invalidParameter(`maxResults must be an integer between 1 and ${max}.`);
  }
  return maxResults;
}

/** Cuts one extra row off a query that asked for `limit + 1` rows and makes the token for the rest. */
export function page<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => (string | number)[],
): { items: T[]; nextToken?: string } {
  if (rows.length <= limit) return { items: [...rows] };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return last === undefined ? { items } : { items, nextToken: encodeToken(keyOf(last)) };
}
