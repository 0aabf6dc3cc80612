import type { InstanceStatus } from '../placement/types.js';
import { maxLiveTasks, minHealthyTasks } from './bounds.js';
import { assemble, isHealthy, prepare, ranked, type Candidate, type Decided, type RunInput } from './plan.js';
import { defaultStopOrder } from './stop-order.js';
import type { SchedulerPlan, ServiceDeployment, StartTasks } from './types.js';

/**
 * The DAEMON service scheduler: exactly one task of the PRIMARY deployment on each ACTIVE
 * container instance that meets the service's placement constraints, instances that join later
 * included; none elsewhere. ECS ("Service scheduler concepts", Daemon): the scheduler "will stop
 * tasks that do not meet the placement constraints", "does not place any tasks on instances that
 * have a DRAINING status", and the daemon task is "the first task to launch on the instances and
 * the last task to stop". Its desired count is the number of such instances.
 *
 * Rolling a new deployment uses minimumHealthyPercent (default 0) and maximumPercent (default
 * 100) over that count. With room under max% the new task starts beside the old one, which stops
 * once the new one is healthy; without (the usual 100%), the old task stops first — as many at a
 * time as min% allows — and the new one starts when the instance is empty, so the two never
 * compete for the instance's resources.
 */

export interface DaemonInstance {
  readonly arn: string;
  readonly status: InstanceStatus;
  /** Meets the service's placement constraints and the task definition's requirements. */
  readonly eligible: boolean;
  /** Live tasks of REPLICA services on it: on a DRAINING instance the daemon task waits for them. */
  readonly replicaTasks: number;
}

export interface DaemonInput extends RunInput {
  /** The cluster's container instances (an instance missing here is gone: its tasks stop). */
  readonly instances: readonly DaemonInstance[];
}

export function reconcileDaemon(input: DaemonInput): SchedulerPlan {
  const targets = input.instances.filter((i) => i.status === 'ACTIVE' && i.eligible);
  const desired = targets.length;
  const prepared = prepare(input, desired);
  const { minimumHealthyPercent, maximumPercent } = input.service.deploymentConfiguration;
  return assemble(
    input,
    prepared,
    decide({
      input,
      live: prepared.live,
      primary: prepared.rollout.primary,
      targets,
      minHealthy: minHealthyTasks(desired, minimumHealthyPercent),
      maxLive: maxLiveTasks(desired, maximumPercent),
      canStart: prepared.rollout.canStart,
    }),
  );
}

interface DecideArgs {
  readonly input: DaemonInput;
  readonly live: readonly Candidate[];
  readonly primary: ServiceDeployment;
  readonly targets: readonly DaemonInstance[];
  readonly minHealthy: number;
  readonly maxLive: number;
  readonly canStart: boolean;
}

function decide(a: DecideArgs): Decided {
  const rank = defaultStopOrder(a.input.deployments);
  const instances = new Map(a.input.instances.map((i) => [i.arn, i]));
  const stops = new Map<string, Candidate>();
  const stop = (c: Candidate): void => void stops.set(c.task.arn, c);
  const alive = (): Candidate[] => a.live.filter((c) => !stops.has(c.task.arn));
  const healthyCount = (): number => alive().filter(isHealthy).length;
  const primary = (c: Candidate): boolean => c.task.deploymentId === a.primary.id;
  const on = (arn: string): Candidate[] => alive().filter((c) => c.task.containerInstanceArn === arn);

  // Tasks where no daemon task belongs: gone, ineligible, or DRAINING once its replica tasks left.
  for (const c of a.live) {
    const at = instances.get(c.task.containerInstanceArn ?? '');
    if (at === undefined || (at.status !== 'ACTIVE' && at.status !== 'DRAINING')) stop(c);
    else if (at.status === 'DRAINING') {
      if (at.replicaTasks === 0) stop(c);
    } else if (!at.eligible) stop(c);
  }
  // On each target instance: failed health checks, other deployments' tasks that serve nothing,
  // and more than one task of the PRIMARY.
  for (const i of a.targets) {
    for (const c of on(i.arn)) if (c.health.kind === 'unhealthy' || (!primary(c) && !isHealthy(c))) stop(c);
    // Keep the one the ranker would stop last.
    const mine = ranked(on(i.arn).filter(primary), rank);
    mine.slice(0, -1).forEach(stop);
  }
  // Rolling: an old task goes when the new one beside it is healthy, or (no room under max%) to
  // make way for it, while min% holds.
  const old = ranked(
    alive().filter((c) => !primary(c) && a.targets.some((i) => i.arn === c.task.containerInstanceArn)),
    rank,
  );
  const starts: StartTasks[] = [];
  const room = (): number => a.maxLive - alive().length - starts.length;
  const start = (arn: string): void =>
    void starts.push({
      deploymentId: a.primary.id,
      taskDefinition: a.primary.taskDefinition,
      count: 1,
      containerInstanceArn: arn,
      replacingUnhealthy: 0,
    });
  const waiting: Candidate[] = [];
  for (const c of old) {
    const replacement = on(c.task.containerInstanceArn ?? '').find(primary);
    if (replacement === undefined) waiting.push(c);
    else if (isHealthy(replacement)) stop(c);
  }
  // Room is judged before any old task stops: a stop frees its own instance, not a place beside
  // another old task.
  const beside = a.canStart ? Math.max(0, room()) : 0;
  for (const c of waiting.slice(0, beside)) start(c.task.containerInstanceArn ?? '');
  for (const c of waiting.slice(beside)) if (healthyCount() - 1 >= a.minHealthy) stop(c);
  // Empty instances get their task: nothing of the service there, live or still stopping.
  const occupied = new Set(
    a.input.tasks.filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.containerInstanceArn),
  );
  for (const i of a.targets) {
    const starting = starts.some((s) => s.containerInstanceArn === i.arn);
    if (a.canStart && !occupied.has(i.arn) && !starting && room() > 0) start(i.arn);
  }
  const rest = alive();
  const blocked =
    a.canStart &&
    starts.length === 0 &&
    stops.size === 0 &&
    rest.every(isHealthy) &&
    rest.some((c) => !primary(c));
  const atDesired =
    starts.length === 0 &&
    stops.size === 0 &&
    a.targets.every((i) => {
      const here = on(i.arn);
      return here.length === 1 && here.every((c) => primary(c) && isHealthy(c));
    });
  return { stops: [...stops.values()], start: starts, blocked, atDesired };
}
