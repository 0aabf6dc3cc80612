import { countFailures, rollbackTarget, trips } from './circuit-breaker.js';
import { messages, rolloutReasons, type EventLog } from './events.js';
import { accountStopped } from './stopped.js';
import { noteStartFailures, THROTTLE_AFTER_FAILURES, throttledUntil } from './throttle.js';
import type {
  DeploymentChange,
  SchedulerMemo,
  ServiceDeployment,
  ServiceSpec,
  ServiceTask,
} from './types.js';

/**
 * A deployment's life around one scheduler run, the same for REPLICA and DAEMON services:
 * `beginRollout` takes in what happened since the last run (stopped tasks: failure counts and
 * throttling; the circuit breaker and its rollback) and says which deployment is PRIMARY now;
 * `finishRollout`, once the run's starts and stops are decided, updates the counts, completes the
 * deployment when the service is at its desired state, retires replaced deployments and reports
 * the steady state.
 */

export interface RolloutContext {
  readonly service: ServiceSpec;
  readonly desiredCount: number;
  readonly tasks: readonly ServiceTask[];
  readonly now: number;
  readonly log: EventLog;
}

export interface Rollout {
  /** Working copies of the non-INACTIVE deployments, the circuit breaker applied. */
  readonly deployments: readonly ServiceDeployment[];
  readonly primary: ServiceDeployment;
  readonly memo: SchedulerMemo;
  /** The PRIMARY may start tasks (not FAILED, not throttled). */
  readonly canStart: boolean;
  readonly throttledUntil?: number;
  readonly rollback?: { readonly from: string; readonly to: string };
}

export function beginRollout(
  ctx: RolloutContext,
  deployments: readonly ServiceDeployment[],
  memo: SchedulerMemo,
  /** Deployments that have a healthy task now (they reset their failure count). */
  healthy: ReadonlySet<string>,
): Rollout {
  const { service, log } = ctx;
  const breaker = service.deploymentConfiguration.circuitBreaker;
  const account = accountStopped(ctx.tasks, memo);
  let working = deployments
    .filter((d) => d.status !== 'INACTIVE')
    .map((d) => {
      const failedTasks = countFailures(d, account.failures.get(d.id) ?? 0, healthy.has(d.id), breaker);
      return failedTasks === d.failedTasks ? d : { ...d, failedTasks };
    });
  let primary = working.find((d) => d.status === 'PRIMARY');
  if (primary === undefined) throw new Error(`service ${service.name} has no PRIMARY deployment`);
  let rollback: { from: string; to: string } | undefined;

  if (trips(primary, breaker, ctx.desiredCount)) {
    const failed = primary;
    const target = breaker.rollback ? rollbackTarget(deployments, failed) : undefined;
    log.add(messages.deploymentFailed(service.name, failed.id));
    const failedNow = {
      ...failed,
      status: target === undefined ? failed.status : 'ACTIVE',
      rolloutState: 'FAILED',
      rolloutStateReason: rolloutReasons.circuitBreakerFailed,
    } as const;
    working = working.filter((d) => d.id !== failed.id && d.id !== target?.id).concat(failedNow);
    primary = failedNow;
    if (target !== undefined) {
      log.add(messages.rollingBack(service.name, target.id));
      primary = {
        ...target,
        status: 'PRIMARY',
        rolloutState: 'IN_PROGRESS',
        rolloutStateReason: rolloutReasons.rollingBack(target.id),
        failedTasks: 0,
      };
      working = working.concat(primary);
      rollback = { from: failed.id, to: target.id };
    }
  }

  // Only the PRIMARY starts tasks, so only its tasks' failures slow its starts down: a rollback
  // does not inherit the failed deployment's throttling.
  const primaryId = primary.id;
  const failureTimes = account.startFailures.filter((f) => f.deploymentId === primaryId).map((f) => f.at);
  const next = {
    ...noteStartFailures(memo, failureTimes, primary.taskDefinition, account.lastRunningStartAt),
    accountedStopped: account.accountedStopped,
  };
  if (next.startFailures >= THROTTLE_AFTER_FAILURES) log.say(messages.throttled(service.name));
  else log.resolve(messages.throttled(service.name));
  const until = throttledUntil(next);
  const throttled = until !== undefined && ctx.now < until;
  return {
    deployments: working,
    primary,
    memo: next,
    canStart: primary.rolloutState !== 'FAILED' && !throttled,
    ...(throttled ? { throttledUntil: until } : {}),
    ...(rollback !== undefined ? { rollback } : {}),
  };
}

