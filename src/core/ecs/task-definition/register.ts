import type {
  ContainerDefinition,
  NetworkMode,
  RegisterTaskDefinitionRequest,
  TaskDefinition,
  Volume,
} from '@aws-sdk/client-ecs';
import { clientFault } from '../../fault.js';
import { checkFamily, checkName } from '../names.js';
import { compatibilities, fargateIncompatibility, requiredAttributes } from './attributes.js';
import { normalizeContainer } from './containers.js';
import { fargateSizesHint, isFargateSize, parseTaskCpu, parseTaskMemory } from './resources.js';
import { checkDefinitionConstraints } from '../../placement/constraints.js';

/** ECS's limits for one task definition. */
export const MAX_CONTAINERS = 10;
export const MAX_DEFINITION_BYTES = 65_536;

/**
 * The content of a revision: what RegisterTaskDefinition stores, before the store gives it its
 * revision number, ARN and registration time.
 */
export type TaskDefinitionContent = Omit<
  TaskDefinition,
  | 'taskDefinitionArn'
  | 'revision'
  | 'status'
  | 'registeredAt'
  | 'registeredBy'
  | 'deregisteredAt'
  | 'deleteRequestedAt'
> & { family: string; containerDefinitions: ContainerDefinition[] };

/**
 * Validates a RegisterTaskDefinition request with ECS's rules and returns the revision's content
 * with ECS's defaults filled in. Pure: throws a ClientException fault naming the first problem.
 */
export function buildTaskDefinition(input: RegisterTaskDefinitionRequest): TaskDefinitionContent {
  const family = checkFamily(input.family ?? '');
  const defs = input.containerDefinitions ?? [];
  if (defs.length === 0) throw clientFault('Container list cannot be empty.');
  if (defs.length > MAX_CONTAINERS) {
    throw clientFault(
      `Too many containers: a task definition holds at most ${MAX_CONTAINERS}, this one has ${defs.length}.`,
    );
  }
  if (JSON.stringify(input).length > MAX_DEFINITION_BYTES) {
    throw clientFault(
      `The task definition is larger than the ${MAX_DEFINITION_BYTES / 1024} KiB ECS allows.`,
    );
  }
  const networkMode: NetworkMode = input.networkMode ?? 'bridge';
  const volumes = normalizeVolumes(input.volumes ?? []);
  const taskCpu = input.cpu === undefined ? undefined : parseTaskCpu(input.cpu);
  const taskMemory = input.memory === undefined ? undefined : parseTaskMemory(input.memory);

  const containerNames = new Set<string>();
  for (const def of defs) {
    if (def.name && containerNames.has(def.name)) {
      throw clientFault(
        `Container names must be unique within a task definition: '${def.name}' appears twice.`,
      );
    }
    if (def.name) containerNames.add(def.name);
  }
  const ctx = {
    networkMode,
    containerNames,
    volumeNames: new Set(volumes.map((v) => v.name ?? '')),
    taskMemory,
  };
  const containers = defs.map((def) => normalizeContainer(def, ctx));

  if (!containers.some((c) => c.essential)) {
    throw clientFault('At least one essential container is required in a task definition.');
  }
  checkDependencyCycles(containers);
  checkPortConflicts(containers, networkMode);
  checkTaskResources(containers, taskCpu, taskMemory);
  checkRequiredCompatibilities(input, taskCpu, taskMemory);
  checkDefinitionConstraints(input.placementConstraints ?? []);

  const content: TaskDefinitionContent = {
    family,
    containerDefinitions: containers,
    networkMode,
    volumes,
    placementConstraints: input.placementConstraints ?? [],
    requiresAttributes: requiredAttributes({ ...input, networkMode }, containers),
    compatibilities: compatibilities({ ...input, networkMode }, taskCpu, taskMemory),
  };
  const optional = {
    taskRoleArn: input.taskRoleArn,
    executionRoleArn: input.executionRoleArn,
    requiresCompatibilities: input.requiresCompatibilities,
    cpu: input.cpu === undefined ? undefined : String(taskCpu),
    memory: input.memory === undefined ? undefined : String(taskMemory),
    pidMode: input.pidMode,
    ipcMode: input.ipcMode,
    proxyConfiguration: input.proxyConfiguration,
    inferenceAccelerators: input.inferenceAccelerators,
    ephemeralStorage: input.ephemeralStorage,
    runtimePlatform: input.runtimePlatform,
    enableFaultInjection: input.enableFaultInjection,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(content, { [key]: value });
  }
  return content;
}

