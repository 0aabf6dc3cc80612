import { rejectReason } from '../../src/core/placement/filters.js';
import { explain, take } from '../../src/core/placement/place.js';
import { hash32, mix32 } from '../../src/core/placement/strategies.js';
import type {
  Evaluation,
  InstanceSnapshot,
  PlacementPlan,
  PlacementStrategy,
  RejectReason,
  Rejection,
  TaskDemand,
} from '../../src/core/placement/types.js';

/**
 * The placement engine as first written: every instance scored through closures for every task,
 * nothing indexed. Slow and plainly correct, it is what test/unit/placement-fast.test.ts checks
 * the indexed engine (src/core/placement/place.ts) against, plan for plan.
 */
type Ranker = (instance: InstanceSnapshot, ctx: RankContext) => number;

/** What rankers may ask about the placement so far (tasks of the same group, this call included). */
interface RankContext {
  readonly taskIndex: number;
  /** A well-mixed 32-bit number per instance and task, replayable from the placement's seed. */
  readonly shuffle: (instance: InstanceSnapshot) => number;
  readonly tasksOn: (instanceId: string) => number;
  readonly tasksWithAttribute: (name: string, value: string | undefined) => number;
}

function compileStrategies(strategies: readonly PlacementStrategy[]): Ranker[] {
  return strategies.map((s) => compileOne(s));
}

function spreadAttributes(strategies: readonly PlacementStrategy[]): string[] {
  return strategies.flatMap((s) => {
    const name = s.type === 'spread' ? attributeName(s.field ?? '') : undefined;
    return name === undefined ? [] : [name];
  });
}

function attributeName(field: string): string | undefined {
  return field.startsWith('attribute:') ? field.slice('attribute:'.length) : undefined;
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
      throw new Error(
        `The binpack placement strategy takes field 'cpu' or 'memory', not '${s.field ?? ''}'.`,
      );
    }
    case 'spread': {
      const field = s.field ?? '';
      if (field === 'instanceId' || field === 'host') return (i, ctx) => ctx.tasksOn(i.id);
      const name = attributeName(field);
      if (name === undefined || name === '')
        throw new Error(
          `The spread placement strategy takes field 'instanceId', 'host' or 'attribute:<name>', not '${field}'.`,
        );
      return (i, ctx) => ctx.tasksWithAttribute(name, i.attributes[name]);
    }
    default:
      throw new Error(`Unknown placement strategy type '${String((s as { type: unknown }).type)}'.`);
  }
}

export function referencePlace(
  snapshot: readonly InstanceSnapshot[],
  demand: TaskDemand,
  count: number,
  strategies: readonly PlacementStrategy[],
  seed: string,
): PlacementPlan {
  const rankers: Ranker[] = compileStrategies(strategies.length ? strategies : [{ type: 'random' }]);
  // Per instance: its id's hash (cached across calls) mixed with the seed's; per task that is mixed
  // with the task index — integers only, no string hashed per instance and task.
  const seedHash = hash32(seed);
  const instanceHash = new Map<string, number>(snapshot.map((i) => [i.id, mix32(idHash(i.id), seedHash, 0)]));
  const RANDOM_SALT = 0;
  const TIE_SALT = 1;
  // Instances are immutable; a task taken replaces the instance's entry (see `take`).
  const work = [...snapshot];
  const placedOn = new Map<string, number>(snapshot.map((i) => [i.id, i.groupTasks ?? 0]));
  const attrCounts = new Map<string, Map<string | undefined, number>>();
  for (const name of spreadAttributes(strategies)) {
    const counts = new Map<string | undefined, number>();
    for (const i of snapshot) bump(counts, i.attributes[name], i.groupTasks ?? 0);
    attrCounts.set(name, counts);
  }

  const placements: string[] = [];
  const evaluations: Evaluation[] = [];
  // Feasibility is computed once per call: between two tasks only the instance that took the
  // last one can change, so only its reason is recomputed (and the counts adjusted).
  const reasons = work.map((instance) => rejectReason(instance, demand));
  const rejected: Partial<Record<RejectReason, number>> = {};
  let feasibleCount = 0;
  for (const reason of reasons) {
    if (reason === undefined) feasibleCount++;
    else rejected[reason] = (rejected[reason] ?? 0) + 1;
  }
  const tieHashes = work.map((i) => instanceHash.get(i.id) ?? 0);
  for (let taskIndex = 0; taskIndex < count; taskIndex++) {
    evaluations.push({ feasible: feasibleCount, rejected: { ...rejected } });
    if (feasibleCount === 0) {
      const rejections: Rejection[] = [];
      reasons.forEach((reason, index) => {
        if (reason !== undefined)
          rejections.push({ instanceId: (work[index] as InstanceSnapshot).id, reason });
      });
      return {
        placements,
        unplaced: count - taskIndex,
        failure: explain(rejected, rejections),
        evaluations,
        instances: work,
      };
    }
    const ctx: RankContext = {
      taskIndex,
      shuffle: (i) => mix32(instanceHash.get(i.id) ?? 0, taskIndex, RANDOM_SALT),
      tasksOn: (id) => placedOn.get(id) ?? 0,
      tasksWithAttribute: (name, value) => attrCounts.get(name)?.get(value) ?? 0,
    };
    // The score tuple: the chain's rankers, then a seeded tie-break. Compared element by element
    // and computed lazily: a candidate is scored only as far as it takes to lose to the best.
    const scoreAt = (instance: InstanceSnapshot, index: number, k: number): number =>
      k < rankers.length
        ? (rankers[k] as Ranker)(instance, ctx)
        : mix32(tieHashes[index] as number, taskIndex, TIE_SALT);
    const width = rankers.length + 1;
    const bestScore = new Array<number>(width).fill(0);
    let best = -1;
    for (let index = 0; index < work.length; index++) {
      if (reasons[index] !== undefined) continue;
      const instance = work[index] as InstanceSnapshot;
      let from = 0;
      if (best >= 0) {
        let d = 0;
        let value = 0;
        for (; from < width; from++) {
          value = scoreAt(instance, index, from);
          d = value - (bestScore[from] as number);
          if (d !== 0) break;
        }
        // Equal tuples: the lower instance id wins, so a plan never depends on snapshot order.
        if (d > 0 || (d === 0 && !(instance.id < (work[best] as InstanceSnapshot).id))) continue;
        if (from < width) bestScore[from] = value;
        from++;
      }
      for (let k = from; k < width; k++) bestScore[k] = scoreAt(instance, index, k);
      best = index;
    }
    const chosen = work[best] as InstanceSnapshot;
    const after = take(chosen, demand);
    work[best] = after;
    const now = rejectReason(after, demand);
    if (now !== undefined) {
      reasons[best] = now;
      feasibleCount--;
      rejected[now] = (rejected[now] ?? 0) + 1;
    }
    placements.push(chosen.id);
    bump(placedOn, chosen.id, 1);
    for (const [name, counts] of attrCounts) bump(counts, chosen.attributes[name], 1);
  }
  return { placements, unplaced: 0, evaluations, instances: work };
}

function idHash(id: string): number {
  return hash32(id);
}

function bump<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
