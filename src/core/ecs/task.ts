import type {
  Container,
  ContainerDefinition,
  ContainerOverride,
  NetworkBinding,
  Resource,
  ResourceRequirement,
  Tag,
  Task,
  TaskDefinition,
  TaskOverride,
} from '@aws-sdk/client-ecs';
import type { InstanceSnapshot, TaskDemand } from '../placement/types.js';
import { invalidParameter } from '../fault.js';
import type { InstanceAttribute } from './container-instance.js';
import type { ContainerState, TaskState, TaskStatus } from './task-lifecycle.js';
import { newTaskState } from './task-lifecycle.js';
import { gpuCount, isGpuCount, parseTaskCpu, parseTaskMemory } from './task-definition/resources.js';

/**
 * Tasks as the control plane keeps them: what RunTask/StartTask decide (demand, overrides, group)
 * and the lifecycle state (`task-lifecycle.ts`). Pure: ids, ARNs and times are passed in.
 */

/** RunTask and StartTask take 1 to 10 tasks / instances per call. */
export const MAX_TASKS_PER_CALL = 10;

/** Launch types ECS has; Berth runs tasks on registered container instances only. */
export const SERVED_LAUNCH_TYPES = ['EC2'] as const;

/** One container of a task, as placement creates it (the definition's values, overrides applied). */
export interface TaskContainerSpec {
  readonly name: string;
  readonly arn: string;
  readonly image: string;
  readonly cpu: number;
  readonly memory?: number;
  readonly memoryReservation?: number;
  /** The GPUs placement pinned to the container (DescribeTasks `gpuIds`), from its task's. */
  readonly gpuIds?: readonly string[];
  /** Reported by the agent (SubmitTaskStateChange / SubmitContainerStateChange). */
  readonly imageDigest?: string;
  readonly networkBindings?: readonly NetworkBinding[];
}

/** The parts of a task stored as one document. */
export interface TaskDoc {
  readonly state: TaskState;
  readonly containers: readonly TaskContainerSpec[];
  readonly overrides: TaskOverride;
  readonly demand: TaskDemand;
  /** Task-level cpu/memory as ECS reports them (strings of units / MiB). */
  readonly cpu: string;
  readonly memory: string;
  readonly referenceId?: string;
  readonly availabilityZone?: string;
  /**
   * The task's `version` when what its agent must act on (desiredStatus) last changed. The agent
   * channel compares this, not `version`: the agent's own reports raise `version` several times per
   * start, and answering its held Poll for each would only echo its own news back. Absent on tasks
   * stored before it existed: then `version`.
   */
  readonly desiredVersion?: number;
}

export interface TaskRecord extends TaskDoc {
  readonly arn: string;
  /** The 32-hex id (the ARN's last part): list order within a cluster. */
  readonly id: string;
  /** The cluster's name. */
  readonly cluster: string;
  readonly containerInstanceArn: string;
  readonly taskDefinitionArn: string;
  readonly family: string;
  readonly group: string;
  readonly startedBy?: string;
  readonly launchType: 'EC2';
  readonly clientToken?: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Optimistic concurrency, and ECS's `version` of the task. */
  readonly version: number;
}

/** See `TaskDoc.desiredVersion`. */
export function desiredVersionOf(task: TaskRecord): number {
  return task.desiredVersion ?? task.version;
}

// ---------------------------------------------------------------------------------------------
// What a task needs

/** Checks `overrides.containerOverrides` against the definition: every name must be one of its containers. */
export function checkOverrides(definition: TaskDefinition, overrides: TaskOverride | undefined): void {
  const names = new Set((definition.containerDefinitions ?? []).map((c) => c.name));
  const seen = new Set<string>();
  for (const o of overrides?.containerOverrides ?? []) {
    if (!o.name) throw invalidParameter('Each container override needs the name of a container.');
    if (!names.has(o.name)) {
      throw invalidParameter(
        `Override for container named '${o.name}' is not a container in the TaskDefinition.`,
      );
    }
    if (seen.has(o.name)) throw invalidParameter(`Container '${o.name}' is overridden twice.`);
    seen.add(o.name);
    for (const [field, value] of [
      ['cpu', o.cpu],
      ['memory', o.memory],
      ['memoryReservation', o.memoryReservation],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
        throw invalidParameter(`Container override '${o.name}': ${field} must be a non-negative integer.`);
      }
    }
    if (o.memory !== undefined && o.memoryReservation !== undefined && o.memoryReservation > o.memory) {
      throw invalidParameter(
        `Container override '${o.name}': memoryReservation (${o.memoryReservation}) must not exceed memory (${o.memory}).`,
      );
    }
    checkRequirementOverrides(o.name, o.resourceRequirements ?? []);
  }
  // Task-level overrides use the task definition's syntax; refused as InvalidParameterException here.
  try {
    if (overrides?.cpu !== undefined) parseTaskCpu(overrides.cpu);
    if (overrides?.memory !== undefined) parseTaskMemory(overrides.memory);
  } catch (error) {
    throw invalidParameter(error instanceof Error ? error.message : String(error));
  }
}

