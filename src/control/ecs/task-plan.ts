import type { Failure, RunTaskRequest } from '@aws-sdk/client-ecs';
import { randomBytes } from 'node:crypto';
import { rejectReason } from '../../core/placement/filters.js';
import type { RejectReason } from '../../core/placement/types.js';
import type { ControlDeps } from '../context.js';
import type { ClusterOperations } from './clusters.js';
import type { TaskDefinitionOperations } from './task-definitions.js';
import { decideRun, prepareRun, readSnapshot } from './task-launch.js';

/**
 * The placement dry run (`BerthV1.PlanRunTask`, `berth plan run-task`): where RunTask would put
 * `count` tasks now, and why the other instances would not take one. It runs RunTask's own path up
 * to the commit — `prepareRun` (the same checks and errors), `readSnapshot` (the same snapshot
 * with the group's tasks), `decideRun` (`place` with a fresh seed) — and writes nothing: no task,
 * no instance's remaining resources, no client token. See docs/placement.md, "Dry run".
 */

/** RunTask's placement-relevant members; the rest of RunTaskRequest has no say in placement. */
export type PlanRunTaskInput = Pick<
  RunTaskRequest,
  | 'cluster'
  | 'taskDefinition'
  | 'count'
  | 'group'
  | 'overrides'
  | 'placementStrategy'
  | 'placementConstraints'
>;

/** Where one task would go. */
export interface PlannedPlacement {
  readonly containerInstanceArn: string;
  readonly ec2InstanceId?: string;
  readonly availabilityZone?: string;
}

/**
 * Per instance of the cluster: `chosen` (it would take `tasks` of them), `feasible` (it could take
 * one but ranked lower), or the first check it fails once the plan's tasks are placed — RunTask's
 * failure reasons plus Berth's `DRAINING` and `INACTIVE` (docs/placement.md).
 */
export interface EvaluatedInstance {
  readonly containerInstanceArn: string;
  readonly verdict: 'chosen' | 'feasible' | RejectReason;
  /** For `chosen`: how many of the tasks it would take. */
  readonly tasks?: number;
}

export interface PlanRunTaskOutput {
  /** One entry per task that would be placed, in task order. */
  readonly placements: readonly PlannedPlacement[];
  /** How many of the `count` tasks would not be placed. */
  readonly unplaced: number;
  /** What RunTask would answer in `failures`: per instance, ECS's reason and the per-reason counts. */
  readonly failures: readonly Failure[];
  /** Every instance in the cluster, ordered by ARN. */
  readonly evaluated: readonly EvaluatedInstance[];
}

export class PlanOperations {
  constructor(
    private readonly deps: ControlDeps,
    private readonly clusters: ClusterOperations,
    private readonly taskDefinitions: TaskDefinitionOperations,
  ) {}

  async planRunTask(input: PlanRunTaskInput): Promise<PlanRunTaskOutput> {
    const cluster = await this.clusters.require(input.cluster);
    const prepared = await prepareRun(this.deps, this.taskDefinitions, cluster.name, input);
    // One read-only transaction, so instances and their tasks are read as of one moment.
    const { snapshot } = await this.deps.store.transaction((repos) =>
      readSnapshot(this.deps, repos, cluster.name, prepared.launch.group),
    );
    const { plan, decision } = decideRun(snapshot, prepared, randomBytes(8).toString('hex'));
    const byId = new Map(snapshot.map((i) => [i.id, i]));
    const taken = new Map<string, number>();
    for (const arn of plan.placements) taken.set(arn, (taken.get(arn) ?? 0) + 1);
    const evaluated = plan.instances
      .map((instance): EvaluatedInstance => {
        const tasks = taken.get(instance.id);
        if (tasks !== undefined) return { containerInstanceArn: instance.id, verdict: 'chosen', tasks };
        return {
          containerInstanceArn: instance.id,
          verdict: rejectReason(instance, prepared.demand) ?? 'feasible',
        };
      })
      .sort((a, b) => (a.containerInstanceArn < b.containerInstanceArn ? -1 : 1));
    return {
      placements: plan.placements.map((arn): PlannedPlacement => {
        const instance = byId.get(arn);
        const zone = instance?.attributes['ecs.availability-zone'];
        return {
          containerInstanceArn: arn,
          ...(instance?.ec2InstanceId !== undefined ? { ec2InstanceId: instance.ec2InstanceId } : {}),
          ...(zone !== undefined ? { availabilityZone: zone } : {}),
        };
      }),
      unplaced: plan.unplaced,
      failures: decision.failures,
      evaluated,
    };
  }
}
