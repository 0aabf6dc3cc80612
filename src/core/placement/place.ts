import { FILTERS, rejectReason } from './filters.js';
import {
  compileStrategies,
  hash32,
  mix32,
  spreadAttributes,
  type RankContext,
  type Ranker,
} from './strategies.js';
import type {
  Evaluation,
  InstanceSnapshot,
  PlacementFailure,
  PlacementPlan,
  PlacementStrategy,
  RejectReason,
  Rejection,
  TaskDemand,
} from './types.js';

/**
 * Places `count` tasks of one demand: for each task, every instance goes through the filters
 * (the first failed check is its rejection, counted by reason), the feasible ones are ordered by
 * the strategy chain's score tuple, and the best takes the task — its remaining CPU, memory and
 * ports are reduced before the next task is placed, so one call never over-commits an instance.
 * With no strategies, ECS's RunTask default applies: random. Ties after the chain are broken by a
 * seeded hash and then the instance id, so the same inputs and seed give the same plan.
 *
 * Pure and synchronous; the snapshot is not modified. The plan's `instances` are what the caller
 * commits with optimistic concurrency on the instances' versions (not this module's concern).
 */
export function place(
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

/** The instance after it takes one task. */
export function take(instance: InstanceSnapshot, demand: TaskDemand): InstanceSnapshot {
  return {
    ...instance,
    remainingCpu: instance.remainingCpu - demand.cpu,
    remainingMemory: instance.remainingMemory - demand.memory,
    usedTcpPorts: [...instance.usedTcpPorts, ...demand.tcpPorts],
    usedUdpPorts: [...instance.usedUdpPorts, ...demand.udpPorts],
    groupTasks: (instance.groupTasks ?? 0) + 1,
  };
}

const FILTER_ORDER: readonly RejectReason[] = FILTERS.map((f) => f.reason);

function explain(
  counts: Partial<Record<RejectReason, number>>,
  rejections: readonly Rejection[],
): PlacementFailure {
  const present = FILTER_ORDER.filter((r) => (counts[r] ?? 0) > 0);
  if (present.length === 0) return { reason: 'NO_INSTANCES', detail: '0 instances', counts, rejections };
  const ordered = [...present].sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0));
  const detail = ordered
    .map((r) => {
      const n = counts[r] ?? 0;
      return `${n} instance${n === 1 ? '' : 's'}: ${r}`;
    })
    .join('; ');
  return { reason: ordered[0] as RejectReason, detail, counts, rejections };
}

/** Hashes of instance ids, kept across calls (ids repeat in every placement); bounded. */
const idHashes = new Map<string, number>();
const ID_HASHES_MAX = 200_000;

function idHash(id: string): number {
  let h = idHashes.get(id);
  if (h === undefined) {
    if (idHashes.size >= ID_HASHES_MAX) idHashes.clear();
    h = hash32(id);
    idHashes.set(id, h);
  }
  return h;
}

function bump<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
