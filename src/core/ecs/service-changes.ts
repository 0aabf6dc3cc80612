import type { CreateServiceRequest, TaskDefinition, UpdateServiceRequest } from '@aws-sdk/client-ecs';
import type { Scope } from '../arn.js';
import { checkName } from './names.js';
import type { ServiceRecord } from './service.js';
import { revisionChanged, startDeployment, type DeploymentIds } from './service-deployment.js';
import {
  checkDesiredCount,
  checkGracePeriod,
  checkLaunch,
  checkPlacement,
  checkSchedulingStrategy,
  checkServiceDefinition,
  checkUnsupported,
  containerImages,
  placementConstraints,
  placementStrategies,
  resolveDeploymentConfiguration,
} from './service-input.js';
import { checkLoadBalancers, checkRole, checkServiceRegistries } from './service-input-traffic.js';

/**
 * What CreateService and UpdateService make of a service: every check first, then the new record
 * (version + 1), so bad input changes nothing. A new PRIMARY deployment starts when a service is
 * created, when its revision changes (task definition, load balancers, service registries) and
 * when `forceNewDeployment` asks; other changes (desired count, placement, deployment
 * configuration, tags propagation, grace period) apply to the deployments in place.
 */

export interface CreateContext {
  /** The service's ARN (long format). */
  readonly arn: string;
  /** The cluster's name. */
  readonly cluster: string;
  readonly createdBy: string;
  /** A digest of the request, stored so a retry with the same clientToken is recognised. */
  readonly requestDigest: string;
  readonly scope: Scope;
  readonly ids: DeploymentIds;
  readonly now: number;
  /** An INACTIVE service of the same name that the new one replaces (same ARN): its version goes on. */
  readonly replacing?: ServiceRecord;
}

/** The service CreateService creates: ACTIVE, with one PRIMARY deployment IN_PROGRESS and no tasks. */
export function newService(
  input: CreateServiceRequest,
  definition: TaskDefinition,
  ctx: CreateContext,
): ServiceRecord {
  const name = checkName('Service name', input.serviceName ?? '');
  const strategy = checkSchedulingStrategy(input.schedulingStrategy);
  checkLaunch(input);
  const desiredCount = checkDesiredCount(strategy, input.desiredCount, true) ?? 0;
  checkServiceDefinition(definition);
  checkUnsupported(strategy, input, definition);
  const deploymentConfiguration = resolveDeploymentConfiguration(strategy, input.deploymentConfiguration);
  const strategies = placementStrategies(input.placementStrategy ?? []);
  const constraints = placementConstraints(input.placementConstraints ?? []);
  checkPlacement(strategy, strategies, constraints, definition);
  const grace = checkGracePeriod(input.healthCheckGracePeriodSeconds);
  const loadBalancers = checkLoadBalancers(input.loadBalancers ?? [], definition);
  const serviceRegistries = checkServiceRegistries(input.serviceRegistries ?? [], definition);
  const roleArn = checkRole(input.role, loadBalancers, ctx.scope);
  const created: ServiceRecord = {
    arn: ctx.arn,
    name,
    cluster: ctx.cluster,
    status: 'ACTIVE',
    schedulingStrategy: strategy,
    launchType: 'EC2',
    ...(input.clientToken !== undefined ? { clientToken: input.clientToken } : {}),
    createdAt: ctx.now,
    updatedAt: ctx.now,
    version: (ctx.replacing?.version ?? 0) + 1,
    taskDefinition: definition.taskDefinitionArn ?? '',
    loadBalancers,
    serviceRegistries,
    containerImages: containerImages(definition),
    desiredCount,
    deploymentConfiguration,
    placementConstraints: constraints,
    placementStrategy: strategies,
    ...(grace !== undefined ? { healthCheckGracePeriodSeconds: grace } : {}),
    propagateTags: input.propagateTags ?? 'NONE',
    enableECSManagedTags: input.enableECSManagedTags ?? false,
    enableExecuteCommand: input.enableExecuteCommand ?? false,
    // ECS turns Availability Zone rebalancing on for new replica services unless told otherwise.
    availabilityZoneRebalancing:
      input.availabilityZoneRebalancing ?? (strategy === 'REPLICA' ? 'ENABLED' : 'DISABLED'),
    ...(roleArn !== undefined ? { roleArn } : {}),
    createdBy: ctx.createdBy,
    requestDigest: ctx.requestDigest,
    events: [],
    deployments: [],
  };
  return startDeployment(created, ctx.ids, ctx.now);
}

