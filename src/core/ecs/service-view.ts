import type {
  Deployment,
  DeploymentConfiguration,
  Service,
  ServiceDeployment,
  ServiceDeploymentBrief,
  ServiceRevision,
  ServiceRevisionSummary,
  Tag,
} from '@aws-sdk/client-ecs';
import type { DeploymentSettings, ServiceRecord } from './service.js';
import { serviceCounts } from './service.js';
import {
  circuitBreakerThreshold,
  clusterArnOf,
  revisionArn,
  type DeploymentRecord,
} from './service-deployment.js';

/**
 * The API shapes of a service and its deployments, with exactly the API model's members
 * (DescribeServices, ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions).
 */

const at = (ms: number): Date => new Date(ms);

/** DescribeServices (and Create/Update/DeleteService) `service`; `tags` only when asked for. */
export function serviceView(service: ServiceRecord, tags?: readonly Tag[]): Service {
  return {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: clusterArnOf(service.arn),
    loadBalancers: service.loadBalancers.map((lb) => ({ ...lb })),
    serviceRegistries: service.serviceRegistries.map((r) => ({ ...r })),
    status: service.status,
    desiredCount: service.desiredCount,
    ...serviceCounts(service),
    launchType: service.launchType,
    taskDefinition: service.taskDefinition,
    deploymentConfiguration: configurationView(service.deploymentConfiguration),
    deployments: service.deployments.filter((d) => d.status !== 'INACTIVE').map(deploymentView),
    ...(service.roleArn !== undefined ? { roleArn: service.roleArn } : {}),
    events: service.events.map((e) => ({ id: e.id, createdAt: at(e.createdAt), message: e.message })),
    createdAt: at(service.createdAt),
    placementConstraints: service.placementConstraints.map((c) => ({ ...c })),
    placementStrategy: service.placementStrategy.map((s) => ({ ...s })),
    ...(service.healthCheckGracePeriodSeconds !== undefined
      ? { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds }
      : {}),
    schedulingStrategy: service.schedulingStrategy,
    deploymentController: { type: 'ECS' },
    ...(tags !== undefined ? { tags: tags.map((t) => ({ key: t.key, value: t.value })) } : {}),
    createdBy: service.createdBy,
    enableECSManagedTags: service.enableECSManagedTags,
    propagateTags: service.propagateTags,
    enableExecuteCommand: service.enableExecuteCommand,
    availabilityZoneRebalancing: service.availabilityZoneRebalancing,
  };
}

/** One entry of DescribeServices `deployments`. */
export function deploymentView(d: DeploymentRecord): Deployment {
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.revision.taskDefinition,
    desiredCount: d.desiredCount,
    pendingCount: d.pendingCount,
    runningCount: d.runningCount,
    failedTasks: d.failedTasks,
    createdAt: at(d.createdAt),
    updatedAt: at(d.updatedAt),
    launchType: 'EC2',
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

/** ListServiceDeployments' entry for a deployment of `service`. */
export function serviceDeploymentBrief(service: ServiceRecord, d: DeploymentRecord): ServiceDeploymentBrief {
  return {
    serviceDeploymentArn: d.arn,
    serviceArn: service.arn,
    clusterArn: clusterArnOf(service.arn),
    startedAt: at(d.createdAt),
    createdAt: at(d.createdAt),
    ...(d.finishedAt !== undefined ? { finishedAt: at(d.finishedAt) } : {}),
    targetServiceRevisionArn: revisionArn(service.arn, d.id),
    status: d.deploymentStatus,
    ...(d.statusReason !== undefined ? { statusReason: d.statusReason } : {}),
  };
}

/**
 * DescribeServiceDeployments' view of a deployment of `service`. Revision counts come from the
 * service's live deployments (a source deployment gone INACTIVE counts zero tasks).
 */
export function serviceDeploymentView(service: ServiceRecord, d: DeploymentRecord): ServiceDeployment {
  const live = new Map(service.deployments.filter((x) => x.status !== 'INACTIVE').map((x) => [x.id, x]));
  const summary = (id: string, own?: DeploymentRecord): ServiceRevisionSummary => {
    const counted = own ?? live.get(id);
    return {
      arn: revisionArn(service.arn, id),
      requestedTaskCount: counted?.desiredCount ?? 0,
      runningTaskCount: counted?.runningCount ?? 0,
      pendingTaskCount: counted?.pendingCount ?? 0,
    };
  };
  const breaker = d.deploymentConfiguration.deploymentCircuitBreaker;
  const alarms = d.deploymentConfiguration.alarms;
  return {
    serviceDeploymentArn: d.arn,
    serviceArn: service.arn,
    clusterArn: clusterArnOf(service.arn),
    createdAt: at(d.createdAt),
    startedAt: at(d.createdAt),
    ...(d.finishedAt !== undefined ? { finishedAt: at(d.finishedAt) } : {}),
    ...(d.stoppedAt !== undefined ? { stoppedAt: at(d.stoppedAt) } : {}),
    updatedAt: at(d.updatedAt),
    sourceServiceRevisions: d.sourceDeploymentIds.map((id) => summary(id)),
    targetServiceRevision: summary(d.id, d),
    status: d.deploymentStatus,
    ...(d.statusReason !== undefined ? { statusReason: d.statusReason } : {}),
    deploymentConfiguration: configurationView(d.deploymentConfiguration),
    ...(d.rollback
      ? {
          rollback: {
            reason: d.rollback.reason,
            startedAt: at(d.rollback.startedAt),
            serviceRevisionArn: revisionArn(service.arn, d.rollback.deploymentId),
          },
        }
      : {}),
    deploymentCircuitBreaker: {
      status: !breaker.enable
        ? 'DISABLED'
        : d.rolloutState === 'FAILED'
          ? 'TRIGGERED'
          : d.rolloutState === 'COMPLETED'
            ? 'MONITORING_COMPLETE'
            : 'MONITORING',
      failureCount: d.failedTasks,
      threshold: circuitBreakerThreshold(d.desiredCount),
    },
    ...(alarms
      ? { alarms: { status: 'DISABLED', alarmNames: [...alarms.alarmNames], triggeredAlarmNames: [] } }
      : {}),
  };
}

/** DescribeServiceRevisions' view of the revision deployment `d` of `service` rolls out. */
export function serviceRevisionView(service: ServiceRecord, d: DeploymentRecord): ServiceRevision {
  return {
    serviceRevisionArn: revisionArn(service.arn, d.id),
    serviceArn: service.arn,
    clusterArn: clusterArnOf(service.arn),
    taskDefinition: d.revision.taskDefinition,
    launchType: 'EC2',
    loadBalancers: d.revision.loadBalancers.map((lb) => ({ ...lb })),
    serviceRegistries: d.revision.serviceRegistries.map((r) => ({ ...r })),
    containerImages: d.revision.containerImages.map((c) => ({ ...c })),
    guardDutyEnabled: false,
    createdAt: at(d.createdAt),
  };
}

function configurationView(c: DeploymentSettings): DeploymentConfiguration {
  return {
    deploymentCircuitBreaker: { ...c.deploymentCircuitBreaker },
    maximumPercent: c.maximumPercent,
    minimumHealthyPercent: c.minimumHealthyPercent,
    ...(c.alarms ? { alarms: { ...c.alarms, alarmNames: [...c.alarms.alarmNames] } } : {}),
  };
}
