import type { DependencyCondition } from '../../core/ecs/task-lifecycle-depends-on.js';
import type { RequestedStopCode } from '../../core/ecs/task-lifecycle.js';
import type { AgentConfig } from '../config.js';
import type {
  ContainerSpec,
  HealthCheckSpec,
  Mount,
  NetworkMode,
  PortProtocol,
  TmpfsMount,
  Ulimit,
} from '../runtime/runtime.js';

/**
 * What the task engine is told to run: one task as the control plane assigned it, with its task
 * definition and overrides already resolved into per-container settings (the channel does that
 * resolution; the engine never sees a raw task definition). Runtime-neutral: `containerSpecFor`
 * is the one place that turns it into the Runtime's `ContainerSpec`.
 *
 * `version` orders specs of one task: the engine acts only on a newer version than it has (the
 * channel may deliver the same or an older one again; that is ignored).
 */

/** ECS's standard container labels (what `docker ps` shows on an ECS host). */
export const ECS_LABELS = {
  taskArn: 'com.amazonaws.ecs.task-arn',
  containerName: 'com.amazonaws.ecs.container-name',
  family: 'com.amazonaws.ecs.task-definition-family',
  version: 'com.amazonaws.ecs.task-definition-version',
  cluster: 'com.amazonaws.ecs.cluster',
} as const;

export interface VolumeSpec {
  readonly name: string;
  /** A bind mount of this host path; absent path (or no volume config at all): a task-scoped volume. */
  readonly host?: { readonly sourcePath?: string };
  /** A named Docker volume: `task` scope is this task's own, `shared` outlives the task. */
  readonly dockerVolumeConfiguration?: { readonly scope?: 'task' | 'shared' };
}

export interface MountPointSpec {
  readonly sourceVolume: string;
  readonly containerPath: string;
  readonly readOnly?: boolean;
}

export interface VolumeFromSpec {
  /** Another container of the task. */
  readonly sourceContainer: string;
  /** Mount them read-only; default false (as the source mounts them). */
  readonly readOnly?: boolean;
}

export interface PortMappingSpec {
  readonly containerPort: number;
  /** 0 or absent: dynamic (bridge mode). */
  readonly hostPort?: number;
  readonly protocol?: PortProtocol;
}

export interface LinuxParametersSpec {
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  readonly initProcessEnabled?: boolean;
  readonly sharedMemorySize?: number;
  readonly maxSwap?: number;
  readonly tmpfs?: readonly {
    readonly containerPath: string;
    readonly size: number;
    readonly mountOptions?: readonly string[];
  }[];
}

export interface TaskContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly entryPoint?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly cpu?: number;
  readonly memory?: number;
  readonly memoryReservation?: number;
  /** ECS's default: true. */
  readonly essential?: boolean;
  readonly dependsOn?: readonly { readonly containerName: string; readonly condition: DependencyCondition }[];
  readonly healthCheck?: HealthCheckSpec;
  /** Seconds from SIGTERM to SIGKILL; absent: the agent's ECS_CONTAINER_STOP_TIMEOUT. */
  readonly stopTimeout?: number;
  readonly portMappings?: readonly PortMappingSpec[];
  readonly mountPoints?: readonly MountPointSpec[];
  readonly ulimits?: readonly Ulimit[];
  readonly linuxParameters?: LinuxParametersSpec;
  readonly readonlyRootFilesystem?: boolean;
  readonly privileged?: boolean;
  readonly user?: string;
  readonly workingDirectory?: string;
  readonly dockerLabels?: Readonly<Record<string, string>>;
  readonly hostname?: string;
  readonly extraHosts?: readonly { readonly hostname: string; readonly ipAddress: string }[];
  readonly dnsServers?: readonly string[];
  readonly systemControls?: readonly { readonly namespace: string; readonly value: string }[];
  readonly pseudoTerminal?: boolean;
  readonly interactive?: boolean;
  /**
   * ECS's `startTimeout`, seconds: how long, from this container's start, a container that depends
   * on it with COMPLETE, SUCCESS or HEALTHY waits for the condition before giving up (it then never
   * starts; an essential one stops the task as TaskFailedToStart). Absent or 0: no limit.
   */
  readonly startTimeout?: number;
  /** ECS's `volumesFrom`: mount every volume of these containers of the task (created first). */
  readonly volumesFrom?: readonly VolumeFromSpec[];
  /** The GPUs placement pinned to this container; the container sees them as NVIDIA_VISIBLE_DEVICES. */
  readonly gpuIds?: readonly string[];
}

