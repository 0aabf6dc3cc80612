import { invalidParameter } from '../fault.js';
import type { InstanceSnapshot, PlacementStrategy } from './types.js';

/**
 * Rankers: each placement strategy becomes a function giving a feasible instance a score, lower is
 * better. The chain's scores form a tuple compared element by element, in the order the
 * strategies were given — never summed or averaged — so "spread by zone, then binpack memory"
 * first picks the least-loaded zone and only then the tightest instance inside it.
 */
export type Ranker = (instance: InstanceSnapshot, ctx: RankContext) => number;

/** What rankers may ask about the placement so far (tasks of the same group, this call included). */
export interface RankContext {
  readonly taskIndex: number;
  /** A well-mixed 32-bit number per instance and task, replayable from the placement's seed. */
  readonly shuffle: (instance: InstanceSnapshot) => number;
  readonly tasksOn: (instanceId: string) => number;
  readonly tasksWithAttribute: (name: string, value: string | undefined) => number;
}

export const MAX_STRATEGIES = 5;

/** Refuses what ECS refuses: more than 5 strategies, unknown types, fields a type does not take. */
export function checkStrategies(strategies: readonly PlacementStrategy[]): void {
  if (strategies.length > MAX_STRATEGIES)
    throw invalidParameter(`At most ${MAX_STRATEGIES} placement strategies may be given.`);
  for (const s of strategies) compileOne(s);
}

export function compileStrategies(strategies: readonly PlacementStrategy[]): Ranker[] {
  checkStrategies(strategies);
  return strategies.map((s) => compileOne(s));
}

/** The attribute names `spread(attribute:…)` strategies count tasks by. */
export function spreadAttributes(strategies: readonly PlacementStrategy[]): string[] {
  return strategies.flatMap((s) => {
    const name = s.type === 'spread' ? attributeName(s.field ?? '') : undefined;
    return name === undefined ? [] : [name];
  });
}

function compileOne(s: PlacementStrategy): Ranker {
  switch (s.type) {
    case 'random':
      return (i, ctx) => ctx.shuffle(i);
    case 'binpack': {
      // The instance with the least of the resource left wins.
      const field = (s.field ?? '').toLowerCase();
      if (field === 'cpu') return (i) => i.remainingCpu;
      if (field === 'memory') return (i) => i.remainingMemory;
      throw invalidParameter(
        `The binpack placement strategy takes field 'cpu' or 'memory', not '${s.field ?? ''}'.`,
      );
    }
    case 'spread': {
      const field = s.field ?? '';
      if (field === 'instanceId' || field === 'host') return (i, ctx) => ctx.tasksOn(i.id);
      const name = attributeName(field);
      if (name === undefined || name === '')
        throw invalidParameter(
          `The spread placement strategy takes field 'instanceId', 'host' or 'attribute:<name>', not '${field}'.`,
        );
      return (i, ctx) => ctx.tasksWithAttribute(name, i.attributes[name]);
    }
    default:
      throw invalidParameter(`Unknown placement strategy type '${String((s as { type: unknown }).type)}'.`);
  }
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
