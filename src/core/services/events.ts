import type { RejectReason } from '../placement/types.js';

/**
 * ECS's service event messages and deployment rollout reasons, word for word ("Amazon ECS service
 * event messages" in the ECS Developer Guide, and the messages ECS writes as DescribeServices
 * shows them). Tasks and container instances are named by their id, the ARN's last segment.
 */

const id = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);
const taskList = (arns: readonly string[]): string => arns.map((a) => `(task ${id(a)})`).join(' ');

export const messages = {
  steady: (service: string) => `(service ${service}) has reached a steady state.`,
  /** ECS adds the second sentence when the tasks replace ones that failed their health checks. */
  started: (service: string, taskArns: readonly string[], replacingUnhealthy = 0) =>
    `(service ${service}) has started ${taskArns.length} tasks: ${taskList(taskArns)}.` +
    (replacingUnhealthy > 0
      ? ` Amazon ECS replaced ${replacingUnhealthy} tasks due to an unhealthy status.`
      : ''),
  stopped: (service: string, taskArns: readonly string[]) =>
    `(service ${service}) has stopped ${taskArns.length} running tasks: ${taskList(taskArns)}.`,
  failedContainerHealth: (service: string, taskArn: string) =>
    `(service ${service}) (task ${id(taskArn)}) failed container health checks.`,
  throttled: (service: string) => `(service ${service}) is unable to consistently start tasks successfully.`,
  deploymentBlocked: (service: string) =>
    `(service ${service}) was unable to stop or start tasks during a deployment because of the service ` +
    'deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.',
  deploymentCompleted: (service: string, deployment: string) =>
    `(service ${service}) (deployment ${deployment}) deployment completed.`,
  deploymentFailed: (service: string, deployment: string) =>
    `(service ${service}) (deployment ${deployment}) deployment failed: tasks failed to start.`,
  rollingBack: (service: string, deployment: string) =>
    `(service ${service}) rolling back to deployment ${deployment}.`,
  /**
   * No instance could take a task. `closest` is the instance that passed the most checks and the
   * check it failed (placement-outcome.ts `closestMatch`); absent when the cluster has no instance.
   */
  unableToPlace: (
    service: string,
    closest?: { readonly instanceArn: string; readonly reason: RejectReason },
  ) =>
    `(service ${service}) was unable to place a task because no container instance met all of its requirements.` +
    (closest === undefined
      ? ''
      : ` The closest matching (container-instance ${id(closest.instanceArn)}) ${CLOSEST[closest.reason]}.` +
        ' For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.'),
} as const;

/**
 * How ECS words the closest instance's failed check (Record: a new reason does not compile
 * unworded). ECS never names an INACTIVE or DRAINING instance, and documents no GPU or ENI
 * wording: those four are Berth's.
 */
const CLOSEST: Readonly<Record<RejectReason, string>> = {
  INACTIVE: 'is not active',
  DRAINING: 'is draining',
  AGENT: "doesn't have the agent connected",
  ATTRIBUTE: 'is missing an attribute required by your task',
  'MemberOf placement constraint unsatisfied.':
    'encountered error "MemberOf placement constraint unsatisfied."',
  'DistinctInstance placement constraint unsatisfied.':
    'encountered error "DistinctInstance placement constraint unsatisfied."',
  'RESOURCE:CPU': 'has insufficient CPU units available',
  'RESOURCE:MEMORY': 'has insufficient memory available',
  'RESOURCE:PORTS': 'is already using a port required by your task',
  'RESOURCE:PORTS_UDP': 'is already using a port required by your task',
  'RESOURCE:GPU': 'has insufficient GPU resources available',
  'RESOURCE:ENI': 'has insufficient ENI attachment points available',
};

/** ECS's `rolloutStateReason` texts. */
export const rolloutReasons = {
  inProgress: (deployment: string) => `ECS deployment ${deployment} in progress.`,
  completed: (deployment: string) => `ECS deployment ${deployment} completed.`,
  circuitBreakerFailed: 'ECS deployment circuit breaker: tasks failed to start.',
  rollingBack: (deployment: string) =>
    `ECS deployment circuit breaker: rolling back to deploymentId ${deployment}.`,
} as const;

/** ECS's stoppedReason for tasks stopped to scale or replace (stopCode ServiceSchedulerInitiated). */
export const scalingReason = (deployment: string): string =>
  `Scaling activity initiated by (deployment ${deployment})`;

/** ECS repeats a duplicate message only after six hours unless its cause was resolved meanwhile. */
export const REPEAT_AFTER_MS = 6 * 60 * 60 * 1000;

/**
 * Emits messages once per cause: `say` adds a message unless it was said less than six hours ago,
 * `resolve` forgets messages whose cause has gone so they are said again when it comes back.
 */
export class EventLog {
  readonly said: string[] = [];
  private readonly at: Record<string, number>;

  constructor(
    eventsAt: Readonly<Record<string, number>>,
    private readonly now: number,
  ) {
    this.at = { ...eventsAt };
  }

  /** A one-off message (started, stopped, deployment transitions): always said. */
  add(message: string): void {
    this.said.push(message);
  }

  /** A standing condition's message: said when it starts and every six hours while it lasts. */
  say(message: string): void {
    const last = this.at[message];
    if (last !== undefined && this.now - last < REPEAT_AFTER_MS) return;
    this.at[message] = this.now;
    this.said.push(message);
  }

  resolve(message: string): void {
    delete this.at[message];
  }

  resolveMatching(test: (message: string) => boolean): void {
    for (const m of Object.keys(this.at)) if (test(m)) delete this.at[m];
  }

  /** When the earliest standing message is due again, for `nextCheckAt`. */
  nextRepeatAt(): number | undefined {
    const times = Object.values(this.at);
    return times.length ? Math.min(...times) + REPEAT_AFTER_MS : undefined;
  }

  eventsAt(): Readonly<Record<string, number>> {
    return { ...this.at };
  }
}
