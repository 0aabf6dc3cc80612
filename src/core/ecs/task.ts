import type {
  Container,
  ContainerDefinition,
  ContainerOverride,
  NetworkBinding,
  Resource,
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
import { parseTaskCpu, parseTaskMemory } from './task-definition/resources.js';

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
  }
  // Task-level overrides use the task definition's syntax; refused as InvalidParameterException here.
  try {
    if (overrides?.cpu !== undefined) parseTaskCpu(overrides.cpu);
    if (overrides?.memory !== undefined) parseTaskMemory(overrides.memory);
  } catch (error) {
    throw invalidParameter(error instanceof Error ? error.message : String(error));
  }
}

function overrideOf(overrides: TaskOverride, name: string | undefined): ContainerOverride | undefined {
  return overrides.containerOverrides?.find((o) => o.name === name);
}

/** The definition's containers with the overrides' cpu/memory applied. */
function effectiveContainers(definition: TaskDefinition, overrides: TaskOverride): ContainerDefinition[] {
  return (definition.containerDefinitions ?? []).map((c) => {
    const o = overrideOf(overrides, c.name);
    return {
      ...c,
      ...(o?.cpu !== undefined ? { cpu: o.cpu } : {}),
      ...(o?.memory !== undefined ? { memory: o.memory } : {}),
      ...(o?.memoryReservation !== undefined ? { memoryReservation: o.memoryReservation } : {}),
    };
  });
}

/**
 * What one task takes from an instance: task-level cpu/memory when set (overrides first), else the
 * containers' sums (memory: each container's reservation, or its hard limit); static host ports.
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
  return {
    cpu,
    memory,
    tcpPorts,
    udpPorts,
    requiredAttributes: (definition.requiresAttributes ?? []).map((a) => ({
      name: a.name ?? '',
      ...(a.value !== undefined ? { value: a.value } : {}),
    })),
  };
}

/** The task's document as placement creates it: PENDING (PROVISIONING with network hooks), desired RUNNING. */
export function newTaskDoc(
  definition: TaskDefinition,
  overrides: TaskOverride,
  containerArn: (name: string) => string,
  extra: { referenceId?: string; availabilityZone?: string },
): TaskDoc {
  const containers = effectiveContainers(definition, overrides);
  const demand = taskDemand(definition, overrides);
  const state = newTaskState(
    containers.map((c) => ({
      name: c.name ?? '',
      essential: c.essential ?? true,
      hasHealthCheck: c.healthCheck !== undefined,
    })),
    // No awsvpc (its own issue) and no load balancers yet: neither optional step applies.
    { provision: false, activate: false },
  );
  return {
    state,
    containers: containers.map((c) => ({
      name: c.name ?? '',
      arn: containerArn(c.name ?? ''),
      image: c.image ?? '',
      cpu: c.cpu ?? 0,
      ...(c.memory !== undefined ? { memory: c.memory } : {}),
      ...(c.memoryReservation !== undefined ? { memoryReservation: c.memoryReservation } : {}),
    })),
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

/**
 * An instance's remaining resources after `demands` are taken (sign 1) or given back (sign -1).
 * CPU and MEMORY are numbers; PORTS and PORTS_UDP list the ports that are taken (ECS's shape).
 */
export function adjustRemaining(
  remaining: readonly Resource[],
  demands: readonly TaskDemand[],
  sign: 1 | -1,
): Resource[] {
  const cpu = demands.reduce((s, d) => s + d.cpu, 0) * sign;
  const memory = demands.reduce((s, d) => s + d.memory, 0) * sign;
  const tcp = demands.flatMap((d) => d.tcpPorts.map(String));
  const udp = demands.flatMap((d) => d.udpPorts.map(String));
  return remaining.map((r) => {
    switch (r.name) {
      case 'CPU':
        return { ...r, integerValue: (r.integerValue ?? 0) - cpu };
      case 'MEMORY':
        return { ...r, integerValue: (r.integerValue ?? 0) - memory };
      case 'PORTS':
        return { ...r, stringSetValue: ports(r.stringSetValue ?? [], tcp, sign) };
      case 'PORTS_UDP':
        return { ...r, stringSetValue: ports(r.stringSetValue ?? [], udp, sign) };
      case undefined:
      default:
        return r;
    }
  });
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
  return {
    id: record.arn,
    status: record.status,
    agentConnected: record.agentConnected,
    remainingCpu: find('CPU')?.integerValue ?? 0,
    remainingMemory: find('MEMORY')?.integerValue ?? 0,
    usedTcpPorts: (find('PORTS')?.stringSetValue ?? []).map(Number),
    usedUdpPorts: (find('PORTS_UDP')?.stringSetValue ?? []).map(Number),
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
