import { setTimeout } from 'node:timers/promises';
import type { Fault } from '../core/fault.js';

/**
 * Optimistic concurrency, the retry half: the store refuses a write whose version moved on, and
 * the operation re-reads and tries again after a short jittered pause (so racing replicas drift
 * apart). An attempt answers `LOST` when its versioned write lost; after MAX_ATTEMPTS the
 * operation answers the fault its API model lists for a conflict.
 */
export const LOST: unique symbol = Symbol('lost a write race');
export const MAX_ATTEMPTS = 8;
const PAUSE_MS = 5;

export async function retryOnConflict<T>(
  attempt: (index: number) => Promise<T | typeof LOST>,
  exhausted: () => Fault,
): Promise<T> {
  for (let index = 0; index < MAX_ATTEMPTS; index++) {
    if (index > 0) await setTimeout(PAUSE_MS * index * (0.5 + Math.random()));
    const result = await attempt(index);
    if (result !== LOST) return result;
  }
  throw exhausted();
}
