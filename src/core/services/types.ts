import type { HealthStatus, StopCode, TaskStatus } from '../ecs/task-lifecycle.js';

/**
 * What the service scheduler reads and what it decides: a projection of the store that the service
 * controller (control/) builds for one service, and the plan it carries out. Everything is plain
 * readonly data and every time is epoch milliseconds, so a decision can be replayed from its input.
 *
 * Who owns what: the API writes the service and creates deployments (a new PRIMARY, IN_PROGRESS,
 * demoting the old PRIMARY to ACTIVE); the agent writes tasks' lastStatus and health; the scheduler
 * (this folder) decides task starts and stops, deployment counts and rollout states, and the
 * service's events; the controller applies the plan and keeps `SchedulerMemo` with the service.
 */

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** ECS's `ThresholdConfiguration` (DeploymentCircuitBreaker.thresholdConfiguration). */
export interface CircuitBreakerThreshold {
  readonly type: 'BOUNDED_PERCENT' | 'UNBOUNDED_PERCENT' | 'COUNT';
  readonly value: number;
}

/** ECS's `DeploymentCircuitBreaker`. */
export interface CircuitBreakerConfig {
  readonly enable: boolean;
  readonly rollback: boolean;
  /** A task of the deployment reaching a healthy state resets its failure count (ECS default: true). */
  readonly resetOnHealthyTask?: boolean;
  /** Absent: BOUNDED_PERCENT 50 — half the desired count, at least 3 and at most 200. */
  readonly thresholdConfiguration?: CircuitBreakerThreshold;
}

/** ECS's `DeploymentConfiguration`, defaults already applied by the API (bounds.ts has them). */
export interface DeploymentConfig {
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
  readonly circuitBreaker: CircuitBreakerConfig;
}

/** The service as the scheduler needs it. */
export interface ServiceSpec {
  /** The service's name: ECS's events say `(service <name>)`. */
  readonly name: string;
  readonly deploymentConfiguration: DeploymentConfig;
  /** Unhealthy container and load balancer checks are ignored this long after a task starts RUNNING. */
  readonly healthCheckGracePeriodSeconds: number;
  /** The service registers its tasks with target groups: a task is healthy only once its target is. */
  readonly loadBalanced: boolean;
}

/** A REPLICA service also has a desired count (a DAEMON service's is its number of instances). */
export interface ReplicaServiceSpec extends ServiceSpec {
  readonly desiredCount: number;
}

/** One deployment of the service as stored (DescribeServices `deployments[]`). */
export interface ServiceDeployment {
  /** `ecs-svc/<digits>`; a task's `startedBy` names the deployment that started it. */
  readonly id: string;
  readonly status: DeploymentStatus;
  readonly taskDefinition: string;
  readonly createdAt: number;
  readonly rolloutState: RolloutState;
  readonly rolloutStateReason: string;
  readonly failedTasks: number;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
}

/** ELBv2 target health states (DescribeTargetHealth `TargetHealth.State`). */
export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

/**
 * One task of the service, live or STOPPED. The controller passes every task of the service it
 * still holds, STOPPED ones included (within the stopped-task retention): a STOPPED task is how
 * the scheduler learns that a start failed (circuit breaker, throttling).
 */
export interface ServiceTask {
  readonly arn: string;
  /** The deployment that started it (the task's `startedBy`). */
  readonly deploymentId: string;
  readonly lastStatus: TaskStatus;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  /** The task's health from its containers (task-lifecycle.ts `taskHealth`). */
  readonly healthStatus: HealthStatus;
  /** An essential container defines a `healthCheck`: the task is healthy only once it reports HEALTHY. */
  readonly healthChecked: boolean;
  /** Its target's health, when the service is load balanced and the target is registered. */
  readonly target?: { readonly targetGroupArn: string; readonly state: TargetHealthState };
  readonly createdAt: number;
  /** When it first reached RUNNING (ECS's `startedAt`); absent if it never did. */
  readonly startedAt?: number;
  readonly stoppedAt?: number;
  readonly stopCode?: StopCode;
  readonly stoppedReason?: string;
  readonly containerInstanceArn?: string;
  /** Its container instance is DRAINING. */
  readonly instanceDraining: boolean;
}

/**
 * The scheduler's own memory between runs, stored with the service (one JSON value) and passed
 * back unchanged next time. It is what makes a level-triggered run idempotent where the input
 * alone cannot: running the same input twice counts no failure twice and repeats no event.
 */
export interface SchedulerMemo {
  /** STOPPED tasks already counted (failures, throttling), pruned to those still in the input. */
  readonly accountedStopped: readonly string[];
  /** Consecutive failures to start (STOPPED without reaching RUNNING, or no instance to place on). */
  readonly startFailures: number;
  readonly lastStartFailureAt?: number;
  /** The PRIMARY task definition those failures were for: a new one ends the throttling (ECS). */
  readonly startFailuresTaskDefinition?: string;
  /**
   * When each repeatable message was last emitted. ECS omits a duplicate message until its cause
   * is resolved or six hours pass; a resolved cause drops its entry.
   */
  readonly eventsAt: Readonly<Record<string, number>>;
}

export const EMPTY_MEMO: SchedulerMemo = { accountedStopped: [], startFailures: 0, eventsAt: {} };

/** Start `count` tasks of a deployment. */
export interface StartTasks {
  readonly deploymentId: string;
  readonly taskDefinition: string;
  readonly count: number;
  /** DAEMON: the instance the task must go to. REPLICA: absent, place with the service's strategy. */
  readonly containerInstanceArn?: string;
  /** How many of them replace tasks that failed health checks (ECS says so in the started event). */
  readonly replacingUnhealthy: number;
}

/** Set a task's desiredStatus to STOPPED with stopCode ServiceSchedulerInitiated and this reason. */
export interface StopTask {
  readonly arn: string;
  readonly reason: string;
}

/** A deployment's new values; only deployments that changed are listed. */
export type DeploymentChange = Omit<ServiceDeployment, 'taskDefinition' | 'createdAt'>;

/** What one scheduler run decided. The controller applies it in one transaction. */
export interface SchedulerPlan {
  /** Carry out starts before stops: a replacement is asked for before the task it replaces goes. */
  readonly start: readonly StartTasks[];
  readonly stop: readonly StopTask[];
  readonly deployments: readonly DeploymentChange[];
  /** The service's counts; `taskDefinition` is the PRIMARY's (it changes on a rollback). */
  readonly service: {
    readonly desiredCount: number;
    readonly runningCount: number;
    readonly pendingCount: number;
    readonly taskDefinition: string;
  };
  /** New service events, oldest first, in ECS's wording. */
  readonly events: readonly string[];
  readonly memo: SchedulerMemo;
  /** The service is at its desired state (what `aws ecs wait services-stable` waits for). */
  readonly steady: boolean;
  /** This run's circuit breaker failed deployment `from` and made deployment `to` PRIMARY again. */
  readonly rollback?: { readonly from: string; readonly to: string };
  /** Run again at this time even if nothing changes (grace periods, throttling, steady-state reminder). */
  readonly nextCheckAt?: number;
}
