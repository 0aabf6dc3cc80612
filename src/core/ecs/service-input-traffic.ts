import type { LoadBalancer, ServiceRegistry, TaskDefinition } from '@aws-sdk/client-ecs';
import { parseArn, type Scope } from '../arn.js';
import { invalidParameter } from '../fault.js';

/**
 * How traffic will reach a service's tasks: load balancer target groups, service registries and
 * the role for registering targets. Berth checks their shape and that they name containers and
 * ports the task definition has, and stores them; registering tasks with target groups and
 * registries arrives with load balancing and service discovery.
 */

/** ECS registers a service's tasks with up to 5 target groups. */
const MAX_LOAD_BALANCERS = 5;

export function checkLoadBalancers(
  given: readonly LoadBalancer[],
  definition: TaskDefinition,
): LoadBalancer[] {
  if (given.length > MAX_LOAD_BALANCERS) {
    throw invalidParameter(`A service can use at most ${MAX_LOAD_BALANCERS} load balancer target groups.`);
  }
  return given.map((lb) => {
    if (lb.loadBalancerName !== undefined) {
      throw invalidParameter(
        `Classic Load Balancers ('${lb.loadBalancerName}') are not supported: give the targetGroupArn of an Application or Network Load Balancer target group.`,
      );
    }
    const target = lb.targetGroupArn ?? '';
    const parsed = parseArn(target);
    if (
      !parsed ||
      parsed.service !== 'elasticloadbalancing' ||
      !/^targetgroup\/[^/]+\/[^/]+$/.test(parsed.resource)
    ) {
      throw invalidParameter(
        `targetGroupArn '${target}' is not a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>).`,
      );
    }
    if (lb.containerName === undefined || lb.containerPort === undefined) {
      throw invalidParameter(
        `The load balancer entry for target group '${target}' needs a containerName and a containerPort.`,
      );
    }
    checkContainerPort(definition, lb.containerName, lb.containerPort);
    return { targetGroupArn: target, containerName: lb.containerName, containerPort: lb.containerPort };
  });
}

/** ECS takes one service registry per service. */
export function checkServiceRegistries(
  given: readonly ServiceRegistry[],
  definition: TaskDefinition,
): ServiceRegistry[] {
  if (given.length > 1) throw invalidParameter('A service can have at most one service registry.');
  return given.map((r) => {
    const registry = r.registryArn ?? '';
    const parsed = parseArn(registry);
    if (!parsed || parsed.service !== 'servicediscovery' || !parsed.resource.startsWith('service/')) {
      throw invalidParameter(
        `registryArn '${registry}' is not a service discovery service ARN (arn:aws:servicediscovery:<region>:<account>:service/<id>).`,
      );
    }
    if (r.port !== undefined && (r.containerName !== undefined || r.containerPort !== undefined)) {
      throw invalidParameter(
        'A service registry takes either a port or a containerName and containerPort, not both.',
      );
    }
    if ((r.containerName === undefined) !== (r.containerPort === undefined)) {
      throw invalidParameter('A service registry needs both containerName and containerPort, or neither.');
    }
    if (r.containerName !== undefined && r.containerPort !== undefined) {
      checkContainerPort(definition, r.containerName, r.containerPort);
    }
    return {
      registryArn: registry,
      ...(r.port !== undefined ? { port: r.port } : {}),
      ...(r.containerName !== undefined ? { containerName: r.containerName } : {}),
      ...(r.containerPort !== undefined ? { containerPort: r.containerPort } : {}),
    };
  });
}

/**
 * The role ECS uses for a service's load balancers, as an ARN: a name (with its path) becomes
 * `arn:aws:iam::<account>:role/<name>`. Only with load balancers, as on ECS.
 */
export function checkRole(
  role: string | undefined,
  loadBalancers: readonly LoadBalancer[],
  scope: Scope,
): string | undefined {
  if (role === undefined) return undefined;
  if (loadBalancers.length === 0) {
    throw invalidParameter(
      'role is only for services with load balancers: give loadBalancers or leave role out.',
    );
  }
  if (role.startsWith('arn:')) {
    const parsed = parseArn(role);
    if (!parsed || parsed.service !== 'iam' || !parsed.resource.startsWith('role/')) {
      throw invalidParameter(`role '${role}' is not an IAM role name or ARN.`);
    }
    return role;
  }
  const path = role.replace(/^\/+/, '');
  if (path === '' || !/^[\w+=,.@/-]+$/.test(path)) {
    throw invalidParameter(`role '${role}' is not an IAM role name or ARN.`);
  }
  return `arn:${scope.partition}:iam::${scope.accountId}:role/${path}`;
}

/** The container must be in the task definition and map `port` (ECS's wording for the port). */
function checkContainerPort(definition: TaskDefinition, containerName: string, port: number): void {
  const container = (definition.containerDefinitions ?? []).find((c) => c.name === containerName);
  if (!container) {
    throw invalidParameter(
      `The container ${containerName} does not exist in the task definition ${definition.taskDefinitionArn ?? ''}.`,
    );
  }
  if (!(container.portMappings ?? []).some((m) => m.containerPort === port)) {
    throw invalidParameter(`The container ${containerName} did not have a container port ${port} defined.`);
  }
}
