import { invalidParameter } from '../fault.js';
import type { InstanceSnapshot, PlacementStrategy } from './types.js';

/**
 * Rankers: each placement strategy becomes a column of scores over the instances of one
 * placement, lower is better. The chain's scores form a tuple compared element by element, in the
 * order the strategies were given — never summed or averaged — so "spread by zone, then binpack
 * memory" first picks the least-loaded zone and only then the tightest instance inside it.
 *
 * A column is built once per placement call from the snapshot (typed arrays indexed like it) and
 * told which instance took each task, so scoring an instance for a task is an array read.
 */
export interface RankColumn {
  /**
   * Keeps, in place at the front of `candidates[0..count)`, those with the lowest score for the
   * task `taskIndex` of this call, and returns how many that is. `scratch` is free space as long
   * as `candidates`.
   */
  keepLowest(candidates: Int32Array, count: number, taskIndex: number, scratch: Float64Array): number;
  /** The instance at `index` took a task and is now `after`. */
  took(index: number, after: InstanceSnapshot): void;
}

/**
 * Scores each candidate once (into `scratch`), then keeps those with the lowest score, in their
 * order. Every column's `keepLowest` is this loop over its own score.
 */
export function keepLowest(
  candidates: Int32Array,
  count: number,
  scratch: Float64Array,
  score: (index: number) => number,
): number {
  let lowest = Infinity;
  for (let j = 0; j < count; j++) {
    const s = score(candidates[j] as number);
    scratch[j] = s;
    if (s < lowest) lowest = s;
  }
  let kept = 0;
  for (let j = 0; j < count; j++) if (scratch[j] === lowest) candidates[kept++] = candidates[j] as number;
  return kept;
}

/** Builds a strategy's column over a placement's instances; `hashOf` gives one's seeded hash. */
export type ColumnFactory = (
  instances: readonly InstanceSnapshot[],
  hashOf: (index: number) => number,
) => RankColumn;

export const MAX_STRATEGIES = 5;
/** `random` mixes the instance's seeded hash with the task index and this salt. */
export const RANDOM_SALT = 0;

/** Refuses what ECS refuses: more than 5 strategies, unknown types, fields a type does not take. */
export function checkStrategies(strategies: readonly PlacementStrategy[]): void {
  compileStrategies(strategies);
}

export function compileStrategies(strategies: readonly PlacementStrategy[]): ColumnFactory[] {
  if (strategies.length > MAX_STRATEGIES)
    throw invalidParameter(`At most ${MAX_STRATEGIES} placement strategies may be given.`);
  return strategies.map((s) => compileOne(s));
}

function compileOne(s: PlacementStrategy): ColumnFactory {
  switch (s.type) {
    case 'random':
      return (_, hashOf) => ({
        keepLowest: (candidates, count, taskIndex, scratch) =>
          keepLowest(candidates, count, scratch, (i) => mix32(hashOf(i), taskIndex, RANDOM_SALT)),
        took: () => undefined,
      });
    case 'binpack': {
      // The instance with the least of the resource left wins.
      const field = (s.field ?? '').toLowerCase();
      if (field === 'cpu') return (instances) => remaining(instances, (i) => i.remainingCpu);
      if (field === 'memory') return (instances) => remaining(instances, (i) => i.remainingMemory);
      throw invalidParameter(
        `The binpack placement strategy takes field 'cpu' or 'memory', not '${s.field ?? ''}'.`,
      );
    }
    case 'spread': {
      const field = s.field ?? '';
      if (field === 'instanceId' || field === 'host') return spreadOverInstances;
      const name = attributeName(field);
      if (name === undefined || name === '')
        throw invalidParameter(
          `The spread placement strategy takes field 'instanceId', 'host' or 'attribute:<name>', not '${field}'.`,
        );
      return (instances) => spreadOverAttribute(instances, name);
    }
    default:
      throw invalidParameter(`Unknown placement strategy type '${String((s as { type: unknown }).type)}'.`);
  }
}

function remaining(instances: readonly InstanceSnapshot[], of: (i: InstanceSnapshot) => number): RankColumn {
  const left = new Float64Array(instances.length);
  for (let i = 0; i < instances.length; i++) left[i] = of(instances[i] as InstanceSnapshot);
  return {
    keepLowest: (candidates, count, _, scratch) =>
      keepLowest(candidates, count, scratch, (i) => left[i] as number),
    took: (i, after) => (left[i] = of(after)),
  };
}

/** The group's tasks on the instance, those placed by this call included. */
function spreadOverInstances(instances: readonly InstanceSnapshot[]): RankColumn {
  const tasks = new Float64Array(instances.length);
  for (let i = 0; i < instances.length; i++) tasks[i] = (instances[i] as InstanceSnapshot).groupTasks ?? 0;
  return {
    keepLowest: (candidates, count, _, scratch) =>
      keepLowest(candidates, count, scratch, (i) => tasks[i] as number),
    took: (i) => (tasks[i] = (tasks[i] as number) + 1),
  };
}

/**
 * The group's tasks on all instances with the same value of the attribute (instances without it
 * share one bucket), counted over the whole snapshot — feasible or not — plus this call's.
 */
function spreadOverAttribute(instances: readonly InstanceSnapshot[], name: string): RankColumn {
  const bucketOf = new Map<string | undefined, number>();
  const bucket = new Int32Array(instances.length);
  for (let i = 0; i < instances.length; i++) {
    const value = (instances[i] as InstanceSnapshot).attributes[name];
    let b = bucketOf.get(value);
    if (b === undefined) bucketOf.set(value, (b = bucketOf.size));
    bucket[i] = b;
  }
  const tasks = new Float64Array(bucketOf.size);
  const add = (i: number, by: number): void => {
    const b = bucket[i] as number;
    tasks[b] = (tasks[b] as number) + by;
  };
  for (let i = 0; i < instances.length; i++) add(i, (instances[i] as InstanceSnapshot).groupTasks ?? 0);
  return {
    keepLowest: (candidates, count, _, scratch) =>
      keepLowest(candidates, count, scratch, (i) => tasks[bucket[i] as number] as number),
    took: (i) => add(i, 1),
  };
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
