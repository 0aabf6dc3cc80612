import type { LoadBalancer, PlacementConstraint, ServiceRegistry } from '@aws-sdk/client-ecs';
import type { PlacementStrategy } from '../placement/types.js';
import type { SchedulerMemo } from '../services/types.js';
import type { DeploymentRecord } from './service-deployment.js';

/**
 * ECS services as the control plane keeps them. A service is its configuration (what the API
 * sets), its deployments (each rolling one service revision out; PRIMARY first) and its event
 * stream. Who writes what:
 * - CreateService / UpdateService / DeleteService (control/ecs/services.ts) write the
 *   configuration, start deployments (`service-deployment.ts`) and move ACTIVE → DRAINING;
 * - the service controller writes the counts and rollout states of the deployments, the events,
 *   DAEMON services' `desiredCount`, and DRAINING → INACTIVE once the service's tasks are stopped.
 * Every write names the `version` it read (optimistic concurrency, store/services.ts).
 * Pure: ids, ARNs and times are passed in.
 */

export type ServiceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';
export type SchedulingStrategy = 'REPLICA' | 'DAEMON';
export type PropagateTags = 'NONE' | 'SERVICE' | 'TASK_DEFINITION';
export type AzRebalancing = 'ENABLED' | 'DISABLED';

/** The deployment configuration with ECS's defaults applied (`service-input.ts`). */
export interface DeploymentSettings {
  readonly maximumPercent: number;
  readonly minimumHealthyPercent: number;
  readonly deploymentCircuitBreaker: { readonly enable: boolean; readonly rollback: boolean };
  /** Stored and shown; Berth evaluates no CloudWatch alarms yet, so `enable` is always false. */
  readonly alarms?: {
    readonly alarmNames: readonly string[];
    readonly enable: boolean;
    readonly rollback: boolean;
  };
}

/** What one deployment rolls out: ECS's service revision. A change to any of it starts a deployment. */
export interface ServiceRevisionSpec {
  /** The task definition revision's ARN. */
  readonly taskDefinition: string;
  readonly loadBalancers: readonly LoadBalancer[];
  readonly serviceRegistries: readonly ServiceRegistry[];
  /** The definition's containers and images (DescribeServiceRevisions `containerImages`). */
  readonly containerImages: readonly { readonly containerName: string; readonly image: string }[];
}

/** The parts of a service stored as one document. */
export interface ServiceDoc extends ServiceRevisionSpec {
  /** REPLICA: as the API set it. DAEMON: the controller's count of eligible instances. */
  readonly desiredCount: number;
  readonly deploymentConfiguration: DeploymentSettings;
  readonly placementConstraints: readonly PlacementConstraint[];
  readonly placementStrategy: readonly PlacementStrategy[];
  readonly healthCheckGracePeriodSeconds?: number;
  readonly propagateTags: PropagateTags;
  readonly enableECSManagedTags: boolean;
  readonly enableExecuteCommand: boolean;
  readonly availabilityZoneRebalancing: AzRebalancing;
  /** The IAM role for load balancer registration, when the call named one (as an ARN). */
  readonly roleArn?: string;
  /** The principal that created it. */
  readonly createdBy: string;
  /** A digest of the CreateService request, so a retry with the same clientToken is recognised. */
  readonly requestDigest: string;
  /** Newest first, at most MAX_EVENTS. */
  readonly events: readonly ServiceEvent[];
  /** The service scheduler's memory between runs (core/services), kept by the controller. */
  readonly schedulerMemo?: SchedulerMemo;
}

export interface ServiceRecord extends ServiceDoc {
  /** `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`. */
  readonly arn: string;
  readonly name: string;
  /** The cluster's name. */
  readonly cluster: string;
  readonly status: ServiceStatus;
  readonly schedulingStrategy: SchedulingStrategy;
  /** Berth runs tasks on registered container instances only. */
  readonly launchType: 'EC2';
  readonly clientToken?: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms of the last write (which the controller also makes). */
  readonly updatedAt: number;
  /** Optimistic concurrency: every write names the version it read. */
  readonly version: number;
  /**
   * The deployments that are not INACTIVE, PRIMARY first then ACTIVE ones newest first. A write may
   * carry one the controller has just turned INACTIVE: it is stored (ListServiceDeployments keeps
   * it) and is not read back with the service.
   */
  readonly deployments: readonly DeploymentRecord[];
}

// ---------------------------------------------------------------------------------------------
// Events

/** One entry of a service's event stream (`events` in DescribeServices). */
export interface ServiceEvent {
  /** A UUID, as ECS's event ids are. */
  readonly id: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** In ECS's words, e.g. "(service web) has reached a steady state." */
  readonly message: string;
}

/** ECS shows a service's last 100 events. */
export const MAX_EVENTS = 100;

/** The service with `event` added: newest first, the oldest dropped past MAX_EVENTS. */
export function withEvent(service: ServiceRecord, event: ServiceEvent): ServiceRecord {
  return { ...service, events: [event, ...service.events].slice(0, MAX_EVENTS) };
}

// ---------------------------------------------------------------------------------------------
// Derived values

/** The service's task counts: its live deployments' together (DescribeServices `runningCount`). */
export function serviceCounts(service: ServiceRecord): { runningCount: number; pendingCount: number } {
  let runningCount = 0;
  let pendingCount = 0;
  for (const d of service.deployments) {
    if (d.status === 'INACTIVE') continue;
    runningCount += d.runningCount;
    pendingCount += d.pendingCount;
  }
  return { runningCount, pendingCount };
}
