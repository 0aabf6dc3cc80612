import { FILTERS } from './filters.js';
import { compileStrategies, hash32, spreadAttributes, type RankContext, type Ranker } from './strategies.js';
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
  const rankers: Ranker[] = compileStrategies(strategies.length ? strategies : [{ type: 'random' }], seed);
  const work = snapshot.map((i) => ({ ...i }));
  const placedOn = new Map<string, number>(snapshot.map((i) => [i.id, i.groupTasks ?? 0]));
  const attrCounts = new Map<string, Map<string | undefined, number>>();
  for (const name of spreadAttributes(strategies)) {
    const counts = new Map<string | undefined, number>();
    for (const i of snapshot) bump(counts, i.attributes[name], i.groupTasks ?? 0);
    attrCounts.set(name, counts);
  }

  const placements: string[] = [];
  const evaluations: Evaluation[] = [];
  for (let taskIndex = 0; taskIndex < count; taskIndex++) {
    const rejected: Partial<Record<RejectReason, number>> = {};
    const rejections: Rejection[] = [];
    const feasible: number[] = [];
    work.forEach((instance, index) => {
      const failed = FILTERS.find((f) => !f.fits(instance, demand));
      if (!failed) return void feasible.push(index);
      rejected[failed.reason] = (rejected[failed.reason] ?? 0) + 1;
      rejections.push({ instanceId: instance.id, reason: failed.reason });
    });
    evaluations.push({ feasible: feasible.length, rejected });
    if (feasible.length === 0) {
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
      tasksOn: (id) => placedOn.get(id) ?? 0,
      tasksWithAttribute: (name, value) => attrCounts.get(name)?.get(value) ?? 0,
    };
    let best = -1;
    let bestScore: number[] = [];
    for (const index of feasible) {
      const instance = work[index] as InstanceSnapshot;
      const score = rankers.map((r) => r(instance, ctx));
      score.push(hash32(`${seed}\u0001${taskIndex}\u0001${instance.id}`));
      if (best < 0 || compareTuples(score, bestScore, instance.id, (work[best] as InstanceSnapshot).id) < 0) {
        best = index;
        bestScore = score;
      }
    }
    const chosen = work[best] as InstanceSnapshot;
    work[best] = take(chosen, demand);
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

/** Lexicographic comparison of score tuples (lower wins), then instance id. */
export function compareTuples(a: readonly number[], b: readonly number[], idA: string, idB: string): number {
  for (let k = 0; k < a.length; k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d;
  }
  return idA < idB ? -1 : idA > idB ? 1 : 0;
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

function bump<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