export interface UpdateContext {
  readonly ids: DeploymentIds;
  readonly now: number;
}

/**
 * UpdateService on an ACTIVE service. `definition` is the revision the call names, or the
 * service's current one when it names none (load balancers and constraints are checked against
 * it). Answers the service and whether a deployment started.
 */
export function updatedService(
  current: ServiceRecord,
  input: UpdateServiceRequest,
  definition: TaskDefinition,
  ctx: UpdateContext,
): { service: ServiceRecord; deployed: boolean } {
  const strategy = current.schedulingStrategy;
  const desiredCount = checkDesiredCount(strategy, input.desiredCount, false);
  if (input.taskDefinition !== undefined) checkServiceDefinition(definition);
  checkUnsupported(strategy, input, definition);
  const deploymentConfiguration = resolveDeploymentConfiguration(
    strategy,
    input.deploymentConfiguration,
    current.deploymentConfiguration,
  );
  const strategies = input.placementStrategy
    ? placementStrategies(input.placementStrategy)
    : current.placementStrategy;
  const constraints = input.placementConstraints
    ? placementConstraints(input.placementConstraints)
    : current.placementConstraints;
  checkPlacement(strategy, strategies, constraints, definition);
  const grace = checkGracePeriod(input.healthCheckGracePeriodSeconds);
  const loadBalancers = input.loadBalancers
    ? checkLoadBalancers(input.loadBalancers, definition)
    : // A new task definition must still have the containers and ports the load balancers name.
      checkLoadBalancers(current.loadBalancers, definition);
  const serviceRegistries = input.serviceRegistries
    ? checkServiceRegistries(input.serviceRegistries, definition)
    : checkServiceRegistries(current.serviceRegistries, definition);
  // ECS ties the role to load balancers: a service left without any keeps no role.
  const roleArn = loadBalancers.length > 0 ? current.roleArn : undefined;
  const next: ServiceRecord = {
    ...withoutRole(current),
    ...(roleArn !== undefined ? { roleArn } : {}),
    updatedAt: ctx.now,
    version: current.version + 1,
    taskDefinition: definition.taskDefinitionArn ?? current.taskDefinition,
    loadBalancers,
    serviceRegistries,
    containerImages:
      input.taskDefinition !== undefined ? containerImages(definition) : current.containerImages,
    desiredCount: desiredCount ?? current.desiredCount,
    deploymentConfiguration,
    placementConstraints: constraints,
    placementStrategy: strategies,
    ...(grace !== undefined
      ? { healthCheckGracePeriodSeconds: grace }
      : current.healthCheckGracePeriodSeconds !== undefined
        ? { healthCheckGracePeriodSeconds: current.healthCheckGracePeriodSeconds }
        : {}),
    propagateTags: input.propagateTags ?? current.propagateTags,
    enableECSManagedTags: input.enableECSManagedTags ?? current.enableECSManagedTags,
    enableExecuteCommand: input.enableExecuteCommand ?? current.enableExecuteCommand,
    availabilityZoneRebalancing: input.availabilityZoneRebalancing ?? current.availabilityZoneRebalancing,
  };
  if (input.forceNewDeployment === true || revisionChanged(current, next)) {
    return { service: startDeployment(next, ctx.ids, ctx.now), deployed: true };
  }
  // No new revision: the PRIMARY deployment takes the new desired count.
  const deployments = next.deployments.map((d) =>
    d.status === 'PRIMARY' && d.desiredCount !== next.desiredCount
      ? { ...d, desiredCount: next.desiredCount, updatedAt: ctx.now }
      : d,
  );
  return { service: { ...next, deployments }, deployed: false };
}

/**
 * DeleteService: DRAINING with no tasks wanted; the controller stops the service's tasks and then
 * marks it INACTIVE.
 */
export function drainingService(current: ServiceRecord, now: number): ServiceRecord {
  return {
    ...current,
    status: 'DRAINING',
    desiredCount: 0,
    updatedAt: now,
    version: current.version + 1,
    deployments: current.deployments.map((d) =>
      d.desiredCount === 0 ? d : { ...d, desiredCount: 0, updatedAt: now },
    ),
  };
}

function withoutRole(service: ServiceRecord): ServiceRecord {
  const copy: { -readonly [K in keyof ServiceRecord]?: ServiceRecord[K] } = { ...service };
  delete copy.roleArn;
  return copy as ServiceRecord;
}