/** ECS: "The only supported resource is a GPU" in an override; whole GPUs, as the definition's. */
function checkRequirementOverrides(container: string, requirements: readonly ResourceRequirement[]): void {
  if (requirements.length > 1 || requirements.some((r) => r.type !== 'GPU')) {
    throw invalidParameter(
      `Container override '${container}': resourceRequirements may hold one GPU requirement, the only resource an override can change.`,
    );
  }
  const [gpu] = requirements;
  if (gpu !== undefined && (gpu.sharingStrategy !== undefined || !isGpuCount(gpu.value))) {
    throw invalidParameter(
      `Container override '${container}': the GPU value must be a whole number of GPUs, 1 or more, not '${gpu.value ?? ''}'.`,
    );
  }
}

function overrideOf(overrides: TaskOverride, name: string | undefined): ContainerOverride | undefined {
  return overrides.containerOverrides?.find((o) => o.name === name);
}

/**
 * The definition's containers with the overrides' cpu/memory applied, and their resource
 * requirements: an override's GPU requirement replaces the definition's ("instead of the default
 * value from the task definition").
 */
function effectiveContainers(definition: TaskDefinition, overrides: TaskOverride): ContainerDefinition[] {
  return (definition.containerDefinitions ?? []).map((c) => {
    const o = overrideOf(overrides, c.name);
    const replaced = new Set((o?.resourceRequirements ?? []).map((r) => r.type));
    return {
      ...c,
      ...(o?.cpu !== undefined ? { cpu: o.cpu } : {}),
      ...(o?.memory !== undefined ? { memory: o.memory } : {}),
      ...(o?.memoryReservation !== undefined ? { memoryReservation: o.memoryReservation } : {}),
      ...(replaced.size > 0
        ? {
            resourceRequirements: [
              ...(c.resourceRequirements ?? []).filter((r) => !replaced.has(r.type)),
              ...(o?.resourceRequirements ?? []),
            ],
          }
        : {}),
    };
  });
}

/**
 * What one task takes from an instance: task-level cpu/memory when set (overrides first), else the
 * containers' sums (memory: each container's reservation, or its hard limit); static host ports;
 * the containers' GPUs (ECS has no task-level GPU); one attachment (its ENI) for `awsvpc`.
 */
export function taskDemand(definition: TaskDefinition, overrides: TaskOverride): TaskDemand {
  const containers = effectiveContainers(definition, overrides);
  const taskCpu = overrides.cpu ?? definition.cpu;
  const taskMemory = overrides.memory ?? definition.memory;
  const cpu =
    taskCpu !== undefined ? parseTaskCpu(taskCpu) : containers.reduce((sum, c) => sum + (c.cpu ?? 0), 0);
  const memory =
    taskMemory !== undefined
      ? parseTaskMemory(taskMemory)
      : containers.reduce((sum, c) => sum + (c.memoryReservation ?? c.memory ?? 0), 0);
  const tcpPorts: number[] = [];
  const udpPorts: number[] = [];
  const hostMode = definition.networkMode === 'host';
  for (const c of containers) {
    for (const p of c.portMappings ?? []) {
      const port = hostMode ? (p.hostPort ?? p.containerPort) : p.hostPort;
      if (!port) continue; // 0 or absent in bridge mode: a dynamic port the agent picks
      (p.protocol === 'udp' ? udpPorts : tcpPorts).push(port);
    }
  }
  const gpus = containers.reduce((sum, c) => sum + gpuCount(c.resourceRequirements), 0);
  return {
    cpu,
    memory,
    tcpPorts,
    udpPorts,
    ...(gpus > 0 ? { gpus } : {}),
    ...(definition.networkMode === 'awsvpc' ? { attachments: 1 } : {}),
    requiredAttributes: (definition.requiresAttributes ?? []).map((a) => ({
      name: a.name ?? '',
      ...(a.value !== undefined ? { value: a.value } : {}),
    })),
  };
}

