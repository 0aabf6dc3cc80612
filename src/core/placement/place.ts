import { CHECK_ORDER, feasibility } from './filters.js';
import { takeGpus } from './gpus.js';
import { compileStrategies, hash32, keepLowest, mix32, type RankColumn } from './strategies.js';
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
 *
 * Exact, not sampled: every feasible instance is compared for every task. What keeps that cheap
 * is doing once per call what does not change from task to task — feasibility (only the instance
 * that took the last task can change), the instances' seeded hashes, the strategies' columns of
 * scores — so the per-task loop reads typed arrays. test/unit/placement-fast.test.ts checks it
 * against the plainly written engine in test/support/reference-place.ts, plan for plan.
 */
export function place(
  snapshot: readonly InstanceSnapshot[],
  demand: TaskDemand,
  count: number,
  strategies: readonly PlacementStrategy[],
  seed: string,
): PlacementPlan {
  const factories = compileStrategies(strategies.length ? strategies : [{ type: 'random' }]);
  const rejectReason = feasibility(demand);
  const n = snapshot.length;
  // Per instance: its id's hash (cached across calls) mixed with the seed's, computed when first
  // needed (only ties reach it, unless the strategy is random); per task that is mixed with the
  // task index — integers only, no string hashed per instance and task.
  const seedHash = hash32(seed);
  const hashes = new Uint32Array(n);
  const hashed = new Uint8Array(n);
  const hashOf = (i: number): number => {
    if (hashed[i] === 0) {
      hashes[i] = mix32(idHash((snapshot[i] as InstanceSnapshot).id), seedHash, 0);
      hashed[i] = 1;
    }
    return hashes[i] as number;
  };
  const columns: RankColumn[] = factories.map((build) => build(snapshot, hashOf));
  // Instances are immutable; a task taken replaces the instance's entry (see `take`).
  const work = snapshot.slice();

  // `live` lists the feasible instances, in any order: the best is chosen by its score tuple and
  // then its id, so the order they are scanned in never changes the plan.
  const reasons = new Array<RejectReason | undefined>(n);
  const rejected: Partial<Record<RejectReason, number>> = {};
  const live = new Int32Array(n);
  const slot = new Int32Array(n).fill(-1);
  let liveCount = 0;
  for (let i = 0; i < n; i++) {
    const reason = rejectReason(work[i] as InstanceSnapshot);
    reasons[i] = reason;
    if (reason === undefined) {
      slot[i] = liveCount;
      live[liveCount++] = i;
    } else rejected[reason] = (rejected[reason] ?? 0) + 1;
  }

  const tieBreak = seededTieBreak(hashOf);
  const candidates = new Int32Array(n);
  const scratch = new Float64Array(n);
  const placements: string[] = [];
  const evaluations: Evaluation[] = [];
  for (let taskIndex = 0; taskIndex < count; taskIndex++) {
    evaluations.push({ feasible: liveCount, rejected: { ...rejected } });
    if (liveCount === 0) {
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
    // The lowest score tuple, one element at a time: each column keeps only the candidates with
    // its lowest score, so later columns (and the tie-break) score ever fewer instances.
    candidates.set(live.subarray(0, liveCount));
    let left = liveCount;
    for (const column of columns) {
      if (left === 1) break;
      left = column.keepLowest(candidates, left, taskIndex, scratch);
    }
    if (left > 1) left = tieBreak.keepLowest(candidates, left, taskIndex, scratch);
    // Equal tuples: the lower instance id wins, so a plan never depends on snapshot order.
    let best = candidates[0] as number;
    for (let j = 1; j < left; j++) {
      const index = candidates[j] as number;
      if ((work[index] as InstanceSnapshot).id < (work[best] as InstanceSnapshot).id) best = index;
    }

    const chosen = work[best] as InstanceSnapshot;
    const after = take(chosen, demand);
    work[best] = after;
    for (const column of columns) column.took(best, after);
    const now = rejectReason(after);
    if (now !== undefined) {
      reasons[best] = now;
      rejected[now] = (rejected[now] ?? 0) + 1;
      // Out of `live`: its last entry takes the freed slot.
      const at = slot[best] as number;
      const moved = live[--liveCount] as number;
      live[at] = moved;
      slot[moved] = at;
      slot[best] = -1;
    }
    placements.push(chosen.id);
  }
  return { placements, unplaced: 0, evaluations, instances: work };
}

/** After the chain: a seeded hash of the instance and the task, so ties fall evenly but replayably. */
function seededTieBreak(hashOf: (index: number) => number): Pick<RankColumn, 'keepLowest'> {
  const TIE_SALT = 1;
  return {
    keepLowest: (candidates, count, taskIndex, scratch) =>
      keepLowest(candidates, count, scratch, (i) => mix32(hashOf(i), taskIndex, TIE_SALT)),
  };
}

/**
 * The instance after it takes one task. GPUs are taken by id (`takeGpus`: the first free ones, as
 * the commit assigns them); an instance without an `ENI` limit keeps having none.
 */
export function take(instance: InstanceSnapshot, demand: TaskDemand): InstanceSnapshot {
  const gpus = demand.gpus ?? 0;
  const attachments = demand.attachments ?? 0;
  return {
    ...instance,
    remainingCpu: instance.remainingCpu - demand.cpu,
    remainingMemory: instance.remainingMemory - demand.memory,
    usedTcpPorts: [...instance.usedTcpPorts, ...demand.tcpPorts],
    usedUdpPorts: [...instance.usedUdpPorts, ...demand.udpPorts],
    ...(gpus > 0 ? { gpuIds: takeGpus(instance.gpuIds ?? [], gpus).rest } : {}),
    ...(attachments > 0 && instance.remainingAttachments !== undefined
      ? { remainingAttachments: instance.remainingAttachments - attachments }
      : {}),
    groupTasks: (instance.groupTasks ?? 0) + 1,
  };
}

/** Why a task could not be placed: each instance's first failed check, and the count per reason. */
export function explain(
  counts: Partial<Record<RejectReason, number>>,
  rejections: readonly Rejection[],
): PlacementFailure {
  const present = CHECK_ORDER.filter((r) => (counts[r] ?? 0) > 0);
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
