import { CHECK_ORDER } from './filters.js';
import { takeGpus } from './gpus.js';
import { bucketMembers, PreparedCluster, type AttributeBuckets } from './prepared.js';
import {
  compileStrategies,
  hash32,
  keepLowestBucket,
  keepLowestBuckets,
  keepLowestHash,
  keepLowestValue,
  mix32,
  RANDOM_SALT,
  TIE_SALT,
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
 *
 * Exact, not sampled: every feasible instance is compared for every task. The input is a snapshot
 * or a `PreparedCluster` (prepared.ts) of one. A prepared cluster kept between calls also keeps
 * each demand's verdicts (verdicts.ts), so a call starts from the feasible list and spends, per
 * task, one narrowing pass per strategy over the candidates left, on typed arrays.
 * test/unit/placement-fast.test.ts checks it against the plainly written engine in
 * test/support/reference-place.ts, plan for plan.
 */
export function place(
  input: readonly InstanceSnapshot[] | PreparedCluster,
  demand: TaskDemand,
  count: number,
  strategies: readonly PlacementStrategy[],
  seed: string,
): PlacementPlan {
  const rankers = compileStrategies(strategies.length ? strategies : [{ type: 'random' }]);
  const kept = input instanceof PreparedCluster;
  const cluster = kept ? input.begin() : PreparedCluster.of(input);
  // The tasks placed are applied to the cluster's columns as they are placed, and undone before
  // returning: the caller's prepared cluster is unchanged, and the plan's snapshot records what
  // changed so that preparing it costs only that (not worth recording for a cluster built for
  // this call alone, which the record would keep alive).
  let plan: PlacementPlan | undefined;
  try {
    plan = placeOn(cluster, rankers, demand, count, seed);
    return plan;
  } finally {
    cluster.restore(kept ? plan?.instances : undefined);
  }
}

function placeOn(
  cluster: PreparedCluster,
  rankers: readonly Ranker[],
  demand: TaskDemand,
  count: number,
  seed: string,
): PlacementPlan {
  const n = cluster.size;
  const rows = cluster.instances;
  const buckets = rankers.map((r) => (r.kind === 'spread-attribute' ? cluster.buckets(r.name) : undefined));
  const seedHash = hash32(seed);
  const seeded = (index: number): number => mix32(cluster.idHash(index), seedHash, 0);
  // `live` lists the feasible instances, in any order: the best is chosen by its score tuple and
  // then its id, so the order they are scanned in never changes the plan.
  const verdicts = cluster.verdictsFor(demand);
  const { code, live } = verdicts;
  const rejected = rejectedCounts(verdicts.perCode);
  const candidates = candidateSpace(n);
  const first = buckets[0];
  const second = rankers.length > 1 ? valueColumn(cluster, rankers[1] as Ranker) : undefined;

  const placements: string[] = [];
  const evaluations: Evaluation[] = [];
  for (let taskIndex = 0; taskIndex < count; taskIndex++) {
    evaluations.push({ feasible: verdicts.liveCount, rejected: { ...rejected } });
    if (verdicts.liveCount === 0) {
      const rejections: Rejection[] = [];
      for (let i = 0; i < n; i++) {
        const c = code[i] as number;
        if (c !== 0)
          rejections.push({
            instanceId: (rows[i] as InstanceSnapshot).id,
            reason: CHECK_ORDER[c - 1] as RejectReason,
          });
      }
      return {
        placements,
        unplaced: count - taskIndex,
        failure: explain(rejected, rejections),
        evaluations,
        instances: rows.slice(),
      };
    }
    // The lowest score tuple, one element at a time: each ranker keeps only the candidates with
    // its lowest score, so later rankers (and the tie-break) score ever fewer instances. A first
    // spread over an attribute picks its buckets' feasible instances without scoring the others
    // (and narrows by a next ranker that reads a column in the same pass).
    let left = -1;
    let from = 0;
    if (first !== undefined) {
      left = keepLowestBuckets(candidates, code, bucketMembers(first), first.tasks, second);
      from = second === undefined ? 1 : 2;
    }
    if (left < 0) {
      candidates.set(live.subarray(0, verdicts.liveCount));
      left = verdicts.liveCount;
      from = 0;
    }
    for (let k = from; k < rankers.length && left > 1; k++) {
      const r = rankers[k] as Ranker;
      switch (r.kind) {
        case 'random':
          left = keepLowestHash(candidates, left, seeded, taskIndex, RANDOM_SALT);
          break;
        case 'binpack':
        case 'spread-instance':
          left = keepLowestValue(candidates, left, valueColumn(cluster, r) as Float64Array);
          break;
        case 'spread-attribute': {
          const b = buckets[k] as AttributeBuckets;
          left = keepLowestBucket(candidates, left, b.bucket, b.tasks);
          break;
        }
      }
    }
    if (left > 1) left = keepLowestHash(candidates, left, seeded, taskIndex, TIE_SALT);
    // Equal tuples: the lower instance id wins, so a plan never depends on snapshot order.
    let best = candidates[0] as number;
    for (let j = 1; j < left; j++) {
      const index = candidates[j] as number;
      if ((rows[index] as InstanceSnapshot).id < (rows[best] as InstanceSnapshot).id) best = index;
    }

    const chosen = rows[best] as InstanceSnapshot;
    cluster.apply(best, take(chosen, demand));
    const now = code[best] as number;
    if (now !== 0) {
      const reason = CHECK_ORDER[now - 1] as RejectReason;
      rejected[reason] = (rejected[reason] ?? 0) + 1;
    }
    placements.push(chosen.id);
  }
  return { placements, unplaced: 0, evaluations, instances: rows.slice() };
}

/** The column a ranker's score is, for those whose score is one. */
function valueColumn(cluster: PreparedCluster, r: Ranker): Float64Array | undefined {
  if (r.kind === 'binpack') return r.resource === 'cpu' ? cluster.cpu : cluster.memory;
  return r.kind === 'spread-instance' ? cluster.groupTasks : undefined;
}

/**
 * The count per reason, keyed in CHECK_ORDER (a plain scan keys them in the order first met; no
 * reader depends on the order, and finding it would cost a scan of the instances).
 */
function rejectedCounts(perCode: Int32Array): Partial<Record<RejectReason, number>> {
  const rejected: Partial<Record<RejectReason, number>> = {};
  for (let c = 1; c < perCode.length; c++) {
    const count = perCode[c] as number;
    if (count > 0) rejected[CHECK_ORDER[c - 1] as RejectReason] = count;
  }
  return rejected;
}

/** The candidates of one task, kept across calls (and grown as needed): `place` is never re-entered. */
let candidateArray = new Int32Array(0);

function candidateSpace(n: number): Int32Array {
  if (candidateArray.length < n) candidateArray = new Int32Array(n);
  return candidateArray;
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
    // Port lists are readonly: without ports to add, the instance's own are shared, not copied.
    usedTcpPorts:
      demand.tcpPorts.length > 0 ? [...instance.usedTcpPorts, ...demand.tcpPorts] : instance.usedTcpPorts,
    usedUdpPorts:
      demand.udpPorts.length > 0 ? [...instance.usedUdpPorts, ...demand.udpPorts] : instance.usedUdpPorts,
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
