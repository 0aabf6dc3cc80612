import type { SchedulerMemo } from './types.js';

/**
 * ECS's service throttle logic ("Amazon ECS service throttle logic", ECS Developer Guide): when a
 * service's tasks repeatedly fail to enter RUNNING (PENDING straight to STOPPED, or no instance to
 * place them on), "the time between subsequent restart attempts is incrementally increased up to
 * a maximum of 27 minutes" (it was 15 minutes until 2023), with the event "(service name) is
 * unable to consistently start tasks successfully." ECS never stops retrying; a task that stops
 * after reaching RUNNING does not count; "if you update your service to use a new task
 * definition, your service returns to a normal, non-throttled state immediately".
 *
 * ECS does not publish the steps. Berth retries the first failure at once, then waits 15 s after
 * the second consecutive failure and doubles the wait with each further one, up to 27 minutes:
 * 15 s, 30 s, 1 min, 2 min, 4 min, 8 min, 16 min, 27 min.
 */

export const THROTTLE_FIRST_DELAY_MS = 15_000;
export const THROTTLE_MAX_DELAY_MS = 27 * 60_000;
/** Throttling (and its event) starts at this many consecutive failures to start. */
export const THROTTLE_AFTER_FAILURES = 2;

/** How long to wait after the last failure before starting tasks again. */
export function throttleDelay(consecutiveFailures: number): number {
  if (consecutiveFailures < THROTTLE_AFTER_FAILURES) return 0;
  const doublings = consecutiveFailures - THROTTLE_AFTER_FAILURES;
  // 2^11 × 15 s already passes the cap; stopping there keeps the power small.
  return Math.min(THROTTLE_MAX_DELAY_MS, THROTTLE_FIRST_DELAY_MS * 2 ** Math.min(doublings, 11));
}

/** When starts may resume, or undefined when the service is not throttled. */
export function throttledUntil(memo: SchedulerMemo): number | undefined {
  const delay = throttleDelay(memo.startFailures);
  if (delay === 0 || memo.lastStartFailureAt === undefined) return undefined;
  return memo.lastStartFailureAt + delay;
}

/**
 * The memo after new failures to start (their times) for the PRIMARY's task definition. The count
 * starts over first if the failures so far were for another task definition, and afterwards if a
 * task reached RUNNING after the last failure.
 */
export function noteStartFailures(
  memo: SchedulerMemo,
  failureTimes: readonly number[],
  taskDefinition: string,
  lastRunningStartAt?: number,
): SchedulerMemo {
  let next = memo.startFailuresTaskDefinition === taskDefinition ? memo : clear(memo);
  if (failureTimes.length) {
    next = {
      ...next,
      startFailures: next.startFailures + failureTimes.length,
      lastStartFailureAt: Math.max(...failureTimes, next.lastStartFailureAt ?? -Infinity),
      startFailuresTaskDefinition: taskDefinition,
    };
  }
  const ranSince =
    lastRunningStartAt !== undefined &&
    next.lastStartFailureAt !== undefined &&
    lastRunningStartAt > next.lastStartFailureAt;
  return ranSince ? clear(next) : next;
}

function clear(memo: SchedulerMemo): SchedulerMemo {
  return { accountedStopped: memo.accountedStopped, eventsAt: memo.eventsAt, startFailures: 0 };
}
