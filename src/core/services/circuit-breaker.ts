import type { CircuitBreakerConfig, ServiceDeployment } from './types.js';

/**
 * ECS's deployment circuit breaker ("How the Amazon ECS deployment circuit breaker detects
 * failures", ECS Developer Guide; API Reference, DeploymentCircuitBreaker, ThresholdConfiguration,
 * ServiceDeploymentCircuitBreaker):
 * - the threshold is 0.5 × desired count, rounded up, at least 3 and at most 200 (BOUNDED_PERCENT
 *   50, the default); UNBOUNDED_PERCENT drops the bounds, COUNT gives the number itself;
 * - the PRIMARY deployment, while IN_PROGRESS, counts its failed tasks (stopped.ts); a task that
 *   reaches a healthy state resets the count (`resetOnHealthyTask`, default true);
 * - at the threshold the deployment is FAILED and launches no new tasks; with `rollback`, the most
 *   recent COMPLETED deployment becomes PRIMARY again and goes back to IN_PROGRESS; without one,
 *   "the circuit breaker does not launch new tasks and the deployment is stalled".
 */

export const THRESHOLD_MIN = 3;
export const THRESHOLD_MAX = 200;

export function failureThreshold(config: CircuitBreakerConfig, desiredCount: number): number {
  const { type, value } = config.thresholdConfiguration ?? { type: 'BOUNDED_PERCENT', value: 50 };
  if (type === 'COUNT') return value;
  const share = Math.ceil((value * desiredCount) / 100);
  // ECS does not say what an unbounded threshold of 0 means; one failure is the least that can trip.
  return type === 'UNBOUNDED_PERCENT'
    ? Math.max(1, share)
    : Math.min(THRESHOLD_MAX, Math.max(THRESHOLD_MIN, share));
}

/** The deployment's failedTasks after this run's new failures. */
export function countFailures(
  deployment: ServiceDeployment,
  newFailures: number,
  hasHealthyTask: boolean,
  config: CircuitBreakerConfig,
): number {
  // A healthy task means the deployment can run: ECS resets the count and, while one stays
  // healthy, failures of its siblings do not add up to a failed deployment.
  if (hasHealthyTask && config.resetOnHealthyTask !== false) return 0;
  return deployment.failedTasks + newFailures;
}

export function trips(
  deployment: ServiceDeployment,
  config: CircuitBreakerConfig,
  desiredCount: number,
): boolean {
  return (
    config.enable &&
    deployment.status === 'PRIMARY' &&
    deployment.rolloutState === 'IN_PROGRESS' &&
    deployment.failedTasks >= failureThreshold(config, desiredCount)
  );
}

/** The most recent COMPLETED deployment other than the failed one: where a rollback goes. */
export function rollbackTarget(
  deployments: readonly ServiceDeployment[],
  failed: ServiceDeployment,
): ServiceDeployment | undefined {
  return deployments
    .filter((d) => d.id !== failed.id && d.rolloutState === 'COMPLETED')
    .reduce<ServiceDeployment | undefined>(
      (best, d) => (best === undefined || d.createdAt > best.createdAt ? d : best),
      undefined,
    );
}
