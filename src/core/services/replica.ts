import { maxLiveTasks, minHealthyTasks } from './bounds.js';
import { assemble, isHealthy, prepare, ranked, type Candidate, type Decided, type RunInput } from './plan.js';
import { defaultStopOrder, type StopRanker } from './stop-order.js';
import type { ReplicaServiceSpec, SchedulerPlan, ServiceDeployment } from './types.js';

/**
 * The REPLICA service scheduler: one level-triggered step from the service's actual tasks toward
 * `desiredCount` healthy tasks of the PRIMARY deployment, within the deployment bounds.
 *
 * Each run, in this order (the sources and Berth's choices are in docs/service-scheduler.md):
 * 1. Tasks on DRAINING instances that never reached RUNNING stop at once (ECS: "Any tasks that are
 *    part of a service that are in a PENDING state are stopped immediately").
 * 2. Tasks of other deployments that are not healthy stop: they count for nothing.
 * 3. Scale-in: PRIMARY tasks beyond the desired count stop, not-yet-healthy ones first, then in the
 *    ranker's order, healthy ones only while ceil(desired × min%) healthy tasks remain.
 * 4. Healthy tasks that must go — on DRAINING instances first, then other deployments' — stop
 *    while ceil(desired × min%) healthy tasks remain, so a rolling update with min% < 100 frees
 *    capacity before new tasks are healthy, and with 100% stops one for each new healthy task.
 * 5. Tasks that failed their health checks stay only while the service has fewer healthy tasks
 *    than desired (ECS starts their replacements first), then stop.
 * 6. PRIMARY tasks are started to reach the desired count, never beyond floor(desired × max%)
 *    live tasks. When max% leaves no room, ECS stops an unhealthy task, else a draining one (even
 *    below min%: an instance must drain), else reports the deployment configuration as blocking.
 * A task being stopped (desiredStatus STOPPED) no longer counts against max%; a start counts at once.
 */

export interface ReplicaInput extends RunInput {
  readonly service: ReplicaServiceSpec;
  /** Scale-in order from the service's placement strategy; default `defaultStopOrder`. */
  readonly rankForStop?: StopRanker;
}

export function reconcileReplica(input: ReplicaInput): SchedulerPlan {
  const desired = input.service.desiredCount;
  const prepared = prepare(input, desired);
  const { minimumHealthyPercent, maximumPercent } = input.service.deploymentConfiguration;
  return assemble(
    input,
    prepared,
    decide({
      live: prepared.live,
      primary: prepared.rollout.primary,
      desired,
      minHealthy: minHealthyTasks(desired, minimumHealthyPercent),
      maxLive: maxLiveTasks(desired, maximumPercent),
      canStart: prepared.rollout.canStart && desired > 0,
      rank: input.rankForStop ?? defaultStopOrder(input.deployments),
    }),
  );
}

interface DecideArgs {
  readonly live: readonly Candidate[];
  readonly primary: ServiceDeployment;
  readonly desired: number;
  readonly minHealthy: number;
  readonly maxLive: number;
  readonly canStart: boolean;
  readonly rank: StopRanker;
}

/** Steps 1–6 of the file comment, over the live tasks' health at this instant. */
function decide(a: DecideArgs): Decided {
  const stops = new Map<string, Candidate>();
  const alive = (): Candidate[] => a.live.filter((c) => !stops.has(c.task.arn));
  const healthyCount = (): number => alive().filter(isHealthy).length;
  const stop = (c: Candidate): void => void stops.set(c.task.arn, c);
  /** Stop candidates in rank order; a healthy one only while min healthy still holds after it. */
  const stopWithinMin = (candidates: readonly Candidate[], limit = Infinity): void => {
    let left = limit;
    for (const c of ranked(candidates, a.rank)) {
      if (left <= 0) return;
      if (isHealthy(c) && healthyCount() - 1 < a.minHealthy) continue;
      stop(c);
      left -= 1;
    }
  };
  const primary = (c: Candidate): boolean => c.task.deploymentId === a.primary.id;
  const keeper = (c: Candidate): boolean =>
    primary(c) && !c.task.instanceDraining && c.health.kind !== 'unhealthy';

  // 1 and 2.
  for (const c of a.live) {
    if (c.task.instanceDraining && c.task.lastStatus !== 'RUNNING') stop(c);
    else if (!primary(c) && c.health.kind === 'starting') stop(c);
  }
  // 3. Not-yet-healthy surplus first: stopping them costs no healthy task.
  const keepers = alive().filter(keeper);
  if (keepers.length > a.desired) {
    const surplus = keepers.length - a.desired;
    stopWithinMin(
      keepers.filter((c) => !isHealthy(c)),
      surplus,
    );
    stopWithinMin(
      alive().filter((c) => keeper(c) && isHealthy(c)),
      alive().filter(keeper).length - a.desired,
    );
  }
  // 4.
  const leaving = alive().filter((c) => isHealthy(c) && (!primary(c) || c.task.instanceDraining));
  stopWithinMin(leaving.filter((c) => c.task.instanceDraining));
  stopWithinMin(leaving.filter((c) => !c.task.instanceDraining));
  // 5.
  const unhealthy = alive().filter((c) => c.health.kind === 'unhealthy');
  const keepUnhealthy = Math.max(0, a.desired - healthyCount());
  for (const c of ranked(unhealthy, a.rank).slice(0, Math.max(0, unhealthy.length - keepUnhealthy))) stop(c);

  // 6.
  const missing = (): number => Math.max(0, a.desired - alive().filter(keeper).length);
  const headroom = (): number => a.maxLive - alive().length;
  let blocked = false;
  if (a.canStart && missing() > 0 && headroom() <= 0) {
    const [sick] = ranked(
      alive().filter((c) => c.health.kind === 'unhealthy'),
      a.rank,
    );
    const [draining] = ranked(
      alive().filter((c) => c.task.instanceDraining),
      a.rank,
    );
    const waiting = alive().some((c) => c.health.kind === 'starting');
    if (sick !== undefined) stop(sick);
    else if (draining !== undefined) stop(draining);
    else blocked = !waiting && alive().some((c) => !primary(c));
  }
  // max% also holds when the desired count or maximumPercent was just lowered: the excess goes,
  // least useful first, even below min% (the two conflict only when ceil(d×min%) > floor(d×max%)).
  const excess = alive().length - a.maxLive;
  if (excess > 0) {
    const order = [...alive()].sort((x, y) => usefulness(x, keeper) - usefulness(y, keeper));
    for (const c of order.slice(0, excess)) stop(c);
  }
  const start = a.canStart ? Math.max(0, Math.min(missing(), headroom())) : 0;
  const unhealthyCount = a.live.filter((c) => c.health.kind === 'unhealthy').length;
  const rest = alive();
  const atDesired =
    stops.size === 0 &&
    start === 0 &&
    rest.length === a.desired &&
    rest.every((c) => keeper(c) && isHealthy(c));
  const starts = start
    ? [
        {
          deploymentId: a.primary.id,
          taskDefinition: a.primary.taskDefinition,
          count: start,
          replacingUnhealthy: Math.min(start, unhealthyCount),
        },
      ]
    : [];
  return { stops: [...stops.values()], start: starts, blocked, atDesired };
}

/** 0 = stop first: not yet healthy, then unhealthy, then healthy tasks that must go, then keepers. */
function usefulness(c: Candidate, keeper: (c: Candidate) => boolean): number {
  if (c.health.kind === 'starting') return 0;
  if (c.health.kind === 'unhealthy') return 1;
  return keeper(c) ? 3 : 2;
}
