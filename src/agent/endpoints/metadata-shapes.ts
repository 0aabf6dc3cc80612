import type { ContainerView, TaskSnapshot } from '../engine/known-task.js';
import { runtimeContainerName, type TaskContainerSpec, type TaskSpec } from '../engine/task-spec.js';
import type { ContainerStats, NetworkCounters, PresentContainerState } from '../runtime/runtime.js';

/**
 * The task metadata endpoint v4's JSON, as ECS documents it (PascalCase task/container metadata,
 * Docker's snake_case stats), built from what the agent knows: the task's spec, the engine's
 * snapshot and what the runtime inspected. Pure, so every field's origin is testable without a
 * server. Fields ECS derives from facts Berth does not have (ContainerARN, LogDriver, awsvpc
 * attachment details, ServiceName) are omitted, as ECS omits fields it has no value for.
 */

/** The task as the endpoint reads it: spec, snapshot, and per container name what the runtime inspected. */
export interface MetadataTask {
  readonly spec: TaskSpec;
  readonly snapshot: TaskSnapshot;
  readonly inspected: ReadonlyMap<string, PresentContainerState>;
}

/** What the endpoint knows of its host, for the task-level fields. */
export interface MetadataHost {
  readonly availabilityZone: string;
}

export interface PortResponse {
  readonly ContainerPort: number;
  readonly Protocol: string;
  readonly HostPort: number;
  readonly HostIp: string;
}

export interface NetworkResponse {
  readonly NetworkMode: string;
  readonly IPv4Addresses?: readonly string[];
}

export interface ContainerResponse {
  readonly DockerId: string;
  readonly Name: string;
  readonly DockerName: string;
  readonly Image: string;
  readonly ImageID: string;
  readonly Ports?: readonly PortResponse[];
  readonly Labels?: Readonly<Record<string, string>>;
  readonly DesiredStatus: string;
  readonly KnownStatus: string;
  readonly ExitCode?: number;
  readonly Limits: { readonly CPU: number; readonly Memory: number };
  readonly CreatedAt?: string;
  readonly StartedAt?: string;
  readonly FinishedAt?: string;
  readonly Type: 'NORMAL';
  readonly Health?: { readonly status: string };
  readonly Networks?: readonly NetworkResponse[];
}

export interface TaskResponse {
  readonly Cluster: string;
  readonly TaskARN: string;
  readonly Family: string;
  readonly Revision: string;
  readonly DesiredStatus: string;
  readonly KnownStatus: string;
  readonly Limits?: { readonly CPU?: number; readonly Memory?: number };
  readonly PullStartedAt?: string;
  readonly PullStoppedAt?: string;
  readonly ExecutionStoppedAt?: string;
  readonly AvailabilityZone: string;
  readonly LaunchType: 'EC2';
  readonly Containers: readonly ContainerResponse[];
}

/** One failed tag look-up, as ECS reports it in `/taskWithTags`'s `Errors`. */
export interface TagErrorResponse {
  readonly ErrorField: 'TaskTags' | 'ContainerInstanceTags';
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
  readonly StatusCode: number;
  readonly RequestId?: string;
  readonly ResourceARN: string;
}

export interface TaskWithTagsResponse extends TaskResponse {
  readonly TaskTags?: Readonly<Record<string, string>>;
  readonly ContainerInstanceTags?: Readonly<Record<string, string>>;
  readonly Errors?: readonly TagErrorResponse[];
}

const iso = (date: Date | undefined): string | undefined => date?.toISOString();

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/**
 * ECS's container known statuses (NONE → PULLED → CREATED → RUNNING → STOPPED): the engine reports
 * PENDING until the container runs, so a PENDING one with a runtime id is CREATED.
 */
function containerKnownStatus(view: ContainerView): string {
  if (view.lastStatus !== 'PENDING') return view.lastStatus;
  return view.runtimeId !== undefined ? 'CREATED' : 'NONE';
}

function networksOf(task: TaskSpec, state: PresentContainerState | undefined): NetworkResponse[] | undefined {
  const mode = task.networkMode ?? 'bridge';
  if (mode === 'none') return undefined; // no network information: ECS omits the field
  const addresses = state?.ipv4Addresses ?? [];
  // A `host` container has no address of its own; only bridge ones carry IPv4Addresses.
  return [{ NetworkMode: mode, ...(mode === 'bridge' ? { IPv4Addresses: [...addresses] } : {}) }];
}

