import type { ServiceSpec, ServiceTask } from './types.js';

/**
 * When a service task counts as healthy, ECS's rule (API Reference, DeploymentConfiguration
 * .minimumHealthyPercent):
 * - without a load balancer: a task whose essential containers define health checks is healthy once
 *   they pass (task healthStatus HEALTHY); a task without any is counted 40 seconds after it
 *   reaches RUNNING;
 * - with a load balancer: its target must also be healthy (and, with container health checks, the
 *   task too); the 40 seconds do not apply.
 * A task is unhealthy when its container health or its target is unhealthy, except within
 * `healthCheckGracePeriodSeconds` of its start, when ECS ignores both (CreateService).
 */

/** ECS waits this long after RUNNING before counting a task without container health checks. */
export const NO_HEALTH_CHECK_WAIT_MS = 40_000;

/** desiredStatus RUNNING and not yet STOPPED: what counts against maximumPercent. */
export function isLive(task: ServiceTask): boolean {
  return task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED';
}

export type Health =
  /** Counts towards minimumHealthyPercent. */
  | { readonly kind: 'healthy' }
  /** Not healthy yet; `until` is when that may change by time alone (a wait or a grace period ends). */
  | { readonly kind: 'starting'; readonly until?: number }
  /** Failed its health checks after the grace period: replace it. `reason` is ECS's stoppedReason. */
  | { readonly kind: 'unhealthy'; readonly reason: string; readonly containerChecks: boolean };

/** ECS's stoppedReason for a task stopped because its container health checks failed. */
export const FAILED_CONTAINER_HEALTH = 'Task failed container health checks';
/** ECS's stoppedReason for a task stopped because its target failed the load balancer's checks. */
export const failedElbHealth = (targetGroupArn: string): string =>
  `Task failed ELB health checks in (target-group ${targetGroupArn})`;

/** Whether a STOPPED task was stopped by the scheduler for failing health checks. */
export function stoppedForHealth(task: ServiceTask): boolean {
  const reason = task.stoppedReason ?? '';
  return reason === FAILED_CONTAINER_HEALTH || reason.startsWith('Task failed ELB health checks');
}

/**
 * The health of a live task at `now`. `noHealthCheckWaitMs` is ECS's 40 seconds; tests and
 * simulations may shorten it.
 */
export function classifyHealth(
  task: ServiceTask,
  service: ServiceSpec,
  now: number,
  noHealthCheckWaitMs = NO_HEALTH_CHECK_WAIT_MS,
): Health {
  if (task.lastStatus !== 'RUNNING' || task.startedAt === undefined) return { kind: 'starting' };
  const graceEnds = task.startedAt + service.healthCheckGracePeriodSeconds * 1000;
  const containerUnhealthy = task.healthChecked && task.healthStatus === 'UNHEALTHY';
  const targetUnhealthy = service.loadBalanced && task.target?.state === 'unhealthy';
  if (containerUnhealthy || targetUnhealthy) {
    if (now < graceEnds) return { kind: 'starting', until: graceEnds };
    return containerUnhealthy
      ? { kind: 'unhealthy', reason: FAILED_CONTAINER_HEALTH, containerChecks: true }
      : {
          kind: 'unhealthy',
          reason: failedElbHealth(task.target?.targetGroupArn ?? ''),
          containerChecks: false,
        };
  }
  if (task.healthChecked && task.healthStatus !== 'HEALTHY') return { kind: 'starting' };
  if (service.loadBalanced)
    return task.target?.state === 'healthy' ? { kind: 'healthy' } : { kind: 'starting' };
  if (!task.healthChecked && now < task.startedAt + noHealthCheckWaitMs) {
    return { kind: 'starting', until: task.startedAt + noHealthCheckWaitMs };
  }
  return { kind: 'healthy' };
}
