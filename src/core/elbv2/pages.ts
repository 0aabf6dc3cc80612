import { encodeToken } from '../pagination.js';
import { validationError } from './faults.js';

/**
 * ELB's Marker/PageSize pagination over an already ordered list (ELB's models are small: tens of
 * load balancers, hundreds of target groups, so Describe reads them whole). A marker is the sort key
 * of the last item given, opaque to clients; one that was never issued is a ValidationError.
 */
export const MAX_PAGE_SIZE = 400;

export function pageOf<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  marker: string | undefined,
  pageSize: number | undefined,
): { readonly items: T[]; readonly NextMarker?: string } {
  const size = pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw validationError(`Page size must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  let start = 0;
  if (marker !== undefined) {
    const after = decodeMarker(marker);
    const index = items.findIndex((item) => keyOf(item) === after);
    // The item may have gone since: continue after where it sorted.
    start = index >= 0 ? index + 1 : items.findIndex((item) => keyOf(item) > after);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + size);
  const last = page[page.length - 1];
  return start + size < items.length && last !== undefined
    ? { items: page, NextMarker: encodeToken([keyOf(last)]) }
    : { items: page };
}

function decodeMarker(marker: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 1 && typeof parsed[0] === 'string') return parsed[0];
  } catch {
    // fall through to the client error below
  }
  throw validationError('Invalid Marker: it must be a NextMarker returned by a previous call');
}

/** `Names` and `LoadBalancerArns` (or the like) are alternatives: at most one may be given. */
export function atMostOne(given: Readonly<Record<string, unknown>>): void {
  const named = Object.entries(given).filter(
    ([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0),
  );
  if (named.length > 1) {
    throw validationError(`${named.map(([k]) => k).join(' and ')} cannot be specified at the same time`);
  }
}