/** One container's metadata (the `${ECS_CONTAINER_METADATA_URI_V4}` answer and `/task`'s entries). */
export function containerResponse(task: MetadataTask, name: string): ContainerResponse | undefined {
  const spec: TaskContainerSpec | undefined = task.spec.containers.find((c) => c.name === name);
  const view = task.snapshot.containers.find((c) => c.containerName === name);
  if (spec === undefined || view === undefined) return undefined;
  const state = task.inspected.get(name);
  const dockerId = view.runtimeId ?? state?.runtimeId;
  if (dockerId === undefined) return undefined; // like ECS: only containers the engine created
  const ports = view.networkBindings.map((b) => ({
    ContainerPort: b.containerPort,
    Protocol: b.protocol,
    HostPort: b.hostPort,
    HostIp: b.hostIp,
  }));
  const labels = state?.labels;
  return {
    DockerId: dockerId,
    Name: name,
    DockerName: state?.name ?? runtimeContainerName(task.spec, name),
    Image: spec.image,
    ImageID: state?.imageId ?? view.imageDigest ?? '',
    ...(ports.length > 0 ? { Ports: ports } : {}),
    ...(labels !== undefined && Object.keys(labels).length > 0 ? { Labels: labels } : {}),
    DesiredStatus: task.snapshot.desiredStatus,
    KnownStatus: containerKnownStatus(view),
    ...optional('ExitCode', view.exitCode),
    Limits: { CPU: spec.cpu ?? 0, Memory: spec.memory ?? 0 },
    ...optional('CreatedAt', iso(state?.createdAt)),
    ...optional('StartedAt', iso(view.startedAt ?? state?.startedAt)),
    ...optional('FinishedAt', iso(view.finishedAt ?? state?.finishedAt)),
    Type: 'NORMAL',
    ...(spec.healthCheck !== undefined ? { Health: { status: view.healthStatus } } : {}),
    ...optional('Networks', networksOf(task.spec, state)),
  };
}

/** The `/task` answer: the task and every container the engine created, in definition order. */
export function taskResponse(task: MetadataTask, host: MetadataHost): TaskResponse {
  const { spec, snapshot } = task;
  // Task-level CPU is in vCPUs here (ECS's v4 shape), units in the task definition.
  const limits = {
    ...optional('CPU', spec.cpu !== undefined ? spec.cpu / 1024 : undefined),
    ...optional('Memory', spec.memory),
  };
  const containers = spec.containers
    .map((c) => containerResponse(task, c.name))
    .filter((c): c is ContainerResponse => c !== undefined);
  return {
    Cluster: spec.cluster,
    TaskARN: spec.taskArn,
    Family: spec.family,
    Revision: String(spec.revision),
    DesiredStatus: snapshot.desiredStatus,
    KnownStatus: snapshot.task.lastStatus,
    ...(Object.keys(limits).length > 0 ? { Limits: limits } : {}),
    ...optional('PullStartedAt', iso(snapshot.task.pullStartedAt)),
    ...optional('PullStoppedAt', iso(snapshot.task.pullStoppedAt)),
    ...optional('ExecutionStoppedAt', iso(snapshot.task.executionStoppedAt)),
    AvailabilityZone: host.availabilityZone,
    LaunchType: 'EC2',
    Containers: containers,
  };
}

/** A tag as ListTagsForResource returns it. */
export interface ResourceTag {
  readonly key?: string | undefined;
  readonly value?: string | undefined;
}

/** A tag look-up's outcome: the tags, or why there are none. */
export type TagLookup =
  { readonly tags: readonly ResourceTag[] } | { readonly error: Omit<TagErrorResponse, 'ErrorField'> };

function tagMap(tags: readonly ResourceTag[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) if (t.key !== undefined) out[t.key] = t.value ?? '';
  return out;
}

