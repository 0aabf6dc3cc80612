import type {
  CreateServiceRequest,
  DeploymentConfiguration,
  PlacementConstraint,
  TaskDefinition,
  UpdateServiceRequest,
} from '@aws-sdk/client-ecs';
import { invalidParameter } from '../fault.js';
import { combineConstraints } from '../placement/constraints.js';
import { checkStrategies } from '../placement/strategies.js';
import type { PlacementStrategy } from '../placement/types.js';
import type { DeploymentSettings, SchedulingStrategy, ServiceRevisionSpec } from './service.js';

/**
 * CreateService / UpdateService input, checked as ECS checks it, with ECS's defaults applied.
 * Where ECS's wording is known it is used word for word (the DAEMON rules, TaskDefinition is
 * inactive, the network configuration); elsewhere the message says what to change. Load
 * balancers, service registries and the role are in service-input-traffic.ts.
 */

/** CreateService's and UpdateService's input members, as far as the checks here need them. */
type ServiceInput = Pick<
  CreateServiceRequest & UpdateServiceRequest,
  | 'desiredCount'
  | 'capacityProviderStrategy'
  | 'platformVersion'
  | 'deploymentConfiguration'
  | 'placementConstraints'
  | 'placementStrategy'
  | 'networkConfiguration'
  | 'healthCheckGracePeriodSeconds'
  | 'serviceConnectConfiguration'
  | 'volumeConfigurations'
  | 'vpcLatticeConfigurations'
>;

/** REPLICA services roll out with 100% / 200% unless told otherwise; DAEMON services with 0% / 100%. */
const DEFAULT_PERCENTS: Record<
  SchedulingStrategy,
  { minimumHealthyPercent: number; maximumPercent: number }
> = {
  REPLICA: { minimumHealthyPercent: 100, maximumPercent: 200 },
  DAEMON: { minimumHealthyPercent: 0, maximumPercent: 100 },
};

const MAX_GRACE_SECONDS = 2_147_483_647;
const MAX_CLIENT_TOKEN = 36;

/** The task definition a service may run: ACTIVE, and not awsvpc (which arrives with its own issue). */
export function checkServiceDefinition(definition: TaskDefinition): void {
  // ECS's answer, word for word, as RunTask gives it.
  if (definition.status !== 'ACTIVE') throw invalidParameter('TaskDefinition is inactive');
  if (definition.networkMode === 'awsvpc') {
    throw invalidParameter(
      `Task definition '${definition.taskDefinitionArn ?? ''}' uses networkMode awsvpc: awsvpc arrives with its own issue. Use bridge, host or none.`,
    );
  }
}

/** CreateService's clientToken: up to 36 ASCII characters from '!' to '~'. */
export function checkClientToken(token: string | undefined): void {
  if (token === undefined) return;
  if (token.length < 1 || token.length > MAX_CLIENT_TOKEN || !/^[\x21-\x7e]+$/.test(token)) {
    throw invalidParameter(
      `clientToken must be 1 to ${MAX_CLIENT_TOKEN} ASCII characters from '!' to '~' (no spaces).`,
    );
  }
}

export function checkSchedulingStrategy(value: string | undefined): SchedulingStrategy {
  if (value === undefined || value === 'REPLICA') return 'REPLICA';
  if (value === 'DAEMON') return 'DAEMON';
  throw invalidParameter(`schedulingStrategy must be REPLICA or DAEMON, not '${value}'.`);
}

/** CreateService's launch type and deployment controller: Berth has EC2 and rolling (ECS) deployments. */
export function checkLaunch(input: Pick<CreateServiceRequest, 'launchType' | 'deploymentController'>): void {
  if (input.launchType !== undefined && input.launchType !== 'EC2') {
    throw invalidParameter(
      `Launch type ${input.launchType} is not available: Berth runs tasks on registered container instances, launch type EC2 (the only one it has).`,
    );
  }
  const controller = input.deploymentController?.type;
  if (controller !== undefined && controller !== 'ECS') {
    throw invalidParameter(
      `Deployment controller ${controller} is not available: Berth runs rolling deployments (deploymentController ECS).`,
    );
  }
}

