import { invalidParameter } from '../fault.js';
import type { PlacementStrategy } from './types.js';

/**
 * Rankers: each placement strategy becomes a score per instance, lower is better. The chain's
 * scores form a tuple compared element by element, in the order the strategies were given — never
 * summed or averaged — so "spread by zone, then binpack memory" first picks the least-loaded zone
 * and only then the tightest instance inside it.
 *
 * A ranker is a description; the engine (place.ts) reads its scores from typed-array columns
 * (prepared.ts) with the loops below, one per kind of score, so each loop stays monomorphic.
 */
export type Ranker =
  | { readonly kind: 'random' }
  | { readonly kind: 'binpack'; readonly resource: 'cpu' | 'memory' }
  | { readonly kind: 'spread-instance' }
  | { readonly kind: 'spread-attribute'; readonly name: string };

export const MAX_STRATEGIES = 5;
/** `random` mixes the instance's seeded hash with the task index and this salt. */
export const RANDOM_SALT = 0;
/** The tie-break after the chain mixes it with this one. */
export const TIE_SALT = 1;

/** Refuses what ECS refuses: more than 5 strategies, unknown types, fields a type does not take. */
export function checkStrategies(strategies: readonly PlacementStrategy[]): void {
  compileStrategies(strategies);
}

export function compileStrategies(strategies: readonly PlacementStrategy[]): Ranker[] {
  if (strategies.length > MAX_STRATEGIES)
    throw invalidParameter(`At most ${MAX_STRATEGIES} placement strategies may be given.`);
  return strategies.map((s) => compileOne(s));
}

function compileOne(s: PlacementStrategy): Ranker {
  switch (s.type) {
    case 'random':
      return { kind: 'random' };
    case 'binpack': {
      // The instance with the least of the resource left wins.
      const field = (s.field ?? '').toLowerCase();
      if (field === 'cpu' || field === 'memory') return { kind: 'binpack', resource: field };
      throw invalidParameter(
        `The binpack placement strategy takes field 'cpu' or 'memory', not '${s.field ?? ''}'.`,
      );
    }
    case 'spread': {
      // The group's tasks on the instance, or on all instances with its value of the attribute.
      const field = s.field ?? '';
      if (field === 'instanceId' || field === 'host') return { kind: 'spread-instance' };
      const name = attributeName(field);
      if (name === undefined || name === '')
        throw invalidParameter(
          `The spread placement strategy takes field 'instanceId', 'host' or 'attribute:<name>', not '${field}'.`,
        );
      return { kind: 'spread-attribute', name };
    }
    default:
      throw invalidParameter(`Unknown placement strategy type '${String((s as { type: unknown }).type)}'.`);
  }
}

// The narrowing loops. Each keeps, in place at the front of `candidates[0..count)` and in their
// order, the candidates with the lowest score, and returns how many that is: one pass, restarting
// the kept prefix whenever a lower score appears.

/** The score is `values[instance]` (binpack: what is left; spread(instanceId): the group's tasks). */
export function keepLowestValue(candidates: Int32Array, count: number, values: Float64Array): number {
  let lowest = Infinity;
  let kept = 0;
  for (let j = 0; j < count; j++) {
    const c = candidates[j] as number;
    const s = values[c] as number;
    if (s < lowest) {
      lowest = s;
      kept = 0;
      candidates[kept++] = c;
    } else if (s === lowest) candidates[kept++] = c;
  }
  return kept;
}

/** The score is `tasks[bucket[instance]]` (spread over an attribute's values). */
export function keepLowestBucket(
  candidates: Int32Array,
  count: number,
  bucket: Int32Array,
  tasks: Float64Array,
): number {
  let lowest = Infinity;
  let kept = 0;
  for (let j = 0; j < count; j++) {
    const c = candidates[j] as number;
    const s = tasks[bucket[c] as number] as number;
    if (s < lowest) {
      lowest = s;
      kept = 0;
      candidates[kept++] = c;
    } else if (s === lowest) candidates[kept++] = c;
  }
  return kept;
}

