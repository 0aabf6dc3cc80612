import type {
  ContainerDefinition,
  ContainerOverride,
  KeyValuePair,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { RequestedStopCode } from '../../core/ecs/task-lifecycle.js';
import type {
  LinuxParametersSpec,
  MountPointSpec,
  PortMappingSpec,
  TaskContainerSpec,
  TaskSpec,
  VolumeSpec,
} from '../engine/task-spec.js';
import type { HealthCheckSpec, NetworkMode } from '../runtime/runtime.js';
import type { AgentTask, TaskAssociation } from './client.js';

/**
 * One task of a Poll answer as the engine's `TaskSpec`. Pure. The containers are the task
 * definition's with the task's `containerOverrides` applied as ECS applies them: `command`
 * replaces, `environment` is merged by name (the override wins), `cpu`, `memory` and
 * `memoryReservation` replace; each gets the GPU ids its `gpu` associations pin to it. Throws
 * `UnsupportedTaskError` for what this agent cannot run.
 */
export class UnsupportedTaskError extends Error {
  override readonly name = 'UnsupportedTaskError';
}

const NETWORK_MODES: readonly string[] = ['bridge', 'host', 'none'];
const REQUESTED_STOP_CODES: readonly string[] = [
  'UserInitiated',
  'ServiceSchedulerInitiated',
  'SpotInterruption',
  'TerminationNotice',
];

export function taskSpecFrom(task: AgentTask): TaskSpec {
  const definition: TaskDefinition = task.taskDefinition;
  const networkMode = definition.networkMode ?? 'bridge';
  if (!NETWORK_MODES.includes(networkMode)) {
    throw new UnsupportedTaskError(`networkMode '${networkMode}' is not supported by this agent`);
  }
  const overrides = task.overrides?.containerOverrides ?? [];
  const containers = (definition.containerDefinitions ?? []).map((c) =>
    containerFrom(
      c,
      overrides.find((o) => o.name === c.name),
      gpuIdsOf(task.associations ?? [], c.name ?? ''),
    ),
  );
  const volumes: VolumeSpec[] = (definition.volumes ?? []).map((v) => ({
    name: v.name ?? '',
    ...(v.host !== undefined
      ? { host: v.host.sourcePath !== undefined ? { sourcePath: v.host.sourcePath } : {} }
      : {}),
    ...(v.dockerVolumeConfiguration !== undefined
      ? {
          dockerVolumeConfiguration:
            v.dockerVolumeConfiguration.scope !== undefined
              ? { scope: v.dockerVolumeConfiguration.scope }
              : {},
        }
      : {}),
  }));
  const stopCode =
    task.stopCode !== undefined && REQUESTED_STOP_CODES.includes(task.stopCode)
      ? (task.stopCode as RequestedStopCode)
      : undefined;
  return {
    taskArn: task.taskArn,
    cluster: task.cluster,
    family: definition.family ?? '',
    revision: definition.revision ?? 0,
    desiredStatus: task.desiredStatus,
    version: task.version,
    ...(stopCode !== undefined ? { stopCode } : {}),
    ...(task.stoppedReason !== undefined ? { stoppedReason: task.stoppedReason } : {}),
    networkMode: networkMode as NetworkMode,
    ...taskLimits(task.overrides?.cpu ?? definition.cpu, task.overrides?.memory ?? definition.memory),
    ...(volumes.length > 0 ? { volumes } : {}),
    containers,
    ...(task.startedContainers !== undefined && task.startedContainers.length > 0
      ? { startedContainers: task.startedContainers }
      : {}),
  };
}

/** The GPU ids the task's `gpu` associations pin to the container (the ECS agent's `GPUIDs`). */
function gpuIdsOf(associations: readonly TaskAssociation[], container: string): string[] {
  return associations.filter((a) => a.type === 'gpu' && a.containers.includes(container)).map((a) => a.name);
}

function environmentOf(
  base: readonly KeyValuePair[] | undefined,
  override: readonly KeyValuePair[] | undefined,
): Record<string, string> | undefined {
  if (base === undefined && override === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const kv of [...(base ?? []), ...(override ?? [])]) {
    if (kv.name !== undefined) env[kv.name] = kv.value ?? '';
  }
  return env;
}

/** `value` without its undefined members (for exactOptionalPropertyTypes). */
function defined<T extends object>(value: { [K in keyof T]-?: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function containerFrom(
  c: ContainerDefinition,
  o: ContainerOverride | undefined,
  gpuIds: readonly string[],
): TaskContainerSpec {
  const environment = environmentOf(c.environment, o?.environment);
  const health: HealthCheckSpec | undefined =
    c.healthCheck?.command !== undefined && c.healthCheck.command.length > 0
      ? defined<HealthCheckSpec>({
          command: c.healthCheck.command as unknown as HealthCheckSpec['command'],
          intervalSeconds: c.healthCheck.interval,
          timeoutSeconds: c.healthCheck.timeout,
          retries: c.healthCheck.retries,
          startPeriodSeconds: c.healthCheck.startPeriod,
        })
      : undefined;
  const lp = c.linuxParameters;
  return defined<TaskContainerSpec>({
    name: c.name ?? '',
    image: c.image ?? '',
    command: o?.command ?? c.command,
    entryPoint: c.entryPoint,
    environment,
    cpu: o?.cpu ?? c.cpu,
    memory: o?.memory ?? c.memory,
    memoryReservation: o?.memoryReservation ?? c.memoryReservation,
    essential: c.essential,
    dependsOn: c.dependsOn?.map((d) => ({
      containerName: d.containerName ?? '',
      condition: d.condition ?? 'START',
    })),
    healthCheck: health,
    stopTimeout: c.stopTimeout,
    portMappings: c.portMappings?.map((p) =>
      defined<PortMappingSpec>({
        containerPort: p.containerPort ?? 0,
        hostPort: p.hostPort,
        protocol: p.protocol,
      }),
    ),
    mountPoints: c.mountPoints?.map((m) =>
      defined<MountPointSpec>({
        sourceVolume: m.sourceVolume ?? '',
        containerPath: m.containerPath ?? '',
        readOnly: m.readOnly,
      }),
    ),
    ulimits: c.ulimits?.map((u) => ({ name: u.name ?? '', soft: u.softLimit ?? 0, hard: u.hardLimit ?? 0 })),
    linuxParameters:
      lp === undefined
        ? undefined
        : defined<LinuxParametersSpec>({
            capabilities:
              lp.capabilities === undefined
                ? undefined
                : defined<NonNullable<LinuxParametersSpec['capabilities']>>({
                    add: lp.capabilities.add,
                    drop: lp.capabilities.drop,
                  }),
            initProcessEnabled: lp.initProcessEnabled,
            sharedMemorySize: lp.sharedMemorySize,
            maxSwap: lp.maxSwap,
            tmpfs: lp.tmpfs?.map((t) =>
              defined<NonNullable<LinuxParametersSpec['tmpfs']>[number]>({
                containerPath: t.containerPath ?? '',
                size: t.size ?? 0,
                mountOptions: t.mountOptions,
              }),
            ),
          }),
    readonlyRootFilesystem: c.readonlyRootFilesystem,
    privileged: c.privileged,
    user: c.user,
    workingDirectory: c.workingDirectory,
    dockerLabels: c.dockerLabels,
    hostname: c.hostname,
    extraHosts: c.extraHosts?.map((h) => ({ hostname: h.hostname ?? '', ipAddress: h.ipAddress ?? '' })),
    dnsServers: c.dnsServers,
    systemControls: c.systemControls?.map((s) => ({ namespace: s.namespace ?? '', value: s.value ?? '' })),
    pseudoTerminal: c.pseudoTerminal,
    interactive: c.interactive,
    startTimeout: c.startTimeout,
    volumesFrom: c.volumesFrom?.map((v) => ({
      sourceContainer: v.sourceContainer ?? '',
      ...(v.readOnly !== undefined ? { readOnly: v.readOnly } : {}),
    })),
    gpuIds: gpuIds.length > 0 ? gpuIds : undefined,
  });
}

/** Task-level cpu/memory as numbers; the control plane stores them as unit strings ("1024", "512"). */
function taskLimits(cpu: string | undefined, memory: string | undefined): { cpu?: number; memory?: number } {
  const n = (text: string | undefined): number | undefined => {
    const value = text === undefined || text.trim() === '' ? NaN : Number(text);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const [c, m] = [n(cpu), n(memory)];
  return { ...(c !== undefined ? { cpu: c } : {}), ...(m !== undefined ? { memory: m } : {}) };
}