export interface TaskSpec {
  readonly taskArn: string;
  /** The cluster's name or ARN, as the ECS label carries it. */
  readonly cluster: string;
  readonly family: string;
  readonly revision: number;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  /** Increases with every change the control plane makes to the task; stale versions are ignored. */
  readonly version: number;
  /** With desiredStatus STOPPED: why (StopTask's `reason`) and the stop code; default UserInitiated. */
  readonly stopCode?: RequestedStopCode;
  readonly stoppedReason?: string;
  /** Default `bridge`. */
  readonly networkMode?: NetworkMode;
  /** Task-level limits, when the definition (or the task's overrides) set them: CPU units, MiB. */
  readonly cpu?: number;
  readonly memory?: number;
  readonly volumes?: readonly VolumeSpec[];
  readonly containers: readonly TaskContainerSpec[];
  /**
   * Containers the control plane already saw start. After an agent restart, one of these with no
   * container on the host was lost (removed while the agent was away) and must not be started again.
   */
  readonly startedContainers?: readonly string[];
}

/** The agent refuses to run this container (ECS_DISABLE_PRIVILEGED, an unknown volume, …). */
export class ContainerRefusedError extends Error {
  override readonly name = 'ContainerRefusedError';
  constructor(
    readonly container: string,
    message: string,
  ) {
    super(message);
  }
}

export type EngineSettings = Pick<
  AgentConfig,
  'disablePrivileged' | 'containerStopTimeoutSeconds' | 'hostAddress'
>;

/** The last segment of a task ARN (`…:task/<cluster>/<id>`), or the whole string. */
export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

