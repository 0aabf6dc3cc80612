import { CHECK_ORDER } from '../placement/filters.js';
import type { PlacementFailure, RejectReason } from '../placement/types.js';
import { EventLog, messages } from './events.js';
import { noteStartFailures } from './throttle.js';
import type { SchedulerMemo, ServiceDeployment, StartTasks } from './types.js';

/**
 * What the controller reports back after carrying out a plan's `start`: the tasks it placed, and
 * the placement failure for those it could not. A task with no instance to go to is a failure to
 * launch — for the circuit breaker ("the service scheduler can't launch the task") and for
 * throttling (ECS lists "a lack of resources with which to host your task" first among its
 * causes) — and gets ECS's "was unable to place a task" event, said again only after six hours
 * while placements keep failing, and again at once after one succeeds.
 */

export interface PlacementOutcome {
  readonly service: string;
  readonly request: StartTasks;
  /** The deployment the tasks were for, as stored (its failedTasks grows by the unplaced tasks). */
  readonly deployment: ServiceDeployment;
  /** ARNs of the tasks created, in order. */
  readonly placed: readonly string[];
  /** From core/placement when some tasks found no instance. */
  readonly failure?: PlacementFailure;
  readonly memo: SchedulerMemo;
  readonly now: number;
}

export interface PlacementRecord {
  readonly events: readonly string[];
  /** The deployment's new failedTasks. */
  readonly failedTasks: number;
  readonly memo: SchedulerMemo;
}

const UNABLE_TO_PLACE = 'was unable to place a task';

export function recordPlacement(outcome: PlacementOutcome): PlacementRecord {
  const { service, request, deployment, placed, failure, now } = outcome;
  const log = new EventLog(outcome.memo.eventsAt, now);
  if (placed.length)
    log.add(messages.started(service, placed, Math.min(placed.length, request.replacingUnhealthy)));
  const unplaced = request.count - placed.length;
  let memo = outcome.memo;
  if (unplaced > 0) {
    const closest = failure === undefined ? undefined : closestMatch(failure);
    log.say(messages.unableToPlace(service, closest));
    // One attempt that found no instance is one failure to start, however many tasks it asked for.
    memo = noteStartFailures(memo, [now], deployment.taskDefinition);
  } else {
    log.resolveMatching((m) => m.includes(UNABLE_TO_PLACE));
  }
  return {
    events: log.said,
    failedTasks: deployment.failedTasks + Math.max(0, unplaced),
    memo: { ...memo, eventsAt: log.eventsAt() },
  };
}

/**
 * ECS's "closest matching container-instance": the one that got furthest through the checks, so
 * its failed check is the one to fix. Ties go to the first instance listed.
 */
export function closestMatch(
  failure: PlacementFailure,
): { readonly instanceArn: string; readonly reason: RejectReason } | undefined {
  const depth = (reason: RejectReason): number => CHECK_ORDER.indexOf(reason);
  const best = failure.rejections.reduce<PlacementFailure['rejections'][number] | undefined>(
    (b, r) => (b === undefined || depth(r.reason) > depth(b.reason) ? r : b),
    undefined,
  );
  return best === undefined ? undefined : { instanceArn: best.instanceId, reason: best.reason };
}