/**
 * The task's document as placement creates it: PENDING (PROVISIONING with network hooks), desired
 * RUNNING. `extra.gpuIds` are the GPUs placement gave the task (`gpuAssignments`): each container
 * asking for GPUs gets the next ones, in container order.
 */
export function newTaskDoc(
  definition: TaskDefinition,
  overrides: TaskOverride,
  containerArn: (name: string) => string,
  extra: {
    referenceId?: string;
    availabilityZone?: string;
    gpuIds?: readonly string[];
    /** The control plane registers the task with load balancers (ACTIVATING/DEACTIVATING apply). */
    activate?: boolean;
  },
): TaskDoc {
  const containers = effectiveContainers(definition, overrides);
  const demand = taskDemand(definition, overrides);
  const state = newTaskState(
    containers.map((c) => ({
      name: c.name ?? '',
      essential: c.essential ?? true,
      hasHealthCheck: c.healthCheck !== undefined,
    })),
    // No awsvpc yet (its own issue); a load-balanced service's tasks are registered as targets.
    { provision: false, activate: extra.activate === true },
  );
  let nextGpu = 0;
  return {
    state,
    containers: containers.map((c) => {
      const gpus = gpuCount(c.resourceRequirements);
      const gpuIds = (extra.gpuIds ?? []).slice(nextGpu, (nextGpu += gpus));
      return {
        name: c.name ?? '',
        arn: containerArn(c.name ?? ''),
        image: c.image ?? '',
        cpu: c.cpu ?? 0,
        ...(c.memory !== undefined ? { memory: c.memory } : {}),
        ...(c.memoryReservation !== undefined ? { memoryReservation: c.memoryReservation } : {}),
        ...(gpuIds.length > 0 ? { gpuIds } : {}),
      };
    }),
    overrides,
    demand,
    cpu: String(demand.cpu),
    memory: String(demand.memory),
    ...(extra.referenceId !== undefined ? { referenceId: extra.referenceId } : {}),
    ...(extra.availabilityZone !== undefined ? { availabilityZone: extra.availabilityZone } : {}),
  };
}

/** Statuses counted as pending (not yet RUNNING) and running (RUNNING until STOPPED) by DescribeClusters. */
export const PENDING_STATUSES: readonly TaskStatus[] = ['PROVISIONING', 'PENDING', 'ACTIVATING'];
export const RUNNING_STATUSES: readonly TaskStatus[] = [
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
];

/** Pending and running counts from tasks-per-status (tasks that are not STOPPED). */
export function taskCounts(byStatus: ReadonlyMap<string, number> | undefined): {
  pendingTasksCount: number;
  runningTasksCount: number;
} {
  let pendingTasksCount = 0;
  let runningTasksCount = 0;
  for (const [status, n] of byStatus ?? []) {
    if ((PENDING_STATUSES as readonly string[]).includes(status)) pendingTasksCount += n;
    else if ((RUNNING_STATUSES as readonly string[]).includes(status)) runningTasksCount += n;
  }
  return { pendingTasksCount, runningTasksCount };
}

// ---------------------------------------------------------------------------------------------
// Instance resources

/** What a placed task holds of its instance: its demand, and the GPUs it was given by id. */
export type Held = TaskDemand & { readonly gpuIds?: readonly string[] };

/** What `task` holds of its instance: its demand and its containers' GPUs. */
export function heldBy(task: Pick<TaskRecord, 'demand' | 'containers'>): Held {
  const gpuIds = task.containers.flatMap((c) => c.gpuIds ?? []);
  return gpuIds.length > 0 ? { ...task.demand, gpuIds } : task.demand;
}

/**
 * An instance's remaining resources after `held` is taken (sign 1) or given back (sign -1).
 * CPU, MEMORY and ENI (attachment points) are numbers; PORTS and PORTS_UDP list the ports that are
 * taken (ECS's shape); GPU lists the GPU ids no task holds. GPUs given back return in the order
 * `registered` lists them, and only those it still lists (the host may have re-registered with
 * fewer while the task ran).
 */