/** Docker's name alphabet: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`. */
function safe(text: string): string {
  return text.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** The engine's container name, as the ECS agent makes it: unique per task and container. */
export function runtimeContainerName(task: TaskSpec, container: string): string {
  return safe(`ecs-${task.family}-${task.revision}-${container}-${taskId(task.taskArn)}`);
}

/** The name of a volume that lives as long as the task (its own, per task). */
export function taskVolumeName(task: TaskSpec, volume: string): string {
  return safe(`ecs-${task.family}-${task.revision}-${volume}-${taskId(task.taskArn)}`);
}

/**
 * The volumes that live and die with the task, by their runtime name: `dockerVolumeConfiguration`
 * volumes of scope `task` (ECS's default scope) and volumes with neither a host path nor a
 * configuration (ECS's default task-scoped volume). `shared` volumes and host paths outlive it. Pure.
 */
export function taskScopedVolumes(task: TaskSpec): string[] {
  return (task.volumes ?? [])
    .filter((v) => v.host?.sourcePath === undefined && v.dockerVolumeConfiguration?.scope !== 'shared')
    .map((v) => taskVolumeName(task, v.name));
}

/**
 * The order to remove the task's containers in: a container mounting another's volumes
 * (`volumesFrom`) before that source, so the source's volumes are free when it goes. Pure.
 */
export function removalOrder(task: TaskSpec): string[] {
  const left = [...task.containers];
  const order: string[] = [];
  while (left.length > 0) {
    const unused = left.findIndex(
      (c) => !left.some((o) => (o.volumesFrom ?? []).some((v) => v.sourceContainer === c.name)),
    );
    const [next] = left.splice(Math.max(0, unused), 1); // a cycle: any order
    if (next !== undefined) order.push(next.name);
  }
  return order;
}

export function isEssential(container: TaskContainerSpec): boolean {
  return container.essential ?? true;
}

/** The stop timeout the engine applies: the container's, else the agent's. */
export function stopTimeoutOf(container: TaskContainerSpec, settings: EngineSettings): number {
  return container.stopTimeout ?? settings.containerStopTimeoutSeconds;
}

/**
 * The Runtime's spec for one container of the task: ECS's labels over the container's dockerLabels
 * (a task definition cannot spoof them), the agent's `additions` last. Pure. Throws
 * `ContainerRefusedError` for what this agent will not run.
 */
/**
 * What the agent adds to every container it creates, beyond the task's own definition: its labels
 * (tests mark their containers with these) and environment variables (the metadata endpoint's
 * `ECS_CONTAINER_METADATA_URI_V4`), which win over the definition's.
 */
export interface AgentAdditions {
  readonly labels?: Readonly<Record<string, string>>;
  readonly environment?: (task: TaskSpec, containerName: string) => Readonly<Record<string, string>>;
}

export function containerSpecFor(
  task: TaskSpec,
  container: TaskContainerSpec,
  settings: EngineSettings,
  additions: AgentAdditions = {},
): ContainerSpec {
  if (container.privileged === true && settings.disablePrivileged) {
    throw new ContainerRefusedError(
      container.name,
      `CannotCreateContainerError: container '${container.name}' asks for privileged mode, which this agent disables (ECS_DISABLE_PRIVILEGED=true)`,
    );
  }
  const labels: Record<string, string> = {
    ...container.dockerLabels,
    [ECS_LABELS.taskArn]: task.taskArn,
    [ECS_LABELS.containerName]: container.name,
    [ECS_LABELS.family]: task.family,
    [ECS_LABELS.version]: String(task.revision),
    [ECS_LABELS.cluster]: task.cluster,
    ...additions.labels,
  };
  const extraEnvironment = {
    ...gpuEnvironment(container.gpuIds ?? []),
    ...additions.environment?.(task, container.name),
  };
  const environment =
    container.environment !== undefined || Object.keys(extraEnvironment).length > 0
      ? { ...container.environment, ...extraEnvironment }
      : undefined;
  const networkMode = task.networkMode ?? 'bridge';
  const mounts = (container.mountPoints ?? []).map((mp) => mountFor(task, container.name, mp));
  const volumesFrom = (container.volumesFrom ?? []).map((v) => {
    if (!task.containers.some((c) => c.name === v.sourceContainer && c.name !== container.name)) {
      throw new ContainerRefusedError(
        container.name,
        `CannotCreateContainerError: container '${container.name}' takes volumes from '${v.sourceContainer}', which is not another container of the task`,
      );
    }
    return {
      container: runtimeContainerName(task, v.sourceContainer),
      ...(v.readOnly === true ? { readOnly: true } : {}),
    };
  });
  const lp = container.linuxParameters;
  const tmpfs: TmpfsMount[] = (lp?.tmpfs ?? []).map((t) => ({
    target: t.containerPath,
    sizeMiB: t.size,
    ...(t.mountOptions !== undefined ? { options: t.mountOptions } : {}),
  }));
  const sysctls =
    container.systemControls && container.systemControls.length > 0
      ? Object.fromEntries(container.systemControls.map((s) => [s.namespace, s.value]))
      : undefined;
  return {
    name: runtimeContainerName(task, container.name),
    image: container.image,
    labels,
    networkMode,
    stopTimeoutSeconds: stopTimeoutOf(container, settings),
    ...(container.command !== undefined ? { command: container.command } : {}),
    ...(container.entryPoint !== undefined ? { entryPoint: container.entryPoint } : {}),
    ...(environment !== undefined ? { environment } : {}),
    ...(container.workingDirectory !== undefined ? { workingDirectory: container.workingDirectory } : {}),
    ...(container.user !== undefined ? { user: container.user } : {}),
    ...(container.cpu !== undefined ? { cpuShares: container.cpu } : {}),
    ...(container.memory !== undefined ? { memoryMiB: container.memory } : {}),
    ...(container.memoryReservation !== undefined
      ? { memoryReservationMiB: container.memoryReservation }
      : {}),
    ...(lp?.maxSwap !== undefined ? { maxSwapMiB: lp.maxSwap } : {}),
    ...(container.portMappings !== undefined && networkMode !== 'none'
      ? {
          portMappings: container.portMappings.map((p) => ({
            containerPort: p.containerPort,
            ...(settings.hostAddress !== undefined ? { hostIp: settings.hostAddress } : {}),
            ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
            ...(p.protocol !== undefined ? { protocol: p.protocol } : {}),
          })),
        }
      : {}),
    ...(mounts.length > 0 ? { mounts } : {}),
    ...(volumesFrom.length > 0 ? { volumesFrom } : {}),
    ...(tmpfs.length > 0 ? { tmpfs } : {}),
    ...(container.ulimits !== undefined ? { ulimits: container.ulimits } : {}),
    ...(lp?.capabilities?.add !== undefined ? { capAdd: lp.capabilities.add } : {}),
    ...(lp?.capabilities?.drop !== undefined ? { capDrop: lp.capabilities.drop } : {}),
    ...(lp?.initProcessEnabled !== undefined ? { init: lp.initProcessEnabled } : {}),
    ...(lp?.sharedMemorySize !== undefined ? { shmSizeMiB: lp.sharedMemorySize } : {}),
    ...(container.readonlyRootFilesystem !== undefined
      ? { readonlyRootFilesystem: container.readonlyRootFilesystem }
      : {}),
    ...(container.privileged !== undefined ? { privileged: container.privileged } : {}),
    ...(container.hostname !== undefined && networkMode === 'bridge' ? { hostname: container.hostname } : {}),
    ...(container.extraHosts !== undefined ? { extraHosts: container.extraHosts } : {}),
    ...(container.dnsServers !== undefined ? { dnsServers: container.dnsServers } : {}),
    ...(sysctls !== undefined ? { sysctls } : {}),
    ...(container.pseudoTerminal !== undefined ? { tty: container.pseudoTerminal } : {}),
    ...(container.interactive !== undefined ? { openStdin: container.interactive } : {}),
    ...(container.healthCheck !== undefined ? { healthCheck: container.healthCheck } : {}),
  };
}

/**
 * What the ECS agent gives a container with GPUs: NVIDIA_VISIBLE_DEVICES, its GPU ids joined by
 * commas (over any value the definition sets). NVIDIA's container runtime reads it to expose those
 * devices; the agent does not pick a runtime, so the host's Docker must run containers with NVIDIA's
 * (its default runtime) for the GPUs to appear (docs/placement.md, GPUs).
 */
function gpuEnvironment(gpuIds: readonly string[]): Record<string, string> {
  return gpuIds.length > 0 ? { NVIDIA_VISIBLE_DEVICES: gpuIds.join(',') } : {};
}

function mountFor(task: TaskSpec, container: string, mp: MountPointSpec): Mount {
  const volume = task.volumes?.find((v) => v.name === mp.sourceVolume);
  if (volume === undefined) {
    throw new ContainerRefusedError(
      container,
      `CannotCreateContainerError: container '${container}' mounts volume '${mp.sourceVolume}', which the task does not define`,
    );
  }
  const readOnly = mp.readOnly !== undefined ? { readOnly: mp.readOnly } : {};
  const sourcePath = volume.host?.sourcePath;
  if (sourcePath !== undefined)
    return { type: 'bind', source: sourcePath, target: mp.containerPath, ...readOnly };
  const name =
    volume.dockerVolumeConfiguration?.scope === 'shared' ? volume.name : taskVolumeName(task, volume.name);
  return { type: 'volume', name, target: mp.containerPath, ...readOnly };
}
