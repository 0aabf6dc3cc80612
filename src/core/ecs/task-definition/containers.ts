import type {
  ContainerDefinition,
  HealthCheck,
  NetworkMode,
  PortMapping,
  ResourceRequirement,
} from '@aws-sdk/client-ecs';
import { clientFault } from '../../fault.js';
import { checkName } from '../names.js';
import { isGpuCount } from './resources.js';

/** What a container's checks need to know about the task it belongs to. */
export interface ContainerContext {
  readonly networkMode: NetworkMode;
  readonly containerNames: ReadonlySet<string>;
  readonly volumeNames: ReadonlySet<string>;
  /** Task-level memory in MiB when the definition sets one: containers may then omit their own. */
  readonly taskMemory: number | undefined;
}

const MIN_CONTAINER_MEMORY_MIB = 6;

/** Validates one container definition and returns it with the defaults ECS fills in. */
export function normalizeContainer(def: ContainerDefinition, ctx: ContainerContext): ContainerDefinition {
  const name = def.name ?? '';
  if (!name) throw clientFault('Container.name should not be null or empty.');
  checkName('Container name', name, clientFault);
  if (!def.image || !def.image.trim())
    throw clientFault(`Container.image should not be null or empty (container '${name}').`);
  if (def.image.length > 255 || /\s/.test(def.image)) {
    throw clientFault(
      `Container '${name}' has an invalid image reference: at most 255 characters and no whitespace.`,
    );
  }
  checkMemory(name, def, ctx.taskMemory);
  if (def.cpu !== undefined && (def.cpu < 0 || def.cpu > 196_608)) {
    throw clientFault(`Invalid 'cpu' setting for container '${name}': use 0 to 196608 CPU units.`);
  }
  if (def.links?.length && ctx.networkMode !== 'bridge') {
    throw clientFault(`Container '${name}' uses 'links', which only the 'bridge' network mode supports.`);
  }
  for (const mount of def.mountPoints ?? []) {
    if (!mount.sourceVolume || !ctx.volumeNames.has(mount.sourceVolume)) {
      throw clientFault(
        `Invalid 'mountPoints' for container '${name}': sourceVolume '${mount.sourceVolume ?? ''}' is not a volume declared in the task definition.`,
      );
    }
    if (!mount.containerPath)
      throw clientFault(`Container '${name}' has a mount point without a containerPath.`);
  }
  for (const from of def.volumesFrom ?? []) {
    if (
      !from.sourceContainer ||
      !ctx.containerNames.has(from.sourceContainer) ||
      from.sourceContainer === name
    ) {
      throw clientFault(
        `Invalid 'volumesFrom' for container '${name}': '${from.sourceContainer ?? ''}' is not another container of this task.`,
      );
    }
  }
  for (const dep of def.dependsOn ?? []) {
    if (!ctx.containerNames.has(dep.containerName ?? '') || dep.containerName === name) {
      throw clientFault(
        `Invalid 'dependsOn' for container '${name}': '${dep.containerName ?? ''}' is not another container of this task.`,
      );
    }
  }
  for (const secret of def.secrets ?? []) checkSecret(name, secret.name, secret.valueFrom);
  for (const limit of def.ulimits ?? []) {
    if ((limit.softLimit ?? 0) > (limit.hardLimit ?? 0)) {
      throw clientFault(`Ulimit '${limit.name}' of container '${name}' has a softLimit above its hardLimit.`);
    }
  }
  checkResourceRequirements(name, def.resourceRequirements ?? []);
  return {
    ...def,
    cpu: def.cpu ?? 0,
    essential: def.essential ?? true,
    portMappings: (def.portMappings ?? []).map((p) => normalizePort(name, p, ctx.networkMode)),
    environment: def.environment ?? [],
    mountPoints: def.mountPoints ?? [],
    volumesFrom: def.volumesFrom ?? [],
    systemControls: def.systemControls ?? [],
    ...(def.healthCheck ? { healthCheck: normalizeHealthCheck(name, def.healthCheck) } : {}),
  };
}

/**
 * `resourceRequirements`: each type once. A GPU requirement is a whole number of GPUs (ECS reserves
 * that many physical GPUs for the container); the other types need a value, as the API model says.
 */
function checkResourceRequirements(container: string, requirements: readonly ResourceRequirement[]): void {
  const types = new Set<string>();
  for (const requirement of requirements) {
    const type = requirement.type ?? '';
    if (types.has(type)) {
      throw clientFault(`Container '${container}' has more than one '${type}' resource requirement.`);
    }
    types.add(type);
    if (type === 'GPU') {
      if (requirement.sharingStrategy !== undefined) {
        throw clientFault(
          `Container '${container}' shares GPUs (sharingStrategy), which Berth does not support: ask for whole GPUs with a value.`,
        );
      }
      if (!isGpuCount(requirement.value)) {
        throw clientFault(
          `Invalid GPU resource requirement for container '${container}': '${requirement.value ?? ''}'. Use a whole number of GPUs, 1 or more (Berth does not take ALL or fractions).`,
        );
      }
    } else if (requirement.value === undefined) {
      throw clientFault(`Resource requirement '${type}' of container '${container}' needs a value.`);
    }
  }
}