export interface RunOutcome {
  /** Live tasks per deployment id after this run's stops (starts not yet made are not counted). */
  readonly liveAfter: ReadonlyMap<string, number>;
  /** The service is at its desired state and this run changes nothing. */
  readonly atDesired: boolean;
}

export interface Finished {
  readonly changes: readonly DeploymentChange[];
  readonly primary: ServiceDeployment;
  readonly steady: boolean;
  readonly runningCount: number;
  readonly pendingCount: number;
}

export function finishRollout(
  ctx: RolloutContext,
  original: readonly ServiceDeployment[],
  rollout: Rollout,
  outcome: RunOutcome,
): Finished {
  const { service, log } = ctx;
  let primary = rollout.primary;
  if (primary.rolloutState === 'IN_PROGRESS' && outcome.atDesired) {
    primary = {
      ...primary,
      rolloutState: 'COMPLETED',
      rolloutStateReason: rolloutReasons.completed(primary.id),
    };
    log.add(messages.deploymentCompleted(service.name, primary.id));
  }
  const completed = primary.rolloutState === 'COMPLETED';
  const counts = countByDeployment(ctx.tasks);
  const updated = rollout.deployments.map((d) => {
    const base = d.id === primary.id ? primary : d;
    const live = outcome.liveAfter.get(d.id) ?? 0;
    // A replaced deployment is retired once the PRIMARY completed and none of its tasks remain.
    const status = base.status !== 'PRIMARY' && completed && live === 0 ? 'INACTIVE' : base.status;
    const c = counts.get(d.id) ?? { running: 0, pending: 0 };
    return {
      ...base,
      status,
      desiredCount: base.status === 'PRIMARY' ? ctx.desiredCount : live,
      runningCount: c.running,
      pendingCount: c.pending,
    };
  });

  const steady = completed && outcome.atDesired && rollout.throttledUntil === undefined;
  if (steady) log.say(messages.steady(service.name));
  else log.resolve(messages.steady(service.name));

  const before = new Map(original.map((d) => [d.id, d]));
  const changes = updated.filter((d) => !sameDeployment(before.get(d.id), d)).map(toChange);
  const total = [...counts.values()].reduce(
    (s, c) => ({ running: s.running + c.running, pending: s.pending + c.pending }),
    {
      running: 0,
      pending: 0,
    },
  );
  return { changes, primary, steady, runningCount: total.running, pendingCount: total.pending };
}

/** DescribeServices counts by lastStatus: RUNNING, and PENDING (with the states around it). */
function countByDeployment(tasks: readonly ServiceTask[]): Map<string, { running: number; pending: number }> {
  const counts = new Map<string, { running: number; pending: number }>();
  for (const t of tasks) {
    const pending =
      t.lastStatus === 'PROVISIONING' || t.lastStatus === 'PENDING' || t.lastStatus === 'ACTIVATING';
    if (t.lastStatus !== 'RUNNING' && !pending) continue;
    const c = counts.get(t.deploymentId) ?? { running: 0, pending: 0 };
    counts.set(t.deploymentId, pending ? { ...c, pending: c.pending + 1 } : { ...c, running: c.running + 1 });
  }
  return counts;
}

function sameDeployment(a: ServiceDeployment | undefined, b: ServiceDeployment): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.rolloutState === b.rolloutState &&
    a.rolloutStateReason === b.rolloutStateReason &&
    a.failedTasks === b.failedTasks &&
    a.desiredCount === b.desiredCount &&
    a.runningCount === b.runningCount &&
    a.pendingCount === b.pendingCount
  );
}

function toChange(d: ServiceDeployment): DeploymentChange {
  const {
    id,
    status,
    rolloutState,
    rolloutStateReason,
    failedTasks,
    desiredCount,
    runningCount,
    pendingCount,
  } = d;
  return {
    id,
    status,
    rolloutState,
    rolloutStateReason,
    failedTasks,
    desiredCount,
    runningCount,
    pendingCount,
  };
}
