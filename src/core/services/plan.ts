import { EventLog, messages, scalingReason } from './events.js';
import { isLive, classifyHealth, type Health } from './health.js';
import { beginRollout, finishRollout, type Rollout, type RolloutContext } from './rollout.js';
import type { StopRanker } from './stop-order.js';
import type {
  SchedulerMemo,
  SchedulerPlan,
  ServiceDeployment,
  ServiceSpec,
  ServiceTask,
  StartTasks,
} from './types.js';

/**
 * What the REPLICA and DAEMON schedulers share around their own decisions: reading the live tasks'
 * health and starting the rollout (`prepare`), then turning their stops and starts into the plan
 * with ECS's events (`assemble`).
 */

/** A live task with its health at this instant. */
export interface Candidate {
  readonly task: ServiceTask;
  readonly health: Health;
}

export const isHealthy = (c: Candidate): boolean => c.health.kind === 'healthy';

export interface RunInput {
  readonly service: ServiceSpec;
  readonly deployments: readonly ServiceDeployment[];
  readonly tasks: readonly ServiceTask[];
  readonly memo: SchedulerMemo;
  readonly now: number;
  readonly noHealthCheckWaitMs?: number;
}

export interface Prepared {
  readonly ctx: RolloutContext;
  readonly live: readonly Candidate[];
  readonly rollout: Rollout;
  /** Tasks asked to stop that have not stopped yet: a deployment completes only once they have. */
  readonly stopping: boolean;
}

export function prepare(input: RunInput, desiredCount: number): Prepared {
  const { service, now } = input;
  const ctx = { service, desiredCount, tasks: input.tasks, now, log: new EventLog(input.memo.eventsAt, now) };
  const live = input.tasks
    .filter(isLive)
    .map((task) => ({ task, health: classifyHealth(task, service, now, input.noHealthCheckWaitMs) }));
  const healthy = new Set(live.filter(isHealthy).map((c) => c.task.deploymentId));
  return {
    ctx,
    live,
    rollout: beginRollout(ctx, input.deployments, input.memo, healthy),
    stopping: input.tasks.some((t) => t.desiredStatus === 'STOPPED' && t.lastStatus !== 'STOPPED'),
  };
}

export interface Decided {
  /** Tasks to stop, in the order decided; unhealthy ones stop with their health reason. */
  readonly stops: readonly Candidate[];
  readonly start: readonly StartTasks[];
  /** Neither a start nor a stop is possible under the deployment configuration. */
  readonly blocked: boolean;
  /** The service is at its desired state and this run changes nothing. */
  readonly atDesired: boolean;
}

export function assemble(input: RunInput, prepared: Prepared, decided: Decided): SchedulerPlan {
  const { ctx, live, rollout } = prepared;
  const { log, service } = ctx;
  const scaling = scalingReason(rollout.primary.id);
  const stop = decided.stops.map((c) => ({
    arn: c.task.arn,
    reason: c.health.kind === 'unhealthy' ? c.health.reason : scaling,
  }));
  for (const c of decided.stops) {
    // Target health failures are reported by the load balancer's own event (with port and reason).
    if (c.health.kind === 'unhealthy' && c.health.containerChecks) {
      log.add(messages.failedContainerHealth(service.name, c.task.arn));
    }
  }
  if (stop.length)
    log.add(
      messages.stopped(
        service.name,
        stop.map((s) => s.arn),
      ),
    );
  if (decided.blocked) log.say(messages.deploymentBlocked(service.name));
  else log.resolve(messages.deploymentBlocked(service.name));

  const stopped = new Set(stop.map((s) => s.arn));
  const liveAfter = new Map<string, number>();
  for (const { task } of live) {
    if (!stopped.has(task.arn)) liveAfter.set(task.deploymentId, (liveAfter.get(task.deploymentId) ?? 0) + 1);
  }
  const atDesired = decided.atDesired && !prepared.stopping;
  const finished = finishRollout(ctx, input.deployments, rollout, { liveAfter, atDesired });
  const waits = live.flatMap((c) =>
    c.health.kind === 'starting' && c.health.until !== undefined ? [c.health.until] : [],
  );
  const nextCheckAt = earliest([...waits, rollout.throttledUntil, log.nextRepeatAt()]);
  return {
    start: decided.start,
    stop,
    deployments: finished.changes,
    service: {
      desiredCount: ctx.desiredCount,
      runningCount: finished.runningCount,
      pendingCount: finished.pendingCount,
      taskDefinition: finished.primary.taskDefinition,
    },
    events: log.said,
    memo: { ...rollout.memo, eventsAt: log.eventsAt() },
    steady: finished.steady,
    ...(rollout.rollback !== undefined ? { rollback: rollout.rollback } : {}),
    ...(nextCheckAt !== undefined ? { nextCheckAt } : {}),
  };
}

/** The candidates in the ranker's order. */
export function ranked(candidates: readonly Candidate[], rank: StopRanker): Candidate[] {
  const byArn = new Map(candidates.map((c) => [c.task.arn, c]));
  return rank(candidates.map((c) => c.task)).flatMap((t) => {
    const c = byArn.get(t.arn);
    return c === undefined ? [] : [c];
  });
}

function earliest(times: readonly (number | undefined)[]): number | undefined {
  const known = times.filter((t): t is number => t !== undefined);
  return known.length ? Math.min(...known) : undefined;
}