export function adjustRemaining(
  remaining: readonly Resource[],
  held: readonly Held[],
  sign: 1 | -1,
  registered?: readonly Resource[],
): Resource[] {
  const cpu = held.reduce((s, d) => s + d.cpu, 0) * sign;
  const memory = held.reduce((s, d) => s + d.memory, 0) * sign;
  const attachments = held.reduce((s, d) => s + (d.attachments ?? 0), 0) * sign;
  const tcp = held.flatMap((d) => d.tcpPorts.map(String));
  const udp = held.flatMap((d) => d.udpPorts.map(String));
  const gpuIds = held.flatMap((d) => {
    // A GPU task without its ids would leave the instance's GPUs uncounted: refuse, never guess.
    if ((d.gpuIds ?? []).length !== (d.gpus ?? 0))
      throw new Error(`a task holding ${d.gpus ?? 0} GPUs names ${(d.gpuIds ?? []).length} GPU ids`);
    return d.gpuIds ?? [];
  });
  return remaining.map((r) => {
    switch (r.name) {
      case 'CPU':
        return { ...r, integerValue: (r.integerValue ?? 0) - cpu };
      case 'MEMORY':
        return { ...r, integerValue: (r.integerValue ?? 0) - memory };
      case 'ENI':
        return { ...r, integerValue: (r.integerValue ?? 0) - attachments };
      case 'PORTS':
        return { ...r, stringSetValue: ports(r.stringSetValue ?? [], tcp, sign) };
      case 'PORTS_UDP':
        return { ...r, stringSetValue: ports(r.stringSetValue ?? [], udp, sign) };
      case 'GPU':
        return { ...r, stringSetValue: gpus(r.stringSetValue ?? [], gpuIds, sign, registered) };
      case undefined:
      default:
        return r;
    }
  });
}

function gpus(
  free: readonly string[],
  changed: readonly string[],
  sign: 1 | -1,
  registered: readonly Resource[] | undefined,
): string[] {
  if (changed.length === 0) return [...free];
  if (sign === 1) return free.filter((id) => !changed.includes(id));
  const order = registered?.find((r) => r.name === 'GPU')?.stringSetValue;
  if (order === undefined) return [...free, ...changed.filter((id) => !free.includes(id))];
  return order.filter((id) => free.includes(id) || changed.includes(id));
}

function ports(current: readonly string[], changed: readonly string[], sign: 1 | -1): string[] {
  if (sign === 1) return [...current, ...changed.filter((p) => !current.includes(p))];
  // Given back: only ports a task took; the instance's reserved ports stay.
  const released = [...changed];
  return current.filter((p) => {
    const at = released.indexOf(p);
    if (at < 0) return true;
    released.splice(at, 1);
    return false;
  });
}

/** The placement engine's view of an instance. */
export function instanceSnapshot(
  record: {
    readonly arn: string;
    readonly status: InstanceSnapshot['status'];
    readonly agentConnected: boolean;
    readonly remainingResources: readonly Resource[];
    readonly hostId?: string;
    readonly registeredAt?: number;
    readonly versionInfo?: { readonly agentVersion?: string | undefined };
  },
  attributes: readonly InstanceAttribute[],
  groupTasks = 0,
): InstanceSnapshot {
  const find = (name: string) => record.remainingResources.find((r) => r.name === name);
  const gpuIds = find('GPU')?.stringSetValue;
  const attachments = find('ENI')?.integerValue;
  return {
    id: record.arn,
    status: record.status,
    agentConnected: record.agentConnected,
    remainingCpu: find('CPU')?.integerValue ?? 0,
    remainingMemory: find('MEMORY')?.integerValue ?? 0,
    usedTcpPorts: (find('PORTS')?.stringSetValue ?? []).map(Number),
    usedUdpPorts: (find('PORTS_UDP')?.stringSetValue ?? []).map(Number),
    ...(gpuIds !== undefined ? { gpuIds } : {}),
    ...(attachments !== undefined ? { remainingAttachments: attachments } : {}),
    attributes: Object.fromEntries(attributes.map((a) => [a.name, a.value ?? ''])),
    groupTasks,
    ...(record.hostId !== undefined ? { ec2InstanceId: record.hostId } : {}),
    ...(record.registeredAt !== undefined ? { registeredAt: record.registeredAt } : {}),
    ...(record.versionInfo?.agentVersion !== undefined
      ? { agentVersion: record.versionInfo.agentVersion }
      : {}),
  };
}

/**
 * The snapshot with what placement and cluster queries ask of the tasks on the instance: how many
 * of `group` (spread and distinctInstance count them), how many are running (as
 * DescribeContainerInstances counts `runningTasksCount`) and which groups are present
 * (`task:group`). `tasks` are the instance's tasks that are not STOPPED.
 */
export function withInstanceTasks(
  snapshot: InstanceSnapshot,
  tasks: readonly Pick<TaskRecord, 'group' | 'state'>[],
  group?: string,
): InstanceSnapshot {
  return {
    ...snapshot,
    groupTasks: group === undefined ? 0 : tasks.filter((t) => t.group === group).length,
    runningTasksCount: tasks.filter((t) =>
      (RUNNING_STATUSES as readonly string[]).includes(t.state.lastStatus),
    ).length,
    taskGroups: [...new Set(tasks.map((t) => t.group))],
  };
}

