import { parseArn } from '../arn.js';
import type { DeploymentSettings, ServiceRecord, ServiceRevisionSpec } from './service.js';

/**
 * A service's deployments: each rolls one service revision out. DescribeServices shows them as
 * `deployments` (PRIMARY / ACTIVE, with counts and `rolloutState`); the service-deployment API
 * (ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions) shows the same
 * record as a "service deployment" with a status of its own and the revision it targets. One id
 * names both: the deployment's `ecs-svc/<digits>` and its service revision's `.../<digits>`.
 *
 * API operations start deployments (`startDeployment`); the controller moves them on: counts,
 * `failedTasks`, `rolloutState` + `rolloutStateReason`, `deploymentStatus` + `statusReason`,
 * `finishedAt`/`stoppedAt`, `rollback`, and PRIMARY → ACTIVE → INACTIVE as tasks are replaced.
 */

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
/** ECS's ServiceDeploymentStatus (the API model's values). */
export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

export interface DeploymentRecord {
  /** `ecs-svc/<19 digits>`. */
  readonly id: string;
  /** The service deployment's ARN: `…:service-deployment/<cluster>/<service>/<21 characters>`. */
  readonly arn: string;
  readonly status: DeploymentStatus;
  readonly revision: ServiceRevisionSpec;
  readonly desiredCount: number;
  readonly pendingCount: number;
  readonly runningCount: number;
  /** Consecutive tasks that failed to start or stay healthy (the circuit breaker counts these). */
  readonly failedTasks: number;
  readonly rolloutState: RolloutState;
  readonly rolloutStateReason: string;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly deploymentStatus: ServiceDeploymentStatus;
  readonly statusReason?: string;
  readonly finishedAt?: number;
  readonly stoppedAt?: number;
  /** The deployments whose revisions were running when this one started (its source revisions). */
  readonly sourceDeploymentIds: readonly string[];
  /** The service's deployment configuration when this deployment started. */
  readonly deploymentConfiguration: DeploymentSettings;
  /** Set when this deployment failed and the service rolled back to deployment `deploymentId`'s revision. */
  readonly rollback?: { readonly reason: string; readonly startedAt: number; readonly deploymentId: string };
}

/** The random parts of a new deployment's names, drawn by the caller. */
export interface DeploymentIds {
  /** 19 decimal digits: `ecs-svc/<digits>` and the service revision's id. */
  readonly digits: string;
  /** 21 letters and digits: the service deployment ARN's last part. */
  readonly serviceDeploymentId: string;
}

/**
 * A new deployment of the service's current revision, as PRIMARY. Its sources are the service's
 * deployments that are not INACTIVE.
 */
export function newDeployment(service: ServiceRecord, ids: DeploymentIds, now: number): DeploymentRecord {
  const id = `ecs-svc/${ids.digits}`;
  // Creation times increase within a service, so "newest first" is the order deployments started
  // in even when two start in the same millisecond (the newest is always live, hence in the list).
  const createdAt = Math.max(now, ...service.deployments.map((d) => d.createdAt + 1));
  return {
    id,
    arn: siblingArn(service.arn, 'service-deployment', ids.serviceDeploymentId),
    status: 'PRIMARY',
    revision: revisionOf(service),
    desiredCount: service.desiredCount,
    pendingCount: 0,
    runningCount: 0,
    failedTasks: 0,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${id} in progress.`,
    createdAt,
    updatedAt: createdAt,
    deploymentStatus: 'IN_PROGRESS',
    sourceDeploymentIds: service.deployments.filter((d) => d.status !== 'INACTIVE').map((d) => d.id),
    deploymentConfiguration: service.deploymentConfiguration,
  };
}

/**
 * Starts a deployment of the service's current revision: it becomes PRIMARY and the PRIMARY it
 * replaces becomes ACTIVE (the controller drains it). A replaced deployment that had not finished
 * is STOPPED in the service-deployment API: a newer one took over.
 */
export function startDeployment(service: ServiceRecord, ids: DeploymentIds, now: number): ServiceRecord {
  const next = newDeployment(service, ids, now);
  const replaced = service.deployments.map((d): DeploymentRecord => {
    if (d.status !== 'PRIMARY') return d;
    const unfinished = d.deploymentStatus === 'PENDING' || d.deploymentStatus === 'IN_PROGRESS';
    return {
      ...d,
      status: 'ACTIVE',
      updatedAt: now,
      ...(unfinished
        ? {
            deploymentStatus: 'STOPPED',
            statusReason: `Deployment ${next.id} replaced it before it completed.`,
            stoppedAt: now,
            finishedAt: now,
          }
        : {}),
    };
  });
  return { ...service, deployments: [next, ...replaced] };
}

/** The revision the service's configuration describes now. */
function revisionOf(service: ServiceRevisionSpec): ServiceRevisionSpec {
  return {
    taskDefinition: service.taskDefinition,
    loadBalancers: service.loadBalancers,
    serviceRegistries: service.serviceRegistries,
    containerImages: service.containerImages,
  };
}

/** Whether two revisions differ (a difference is what makes UpdateService start a deployment). */
export function revisionChanged(a: ServiceRevisionSpec, b: ServiceRevisionSpec): boolean {
  return JSON.stringify(revisionOf(a)) !== JSON.stringify(revisionOf(b));
}

/**
 * The circuit breaker's failed-task threshold: half the desired count, rounded up, kept between
 * 3 and 200 (ECS's bounds).
 */
export function circuitBreakerThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount / 2)));
}

/** The service revision ARN of a deployment: `…:service-revision/<cluster>/<service>/<digits>`. */
export function revisionArn(serviceArn: string, deploymentId: string): string {
  return siblingArn(serviceArn, 'service-revision', deploymentId.slice('ecs-svc/'.length));
}

/** The cluster ARN a service ARN names. */
export function clusterArnOf(serviceArn: string): string {
  const { prefix, cluster } = splitServiceArn(serviceArn);
  return `${prefix}cluster/${cluster}`;
}

/** An ARN of the same partition/region/account for `<type>/<cluster>/<service>/<id>`. */
function siblingArn(serviceArn: string, type: string, id: string): string {
  const { prefix, cluster, name } = splitServiceArn(serviceArn);
  return `${prefix}${type}/${cluster}/${name}/${id}`;
}

function splitServiceArn(serviceArn: string): { prefix: string; cluster: string; name: string } {
  const parsed = parseArn(serviceArn);
  const [type, cluster, name] = parsed?.resource.split('/') ?? [];
  if (!parsed || type !== 'service' || !cluster || !name) {
    // Service ARNs are built by Berth in the long format; anything else is a bug, not input.
    throw new Error(`not a long-format service ARN: ${serviceArn}`);
  }
  return {
    prefix: `arn:${parsed.partition}:${parsed.service}:${parsed.region}:${parsed.accountId}:`,
    cluster,
    name,
  };
}