function checkMemory(name: string, def: ContainerDefinition, taskMemory: number | undefined): void {
  const { memory, memoryReservation } = def;
  if (memory === undefined && memoryReservation === undefined && taskMemory === undefined) {
    throw clientFault(
      `Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
    );
  }
  for (const [field, value] of [
    ['memory', memory],
    ['memoryReservation', memoryReservation],
  ] as const) {
    if (value !== undefined && value < MIN_CONTAINER_MEMORY_MIB) {
      throw clientFault(
        `Invalid '${field}' setting for container '${name}': ${value} MiB is below the ${MIN_CONTAINER_MEMORY_MIB} MiB a container needs.`,
      );
    }
  }
  if (memory !== undefined && memoryReservation !== undefined && memoryReservation > memory) {
    throw clientFault(
      `Invalid setting for container '${name}': memoryReservation (${memoryReservation}) must not be greater than memory (${memory}).`,
    );
  }
  if (taskMemory !== undefined && memory !== undefined && memory > taskMemory) {
    throw clientFault(
      `Container '${name}' memory (${memory} MiB) exceeds the task memory (${taskMemory} MiB).`,
    );
  }
}

function normalizePort(name: string, port: PortMapping, mode: NetworkMode): PortMapping {
  if (mode === 'none') {
    throw clientFault(`Container '${name}' has port mappings, but the 'none' network mode allows none.`);
  }
  const { containerPort, hostPort, containerPortRange } = port;
  if (containerPort === undefined && !containerPortRange) {
    throw clientFault(`A port mapping of container '${name}' needs a containerPort or a containerPortRange.`);
  }
  for (const [field, value] of [
    ['containerPort', containerPort],
    ['hostPort', hostPort],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 65535)) {
      throw clientFault(`Invalid ${field} ${value} for container '${name}': ports are 0 to 65535.`);
    }
  }
  if (containerPort !== undefined && containerPort < 1) {
    throw clientFault(`Invalid containerPort 0 for container '${name}': container ports are 1 to 65535.`);
  }
  if (containerPortRange && !/^\d{1,5}-\d{1,5}$/.test(containerPortRange)) {
    throw clientFault(
      `Invalid containerPortRange '${containerPortRange}' for container '${name}': use "from-to".`,
    );
  }
  const hostEqualsContainer = mode === 'host' || mode === 'awsvpc';
  if (
    hostEqualsContainer &&
    hostPort !== undefined &&
    containerPort !== undefined &&
    hostPort !== containerPort
  ) {
    throw clientFault(
      `When networkMode=${mode}, the containerPort and hostPort must match (container '${name}': ${containerPort} vs ${hostPort}).`,
    );
  }
  return {
    ...port,
    ...(containerPort !== undefined && hostEqualsContainer ? { hostPort: containerPort } : {}),
    protocol: port.protocol ?? 'tcp',
  };
}

/** Defaults and ranges from the ECS HealthCheck reference. */
function normalizeHealthCheck(name: string, check: HealthCheck): HealthCheck {
  const command = check.command ?? [];
  const first = command[0];
  if (command.length === 0 || (first !== 'CMD' && first !== 'CMD-SHELL' && first !== 'NONE')) {
    throw clientFault(
      `The healthCheck command of container '${name}' must start with "CMD", "CMD-SHELL" or "NONE".`,
    );
  }
  const out = {
    command,
    interval: check.interval ?? 30,
    timeout: check.timeout ?? 5,
    retries: check.retries ?? 3,
    startPeriod: check.startPeriod ?? 0,
  };
  const ranges = { interval: [5, 300], timeout: [2, 120], retries: [1, 10], startPeriod: [0, 300] } as const;
  for (const key of Object.keys(ranges) as (keyof typeof ranges)[]) {
    const [min, max] = ranges[key];
    if (out[key] < min || out[key] > max) {
      throw clientFault(`The healthCheck ${key} of container '${name}' must be between ${min} and ${max}.`);
    }
  }
  return out;
}

/** `valueFrom` is a Secrets Manager or Parameter Store ARN, or a parameter name in this region. */
function checkSecret(container: string, name: string | undefined, valueFrom: string | undefined): void {
  if (!name || !valueFrom) {
    throw clientFault(`Each secret of container '${container}' needs a 'name' and a 'valueFrom'.`);
  }
  const isArn = valueFrom.startsWith('arn:');
  if (isArn && !/^arn:[^:]+:(secretsmanager|ssm):[^:]*:[^:]*:.+/.test(valueFrom)) {
    throw clientFault(
      `Secret '${name}' of container '${container}' has valueFrom '${valueFrom}', which is neither a Secrets Manager nor a Parameter Store ARN.`,
    );
  }
  if (!isArn && !/^[a-zA-Z0-9_.\-/]{1,2048}$/.test(valueFrom)) {
    throw clientFault(
      `Secret '${name}' of container '${container}' has an invalid parameter name '${valueFrom}'.`,
    );
  }
}