/** Past this many values, sorting the buckets for every task costs more than scanning. */
const MAX_SORTED_BUCKETS = 32;

/**
 * spread(attribute) as the first ranker, whose candidates are all the feasible instances: the
 * feasible ones (`code` 0) of the buckets with the fewest tasks among the buckets that hold a
 * feasible one — what `keepLowestBucket` keeps, found by visiting the buckets from the fewest
 * tasks up and stopping at the first that has any, instead of scoring every feasible instance.
 * With `then` (the next ranker's column, e.g. binpack's), it also keeps only those with the
 * lowest value there, in the same pass. Returns -1 when there are too many buckets for sorting
 * them for every task to pay (the caller scans instead).
 */
export function keepLowestBuckets(
  candidates: Int32Array,
  code: Uint8Array,
  members: { readonly order: Int32Array; readonly start: Int32Array },
  tasks: Float64Array,
  then: Float64Array | undefined,
): number {
  const count = members.start.length - 1;
  if (count > MAX_SORTED_BUCKETS) return -1;
  const byTasks = sortedBuckets(count, tasks);
  const { order, start } = members;
  let kept = 0;
  let lowest = Infinity;
  for (let g = 0; g < count && kept === 0;) {
    const fewest = tasks[byTasks[g] as number] as number;
    for (; g < count && tasks[byTasks[g] as number] === fewest; g++) {
      const b = byTasks[g] as number;
      for (let j = start[b] as number; j < (start[b + 1] as number); j++) {
        const i = order[j] as number;
        if (code[i] !== 0) continue;
        if (then === undefined) candidates[kept++] = i;
        else {
          const s = then[i] as number;
          if (s < lowest) {
            lowest = s;
            kept = 0;
            candidates[kept++] = i;
          } else if (s === lowest) candidates[kept++] = i;
        }
      }
    }
  }
  return kept;
}

/** The buckets by their tasks, fewest first: an insertion sort into a reused array (few buckets). */
const bucketOrder = new Int32Array(MAX_SORTED_BUCKETS);

function sortedBuckets(count: number, tasks: Float64Array): Int32Array {
  for (let b = 0; b < count; b++) {
    const t = tasks[b] as number;
    let at = b;
    for (; at > 0 && (tasks[bucketOrder[at - 1] as number] as number) > t; at--)
      bucketOrder[at] = bucketOrder[at - 1] as number;
    bucketOrder[at] = b;
  }
  return bucketOrder;
}

/**
 * The score is the instance's seeded hash mixed with the task index and `salt` (random, and the
 * tie-break); `seeded` gives the instance's id hash mixed with the call's seed. Two multiplies
 * and shifts per candidate: cheaper than keeping the seeded hashes per call.
 */
export function keepLowestHash(
  candidates: Int32Array,
  count: number,
  seeded: (index: number) => number,
  taskIndex: number,
  salt: number,
): number {
  let lowest = Infinity;
  let kept = 0;
  for (let j = 0; j < count; j++) {
    const c = candidates[j] as number;
    const s = mix32(seeded(c), taskIndex, salt);
    if (s < lowest) {
      lowest = s;
      kept = 0;
      candidates[kept++] = c;
    } else if (s === lowest) candidates[kept++] = c;
  }
  return kept;
}

function attributeName(field: string): string | undefined {
  return field.startsWith('attribute:') ? field.slice('attribute:'.length) : undefined;
}

/** FNV-1a over the string, then a murmur3 finaliser: a well-mixed, replayable 32-bit score. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) {
    h ^= text.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/**
 * A per-instance hash (computed once per placement) combined with a task index: distinct, well
 * mixed numbers per task without hashing a string for every instance and every task.
 */
export function mix32(instanceHash: number, taskIndex: number, salt: number): number {
  return fmix32(instanceHash ^ Math.imul(taskIndex + 1, 0x9e3779b9) ^ Math.imul(salt, 0x85ebca6b));
}

/** murmur3's finaliser. */
function fmix32(input: number): number {
  let h = input;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