/** The `/taskWithTags` answer: `/task` plus both tag sets; a failed look-up goes to `Errors` instead. */
export function taskWithTagsResponse(
  task: TaskResponse,
  taskTags: TagLookup,
  instanceTags: TagLookup,
): TaskWithTagsResponse {
  const errors: TagErrorResponse[] = [];
  if ('error' in taskTags) errors.push({ ErrorField: 'TaskTags', ...taskTags.error });
  if ('error' in instanceTags) errors.push({ ErrorField: 'ContainerInstanceTags', ...instanceTags.error });
  return {
    ...task,
    ...('tags' in taskTags ? { TaskTags: tagMap(taskTags.tags) } : {}),
    ...('tags' in instanceTags ? { ContainerInstanceTags: tagMap(instanceTags.tags) } : {}),
    ...(errors.length > 0 ? { Errors: errors } : {}),
  };
}

/** Docker's zero time, which its stats use for a `preread` with no earlier sample. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuStats(sample: ContainerStats | undefined): Record<string, unknown> {
  return {
    cpu_usage: {
      total_usage: sample?.cpuTotalNanos ?? 0,
      usage_in_kernelmode: 0,
      usage_in_usermode: 0,
    },
    ...(sample?.systemCpuNanos !== undefined ? { system_cpu_usage: sample.systemCpuNanos } : {}),
    online_cpus: sample?.onlineCpus ?? 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

function networkJson(counters: NetworkCounters): Record<string, number> {
  return {
    rx_bytes: counters.rxBytes,
    rx_packets: counters.rxPackets,
    rx_errors: counters.rxErrors,
    rx_dropped: counters.rxDropped,
    tx_bytes: counters.txBytes,
    tx_packets: counters.txPackets,
    tx_errors: counters.txErrors,
    tx_dropped: counters.txDropped,
  };
}

function totals(networks: Readonly<Record<string, NetworkCounters>>): { rx: number; tx: number } {
  return Object.values(networks).reduce((acc, n) => ({ rx: acc.rx + n.rxBytes, tx: acc.tx + n.txBytes }), {
    rx: 0,
    tx: 0,
  });
}

/**
 * One container's `/stats` answer in Docker's stats shape, from the runtime's sample. `previous`
 * (the endpoint's last sample of the same container) fills `preread`/`precpu_stats`, so CPU
 * percentages come out as they do from Docker's streamed stats, and ECS's `network_rate_stats`.
 * What the runtime does not measure (block I/O, per-CPU usage, memory breakdown) is empty.
 */
export function dockerStats(
  sample: ContainerStats,
  previous: ContainerStats | undefined,
  container: { readonly dockerId: string; readonly dockerName: string },
): Record<string, unknown> {
  const seconds = previous !== undefined ? (sample.at.getTime() - previous.at.getTime()) / 1000 : 0;
  const rates =
    sample.networks !== undefined && previous?.networks !== undefined && seconds > 0
      ? (() => {
          const now = totals(sample.networks);
          const before = totals(previous.networks);
          return {
            rx_bytes_per_sec: Math.max(0, now.rx - before.rx) / seconds,
            tx_bytes_per_sec: Math.max(0, now.tx - before.tx) / seconds,
          };
        })()
      : undefined;
  return {
    read: sample.at.toISOString(),
    preread: previous !== undefined ? previous.at.toISOString() : ZERO_TIME,
    pids_stats: sample.pids !== undefined ? { current: sample.pids } : {},
    blkio_stats: {
      io_service_bytes_recursive: [],
      io_serviced_recursive: [],
      io_queue_recursive: [],
      io_service_time_recursive: [],
      io_wait_time_recursive: [],
      io_merged_recursive: [],
      io_time_recursive: [],
      sectors_recursive: [],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(sample),
    precpu_stats: cpuStats(previous),
    memory_stats: { usage: sample.memoryUsageBytes, stats: {}, limit: sample.memoryLimitBytes },
    name: `/${container.dockerName}`,
    id: container.dockerId,
    ...(sample.networks !== undefined
      ? {
          networks: Object.fromEntries(
            Object.entries(sample.networks).map(([name, n]) => [name, networkJson(n)]),
          ),
        }
      : {}),
    ...(rates !== undefined ? { network_rate_stats: rates } : {}),
  };
}
