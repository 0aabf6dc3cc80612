import type { QueryNode } from './query-syntax.js';

/**
 * The placement engine's inputs and outputs: a read-only snapshot of container instances (built by
 * control/ from the store's indexed memory), what one task needs, and the plan that comes out.
 * Everything is plain readonly data so a placement can be replayed from its inputs and its seed.
 */

export type InstanceStatus =
  'ACTIVE' | 'DRAINING' | 'INACTIVE' | 'REGISTERING' | 'DEREGISTERING' | 'REGISTRATION_FAILED';

export interface InstanceSnapshot {
  /** The container instance's id (or ARN): what `spread(instanceId)` spreads over. */
  readonly id: string;
  readonly status: InstanceStatus;
  readonly agentConnected: boolean;
  /** Remaining CPU units (ECS's `remainingResources` CPU). */
  readonly remainingCpu: number;
  /** Remaining memory in MiB (ECS's `remainingResources` MEMORY). */
  readonly remainingMemory: number;
  /** Host TCP ports taken: reserved ones and those of tasks already there (ECS's PORTS). */
  readonly usedTcpPorts: readonly number[];
  /** Host UDP ports taken (ECS's PORTS_UDP). */
  readonly usedUdpPorts: readonly number[];
  /**
   * The GPU ids no task holds, in the instance's order (ECS's `remainingResources` GPU, a
   * STRINGSET). Absent: the instance registered no GPUs.
   */
  readonly gpuIds?: readonly string[];
  /**
   * How many more tasks with attachments (awsvpc ENIs) the instance takes (the remaining `ENI`
   * resource). Absent: the instance registered no limit.
   */
  readonly remainingAttachments?: number;
  /** Built-in and custom attributes; a valueless attribute maps to ''. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Tasks of the same group/service already on this instance, so spread counts them (default 0). */
  readonly groupTasks?: number;
  // What cluster queries (memberOf constraints, query-eval.ts) may also ask about the instance.
  /** The host's id (`ec2InstanceId`). */
  readonly ec2InstanceId?: string;
  /** Epoch ms. */
  readonly registeredAt?: number;
  /** The container agent's version (`versionInfo.agentVersion`). */
  readonly agentVersion?: string;
  /** Tasks RUNNING on the instance. */
  readonly runningTasksCount?: number;
  /** The groups of the tasks on the instance, for `task:group`. */
  readonly taskGroups?: readonly string[];
}

export interface RequiredAttribute {
  readonly name: string;
  /** When set the instance's value must equal it; otherwise the attribute only has to exist. */
  readonly value?: string;
}

/** What one task needs from an instance (the same for every task of one placement call). */
export interface TaskDemand {
  readonly cpu: number;
  readonly memory: number;
  /** Static host ports (hostPort > 0); dynamic ports are chosen by the agent and never conflict. */
  readonly tcpPorts: readonly number[];
  readonly udpPorts: readonly number[];
  /**
   * Whole GPUs one task takes: the sum of its containers' `resourceRequirements` GPU values
   * (overrides applied). Each is a distinct GPU id of the instance; absent: 0.
   */
  readonly gpus?: number;
  /**
   * Attachments one task takes from its instance's `ENI` limit: 1 for `awsvpc` (each such task
   * has its own ENI), absent or 0 for bridge, host and none.
   */
  readonly attachments?: number;
  /** The task definition's `requiresAttributes`. */
  readonly requiredAttributes: readonly RequiredAttribute[];
  /** `memberOf` constraints' expressions (parseQuery): an instance must satisfy every one. */
  readonly memberOf?: readonly QueryNode[];
  /**
   * The `distinctInstance` constraint (RunTask, CreateService, UpdateService — never a task
   * definition): no two tasks of the group on one instance, counting the group's tasks already
   * there (`InstanceSnapshot.groupTasks`) and those this placement puts there.
   */
  readonly distinctInstance?: boolean;
}

/** ECS's RunTask failure reason for an instance outside a memberOf constraint's group, verbatim. */
export const MEMBER_OF_UNSATISFIED = 'MemberOf placement constraint unsatisfied.';

/** ECS's reason for an instance that already holds a task of the group under distinctInstance, verbatim. */
export const DISTINCT_INSTANCE_UNSATISFIED = 'DistinctInstance placement constraint unsatisfied.';

/**
 * Why an instance cannot take the task. `AGENT`, `ATTRIBUTE` and `RESOURCE:*` are ECS's failure
 * reasons (RunTask `failures[].reason`; UDP ports are ECS's PORTS_UDP resource; `RESOURCE:GPU`
 * and `RESOURCE:ENI` as ECS's "API failure reasons" page names them). ECS never names
 * instances it skips for their status, so `DRAINING` and `INACTIVE` (any other non-ACTIVE status)
 * are Berth's words for the `detail` counts.
 */
export type RejectReason =
  | 'INACTIVE'
  | 'DRAINING'
  | 'AGENT'
  | 'ATTRIBUTE'
  | typeof MEMBER_OF_UNSATISFIED
  | typeof DISTINCT_INSTANCE_UNSATISFIED
  | 'RESOURCE:CPU'
  | 'RESOURCE:MEMORY'
  | 'RESOURCE:PORTS'
  | 'RESOURCE:PORTS_UDP'
  | 'RESOURCE:GPU'
  | 'RESOURCE:ENI';

/** ECS's placement strategy (`PlacementStrategy`): applied in the order given, up to 5. */
export interface PlacementStrategy {
  readonly type: 'random' | 'spread' | 'binpack';
  readonly field?: string;
}

export interface Rejection {
  readonly instanceId: string;
  readonly reason: RejectReason;
}

/** Why tasks could not be placed: each instance's first failed check, and the count per reason. */
export interface PlacementFailure {
  /** The ECS failure reason to report: the reason most instances failed on (ties: filter order). */
  readonly reason: RejectReason | 'NO_INSTANCES';
  /** e.g. "3 instances: RESOURCE:MEMORY; 2 instances: AGENT" — more than ECS tells, on purpose. */
  readonly detail: string;
  readonly counts: Readonly<Partial<Record<RejectReason, number>>>;
  /** Per instance, as ECS lists RunTask failures (arn = the instance, reason). */
  readonly rejections: readonly Rejection[];
}

/** One task's pass through the pipeline: how many instances were feasible, and why the rest were not. */
export interface Evaluation {
  readonly feasible: number;
  readonly rejected: Readonly<Partial<Record<RejectReason, number>>>;
}

export interface PlacementPlan {
  /** One entry per placed task, in task order: the instance it goes to. */
  readonly placements: readonly string[];
  /** How many of the requested tasks could not be placed (they share one `failure`). */
  readonly unplaced: number;
  readonly failure?: PlacementFailure;
  /** Every task's evaluation, including the first one that failed. */
  readonly evaluations: readonly Evaluation[];
  /** The snapshot with the placed tasks' resources taken: what the commit re-checks. */
  readonly instances: readonly InstanceSnapshot[];
}