/** A GPU (`name`, its id) pinned to one container, as ECS's task payload carries it. */
export interface TaskAssociation {
  readonly type: 'gpu';
  readonly name: string;
  readonly containers: readonly string[];
}

/**
 * The task's GPUs as the agent channel hands them to the agent, in the shape of ECS's task payload
 * (the ECS agent reads `associations` of type `gpu` into each container's GPU ids): one per GPU id.
 */
export function gpuAssociations(task: Pick<TaskRecord, 'containers'>): TaskAssociation[] {
  return task.containers.flatMap((c) =>
    (c.gpuIds ?? []).map((id) => ({ type: 'gpu' as const, name: id, containers: [c.name] })),
  );
}

// ---------------------------------------------------------------------------------------------
// The API shape

const date = (ms: number | undefined): { at?: Date } => (ms === undefined ? {} : { at: new Date(ms) });

export function taskView(record: TaskRecord, clusterArn: string, tags?: readonly Tag[]): Task {
  const s = record.state;
  const states = new Map<string, ContainerState>(s.containers.map((c) => [c.name, c]));
  const containers: Container[] = record.containers.map((c) => {
    const st = states.get(c.name);
    return {
      containerArn: c.arn,
      taskArn: record.arn,
      name: c.name,
      image: c.image,
      ...(c.imageDigest !== undefined ? { imageDigest: c.imageDigest } : {}),
      lastStatus: st?.lastStatus ?? 'PENDING',
      ...(st?.exitCode !== undefined ? { exitCode: st.exitCode } : {}),
      ...(st?.reason !== undefined ? { reason: st.reason } : {}),
      ...(st?.runtimeId !== undefined ? { runtimeId: st.runtimeId } : {}),
      networkBindings: (c.networkBindings ?? []).map((b) => ({ ...b })),
      networkInterfaces: [],
      healthStatus: st?.healthStatus ?? 'UNKNOWN',
      cpu: String(c.cpu),
      ...(c.memory !== undefined ? { memory: String(c.memory) } : {}),
      ...(c.memoryReservation !== undefined ? { memoryReservation: String(c.memoryReservation) } : {}),
      ...(c.gpuIds !== undefined ? { gpuIds: [...c.gpuIds] } : {}),
    };
  });
  const times: [keyof Task, number | undefined][] = [
    ['createdAt', record.createdAt],
    ['pullStartedAt', s.pullStartedAt],
    ['pullStoppedAt', s.pullStoppedAt],
    ['startedAt', s.startedAt],
    ['stoppingAt', s.stoppingAt],
    ['executionStoppedAt', s.executionStoppedAt],
    ['stoppedAt', s.stoppedAt],
  ];
  const task: Task = {
    taskArn: record.arn,
    clusterArn,
    taskDefinitionArn: record.taskDefinitionArn,
    containerInstanceArn: record.containerInstanceArn,
    overrides: {
      containerOverrides: record.overrides.containerOverrides ?? [],
      inferenceAcceleratorOverrides: record.overrides.inferenceAcceleratorOverrides ?? [],
      ...(record.overrides.cpu !== undefined ? { cpu: record.overrides.cpu } : {}),
      ...(record.overrides.memory !== undefined ? { memory: record.overrides.memory } : {}),
      ...(record.overrides.taskRoleArn !== undefined ? { taskRoleArn: record.overrides.taskRoleArn } : {}),
      ...(record.overrides.executionRoleArn !== undefined
        ? { executionRoleArn: record.overrides.executionRoleArn }
        : {}),
    },
    lastStatus: s.lastStatus,
    desiredStatus: s.desiredStatus,
    cpu: record.cpu,
    memory: record.memory,
    containers,
    ...(record.startedBy !== undefined ? { startedBy: record.startedBy } : {}),
    version: record.version,
    ...(s.stoppedReason !== undefined ? { stoppedReason: s.stoppedReason } : {}),
    ...(s.stopCode !== undefined ? { stopCode: s.stopCode } : {}),
    group: record.group,
    launchType: record.launchType,
    ...(record.availabilityZone !== undefined ? { availabilityZone: record.availabilityZone } : {}),
    attachments: [],
    healthStatus: s.healthStatus,
    enableExecuteCommand: false,
    tags: tags ? tags.map((t) => ({ ...t })) : [],
  };
  for (const [key, ms] of times) {
    const { at } = date(ms);
    if (at) Object.assign(task, { [key]: at });
  }
  return task;
}