/**
 * The desired count a call sets: required when a REPLICA service is created, refused for DAEMON
 * services (whose count is one task per eligible instance), otherwise 0 or more.
 */
export function checkDesiredCount(
  strategy: SchedulingStrategy,
  desiredCount: number | undefined,
  creating: boolean,
): number | undefined {
  if (strategy === 'DAEMON') {
    if (desiredCount !== undefined) {
      // ECS's answer, word for word (CreateService and UpdateService).
      throw invalidParameter(
        'The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again',
      );
    }
    return creating ? 0 : undefined;
  }
  if (desiredCount === undefined) {
    if (creating)
      throw invalidParameter('desiredCount is required for services with the REPLICA scheduling strategy.');
    return undefined;
  }
  if (!Number.isInteger(desiredCount) || desiredCount < 0) {
    throw invalidParameter(`desiredCount must be a whole number of tasks, 0 or more, not ${desiredCount}.`);
  }
  return desiredCount;
}

/** What both operations refuse: settings for capacity Berth does not have, and awsvpc networking. */
export function checkUnsupported(
  strategy: SchedulingStrategy,
  input: ServiceInput,
  definition: TaskDefinition,
): void {
  if ((input.capacityProviderStrategy ?? []).length > 0) {
    if (strategy === 'DAEMON') {
      // ECS's answer, word for word.
      throw invalidParameter(
        'Specifying a capacity provider strategy is not supported when you create a service using the DAEMON scheduling strategy.',
      );
    }
    throw invalidParameter(
      'Berth has no capacity providers for registered instances yet: leave capacityProviderStrategy out (launch type EC2).',
    );
  }
  if (input.platformVersion !== undefined) {
    throw invalidParameter(
      'The platform version must be null when specifying an EC2 launch type: platformVersion is for Fargate.',
    );
  }
  if (input.networkConfiguration !== undefined) {
    // RunTask's answer: network configuration is for awsvpc task definitions.
    throw invalidParameter(
      `Network Configuration is not valid for the given networkMode '${definition.networkMode ?? 'bridge'}' of this task definition.`,
    );
  }
  if (input.serviceConnectConfiguration?.enabled === true) {
    throw invalidParameter('Service Connect is not available yet: it arrives with service discovery.');
  }
  if ((input.volumeConfigurations ?? []).length > 0) {
    throw invalidParameter('volumeConfigurations (Amazon EBS volumes) are not available in Berth.');
  }
  if ((input.vpcLatticeConfigurations ?? []).length > 0) {
    throw invalidParameter('vpcLatticeConfigurations (VPC Lattice) are not available in Berth.');
  }
}

/** A health check grace period: 0 to 2,147,483,647 seconds. */
export function checkGracePeriod(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_GRACE_SECONDS) {
    throw invalidParameter(
      `healthCheckGracePeriodSeconds must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS}, not ${seconds}.`,
    );
  }
  return seconds;
}

/**
 * The deployment configuration a call asks for, over `current` (UpdateService keeps what it does
 * not name) or ECS's defaults for the scheduling strategy (CreateService).
 */
