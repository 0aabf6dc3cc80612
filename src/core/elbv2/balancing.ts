/**
 * Which target of a group gets the next request or connection, as ELB chooses: only routable
 * targets (see `routableTargets`), then `round_robin` or `least_outstanding_requests`, or — for
 * `source_ip` stickiness — the same target for the same client while it stays routable. Pure: the
 * pools in src/lb/pools.ts keep the cursor and the in-flight counts and pass them in.
 */

export type BalancingAlgorithm = 'round_robin' | 'least_outstanding_requests';

/** The health checker's verdict of a target; 'initial' until its first. */
export type Verdict = 'initial' | 'healthy' | 'unhealthy' | 'unavailable';

export interface BalancedTarget {
  readonly id: string;
  readonly port: number;
  readonly address?: string;
  readonly drainUntil?: number;
}

/**
 * The targets that may get new traffic: not draining and with an address, and of those the
 * healthy ones — or, when none is healthy, all of them (ELB fails open rather than refuse every
 * request). So an `initial` target waits for its first healthy verdict while another serves.
 */
export function routableTargets<T extends BalancedTarget>(
  targets: readonly T[],
  verdictOf: (target: T) => Verdict,
): T[] {
  const candidates = targets.filter((t) => t.drainUntil === undefined && t.address !== undefined);
  const healthy = candidates.filter((t) => verdictOf(t) === 'healthy');
  return healthy.length > 0 ? healthy : candidates;
}

export function targetKey(target: { readonly id: string; readonly port: number }): string {
  return `${target.id}:${target.port}`;
}

export interface Choice<T> {
  readonly target: T;
  /** The cursor to pass to the next choice. */
  readonly cursor: number;
}

/** Round robin: the target at the cursor, and the cursor moved on by one. */
export function pickRoundRobin<T>(routable: readonly T[], cursor: number): Choice<T> | undefined {
  if (routable.length === 0) return undefined;
  const target = routable[cursor % routable.length];
  return target === undefined ? undefined : { target, cursor: (cursor + 1) % routable.length };
}

/**
 * Least outstanding requests: a target with the fewest in flight; ties go round robin from the
 * cursor, so equally idle targets share the load instead of the first one taking it all.
 */
export function pickLeastOutstanding<T extends BalancedTarget>(
  routable: readonly T[],
  cursor: number,
  outstanding: (target: T) => number,
): Choice<T> | undefined {
  let best: T | undefined;
  let bestCount = Infinity;
  for (let i = 0; i < routable.length; i++) {
    const target = routable[(cursor + i) % routable.length];
    if (target === undefined) continue;
    const count = outstanding(target);
    if (count < bestCount) {
      best = target;
      bestCount = count;
    }
  }
  return best === undefined ? undefined : { target: best, cursor: (cursor + 1) % routable.length };
}

/** Either algorithm, by the group's `load_balancing.algorithm.type`. */
export function pickByAlgorithm<T extends BalancedTarget>(
  algorithm: BalancingAlgorithm,
  routable: readonly T[],
  cursor: number,
  outstanding: (target: T) => number,
): Choice<T> | undefined {
  return algorithm === 'least_outstanding_requests'
    ? pickLeastOutstanding(routable, cursor, outstanding)
    : pickRoundRobin(routable, cursor);
}

/**
 * `source_ip` stickiness by rendezvous hashing: each target scores hash(client, target) and the
 * highest wins. A client keeps its target while that target stays routable, and when a target
 * leaves only its own clients move (a plain hash modulo the count would move almost everyone).
 */
export function pickBySourceIp<T extends BalancedTarget>(
  routable: readonly T[],
  client: string,
): T | undefined {
  let best: T | undefined;
  let bestScore = -1;
  for (const target of routable) {
    const score = fnv1a(`${client}|${targetKey(target)}`);
    if (score > bestScore) {
      best = target;
      bestScore = score;
    }
  }
  return best;
}

/** 32-bit FNV-1a: stable across processes and restarts, unlike anything seeded. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