function normalizeVolumes(volumes: readonly Volume[]): Volume[] {
  const seen = new Set<string>();
  return volumes.map((v) => {
    const name = checkName('Volume name', v.name ?? '', clientFault);
    if (seen.has(name)) throw clientFault(`Volume names must be unique: '${name}' appears twice.`);
    seen.add(name);
    const kinds = [
      v.host,
      v.dockerVolumeConfiguration,
      v.efsVolumeConfiguration,
      v.fsxWindowsFileServerVolumeConfiguration,
    ].filter((k) => k !== undefined);
    if (kinds.length > 1)
      throw clientFault(
        `Volume '${name}' may have only one of host, dockerVolumeConfiguration, efsVolumeConfiguration.`,
      );
    const docker = v.dockerVolumeConfiguration;
    if (docker?.autoprovision && docker.scope !== 'shared') {
      throw clientFault(`Volume '${name}': autoprovision is only valid with scope 'shared'.`);
    }
    if (v.host?.sourcePath !== undefined && !v.host.sourcePath.startsWith('/')) {
      throw clientFault(`Volume '${name}': host.sourcePath must be an absolute path.`);
    }
    return v;
  });
}

function checkDependencyCycles(containers: readonly ContainerDefinition[]): void {
  const deps = new Map(
    containers.map((c) => [c.name ?? '', (c.dependsOn ?? []).map((d) => d.containerName ?? '')]),
  );
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw clientFault(`Container dependencies form a cycle: ${[...path, name].join(' -> ')}.`);
    }
    state.set(name, 'visiting');
    for (const next of deps.get(name) ?? []) visit(next, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of deps.keys()) visit(name, []);
}

/** In host and awsvpc modes all containers share one network namespace, so ports must not repeat. */
function checkPortConflicts(containers: readonly ContainerDefinition[], mode: NetworkMode): void {
  const seen = new Map<string, string>();
  for (const c of containers) {
    for (const p of c.portMappings ?? []) {
      const port = mode === 'bridge' ? p.hostPort : p.containerPort;
      if (!port) continue; // 0 / absent host port in bridge mode = dynamic, never a conflict
      const key = `${port}/${p.protocol ?? 'tcp'}`;
      const owner = seen.get(key);
      if (owner !== undefined) {
        throw clientFault(
          `Port ${key} is mapped twice in this task definition (containers '${owner}' and '${c.name}').`,
        );
      }
      seen.set(key, c.name ?? '');
    }
  }
}

function checkTaskResources(
  containers: readonly ContainerDefinition[],
  taskCpu: number | undefined,
  taskMemory: number | undefined,
): void {
  if (taskCpu !== undefined) {
    const sum = containers.reduce((total, c) => total + (c.cpu ?? 0), 0);
    if (sum > taskCpu) {
      throw clientFault(`The containers' cpu adds up to ${sum} units, more than the task's ${taskCpu}.`);
    }
  }
  if (taskMemory !== undefined) {
    const reserved = containers.reduce((total, c) => total + (c.memoryReservation ?? c.memory ?? 0), 0);
    if (reserved > taskMemory) {
      throw clientFault(
        `The containers reserve ${reserved} MiB of memory, more than the task's ${taskMemory} MiB.`,
      );
    }
  }
}

function checkRequiredCompatibilities(
  input: RegisterTaskDefinitionRequest,
  taskCpu: number | undefined,
  taskMemory: number | undefined,
): void {
  if (!input.requiresCompatibilities?.includes('FARGATE')) return;
  if (taskCpu === undefined || taskMemory === undefined) {
    throw clientFault('Fargate requires that task-level cpu and memory be defined.');
  }
  if (!isFargateSize(taskCpu, taskMemory)) {
    throw clientFault(
      `No Fargate configuration exists for cpu ${taskCpu} and memory ${taskMemory}. ${fargateSizesHint(taskCpu)}`,
    );
  }
  const problem = fargateIncompatibility(input);
  if (problem) throw clientFault(problem);
}