export function resolveDeploymentConfiguration(
  strategy: SchedulingStrategy,
  given: DeploymentConfiguration | undefined,
  current?: DeploymentSettings,
): DeploymentSettings {
  const defaults = DEFAULT_PERCENTS[strategy];
  // The newer SDK's deployment strategies (blue/green, linear, canary) are outside the model Berth serves.
  const style = (given as { strategy?: unknown } | undefined)?.strategy;
  if (style !== undefined && style !== 'ROLLING') {
    throw invalidParameter(
      `Deployment strategy ${JSON.stringify(style)} is not available: Berth runs rolling deployments.`,
    );
  }
  const minimumHealthyPercent =
    given?.minimumHealthyPercent ?? current?.minimumHealthyPercent ?? defaults.minimumHealthyPercent;
  const maximumPercent = given?.maximumPercent ?? current?.maximumPercent ?? defaults.maximumPercent;
  if (!Number.isInteger(minimumHealthyPercent) || minimumHealthyPercent < 0 || minimumHealthyPercent > 100) {
    throw invalidParameter(
      `deploymentConfiguration.minimumHealthyPercent must be a whole percentage from 0 to 100, not ${minimumHealthyPercent}.`,
    );
  }
  if (strategy === 'DAEMON' && maximumPercent > 100) {
    // ECS's answer, word for word.
    throw invalidParameter(
      'The daemon scheduling strategy does not support values above 100 for maximumPercent on a deployment configuration. Change the maximumPercent value to 100, and try again',
    );
  }
  const floor = strategy === 'REPLICA' ? 100 : minimumHealthyPercent;
  if (!Number.isInteger(maximumPercent) || maximumPercent < floor) {
    throw invalidParameter(
      strategy === 'REPLICA'
        ? `deploymentConfiguration.maximumPercent must be a whole percentage of at least 100, not ${maximumPercent}: tasks of the new revision start alongside the old ones.`
        : `deploymentConfiguration.maximumPercent (${maximumPercent}) must not be below minimumHealthyPercent (${minimumHealthyPercent}).`,
    );
  }
  const alarms = given?.alarms ?? current?.alarms;
  if (alarms?.enable === true) {
    throw invalidParameter(
      'Deployment alarms are not available yet: Berth has no CloudWatch alarms to watch. Use the deployment circuit breaker.',
    );
  }
  const breaker = given?.deploymentCircuitBreaker ?? current?.deploymentCircuitBreaker;
  return {
    maximumPercent,
    minimumHealthyPercent,
    deploymentCircuitBreaker: { enable: breaker?.enable ?? false, rollback: breaker?.rollback ?? false },
    ...(alarms
      ? {
          alarms: {
            alarmNames: [...(alarms.alarmNames ?? [])],
            enable: false,
            rollback: alarms.rollback ?? false,
          },
        }
      : {}),
  };
}

/**
 * Placement for the service's tasks: strategies (none for DAEMON services), and the call's
 * constraints checked together with the task definition's (at most 10 in all).
 */
export function checkPlacement(
  strategy: SchedulingStrategy,
  strategies: readonly PlacementStrategy[],
  constraints: readonly PlacementConstraint[],
  definition: TaskDefinition,
): void {
  if (strategy === 'DAEMON' && strategies.length > 0) {
    // ECS's answer, word for word.
    throw invalidParameter(
      'The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again',
    );
  }
  checkStrategies(strategies);
  combineConstraints(definition.placementConstraints ?? [], constraints);
}

/** The strategies as the placement engine takes them (type and field only). */
export function placementStrategies(
  given: readonly { type?: string | undefined; field?: string | undefined }[],
): PlacementStrategy[] {
  return given.map(
    (s) => ({ type: s.type, ...(s.field !== undefined ? { field: s.field } : {}) }) as PlacementStrategy,
  );
}

/** The constraints as stored (type and expression only). */
export function placementConstraints(given: readonly PlacementConstraint[]): PlacementConstraint[] {
  return given.map((c) => ({
    ...(c.type !== undefined ? { type: c.type } : {}),
    ...(c.expression !== undefined ? { expression: c.expression } : {}),
  }));
}

/** The images a revision runs, from its task definition. */
export function containerImages(definition: TaskDefinition): ServiceRevisionSpec['containerImages'] {
  return (definition.containerDefinitions ?? []).map((c) => ({
    containerName: c.name ?? '',
    image: c.image ?? '',
  }));
}
