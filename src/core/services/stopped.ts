import type { StopCode } from '../ecs/task-lifecycle.js';
import { stoppedForHealth } from './health.js';
import type { SchedulerMemo, ServiceTask } from './types.js';

/**
 * What the service's STOPPED tasks mean, each counted once (SchedulerMemo.accountedStopped).
 *
 * A deployment's failed task, for the circuit breaker ("A task is considered a failure if the
 * service scheduler can't launch the task, the task doesn't transition to a RUNNING state, or if
 * it fails any of its defined health checks and is stopped", API Reference, Deployment
 * .failedTasks): a task that stopped on its own — failed to start, or an essential container
 * exited — or that the scheduler stopped for failing health checks. Not a failure: a stop by a
 * user, a scale-in or replacement by the scheduler, a Spot interruption or termination notice.
 *
 * A failure to start, for throttling: a failed task that never reached RUNNING.
 */

export interface StoppedAccount {
  /** New failed tasks per deployment id. */
  readonly failures: ReadonlyMap<string, number>;
  /** Each new failure to start: its deployment and when it happened (stoppedAt), for throttling. */
  readonly startFailures: readonly { readonly deploymentId: string; readonly at: number }[];
  /** The latest `startedAt` of any task of the service, for ending throttling. */
  readonly lastRunningStartAt?: number;
  readonly accountedStopped: readonly string[];
}

/** Per stop code: did the task fail? (Record: a new stop code does not compile until decided.) */
const FAILED_BY_CODE: Readonly<Record<StopCode, (task: ServiceTask) => boolean>> = {
  TaskFailedToStart: () => true,
  EssentialContainerExited: () => true,
  ServiceSchedulerInitiated: stoppedForHealth,
  UserInitiated: () => false,
  SpotInterruption: () => false,
  TerminationNotice: () => false,
};

/** A STOPPED task without a stop code stopped for a reason nobody recorded: count it as failed. */
export function isFailure(task: ServiceTask): boolean {
  return task.stopCode === undefined || FAILED_BY_CODE[task.stopCode](task);
}

export function accountStopped(tasks: readonly ServiceTask[], memo: SchedulerMemo): StoppedAccount {
  const seen = new Set(memo.accountedStopped);
  const stopped = tasks.filter((t) => t.lastStatus === 'STOPPED');
  const failures = new Map<string, number>();
  const startFailures: { deploymentId: string; at: number }[] = [];
  for (const t of stopped) {
    if (seen.has(t.arn) || !isFailure(t)) continue;
    failures.set(t.deploymentId, (failures.get(t.deploymentId) ?? 0) + 1);
    if (t.startedAt === undefined)
      startFailures.push({ deploymentId: t.deploymentId, at: t.stoppedAt ?? t.createdAt });
  }
  const started = tasks.flatMap((t) => (t.startedAt === undefined ? [] : [t.startedAt]));
  return {
    failures,
    startFailures,
    ...(started.length ? { lastRunningStartAt: Math.max(...started) } : {}),
    // Tasks gone from the store cannot come back, so forgetting them keeps the memo small.
    accountedStopped: stopped.map((t) => t.arn),
  };
}
