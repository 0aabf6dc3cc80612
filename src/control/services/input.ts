import type { DeploymentRecord } from '../../core/ecs/service-deployment.js';
import type { ServiceRecord } from '../../core/ecs/service.js';
import type { TaskRecord } from '../../core/ecs/task.js';
import type { ServiceDeployment, ServiceSpec, ServiceTask } from '../../core/services/types.js';

/**
 * The service scheduler's input (core/services/types.ts) from what the store holds: the service,
 * its deployments and its tasks as records. Pure.
 */

/** The group every task of a service is placed and listed under (ECS: `service:<name>`). */
export function serviceGroup(serviceName: string): string {
  return `service:${serviceName}`;
}

export function serviceSpec(service: ServiceRecord): ServiceSpec {
  const config = service.deploymentConfiguration;
  return {
    name: service.name,
    deploymentConfiguration: {
      minimumHealthyPercent: config.minimumHealthyPercent,
      maximumPercent: config.maximumPercent,
      circuitBreaker: {
        enable: config.deploymentCircuitBreaker.enable,
        rollback: config.deploymentCircuitBreaker.rollback,
      },
    },
    healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds ?? 0,
    // A task of a load-balanced service is healthy once its targets are (core/services/health.ts).
    loadBalanced: service.loadBalancers.length > 0,
  };
}

export function schedulerDeployment(d: DeploymentRecord): ServiceDeployment {
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.revision.taskDefinition,
    createdAt: d.createdAt,
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
    failedTasks: d.failedTasks,
    desiredCount: d.desiredCount,
    runningCount: d.runningCount,
    pendingCount: d.pendingCount,
  };
}

/** A task of the service as the scheduler sees it; `draining` holds the DRAINING instances' ARNs. */
export function serviceTask(
  task: TaskRecord,
  draining: ReadonlySet<string>,
  target?: ServiceTask['target'],
): ServiceTask {
  const s = task.state;
  return {
    arn: task.arn,
    deploymentId: task.startedBy ?? '',
    lastStatus: s.lastStatus,
    desiredStatus: s.desiredStatus,
    healthStatus: s.healthStatus,
    healthChecked: s.containers.some((c) => c.essential && c.hasHealthCheck),
    createdAt: task.createdAt,
    ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}),
    ...(s.stoppedAt !== undefined ? { stoppedAt: s.stoppedAt } : {}),
    ...(s.stopCode !== undefined ? { stopCode: s.stopCode } : {}),
    ...(s.stoppedReason !== undefined ? { stoppedReason: s.stoppedReason } : {}),
    containerInstanceArn: task.containerInstanceArn,
    instanceDraining: draining.has(task.containerInstanceArn),
    ...(target !== undefined ? { target } : {}),
  };
}
