/**
 * The agent's container runtime port: everything the task engine asks of a container engine, in
 * runtime-neutral terms. Two implementations keep the same observable contract
 * (test/agent/runtime.contract.test.ts): `DockerRuntime` (docker.ts) drives a real Docker Engine,
 * `FakeRuntime` (fake.ts) simulates one in memory for fast tests and `berth sim`.
 *
 * Who owns what:
 * - The task engine owns *intent*: which containers should exist, their names and labels, when to
 *   start and stop them, and the mapping from ECS task definitions (with ECS's defaults and
 *   validation, from core/) to `ContainerSpec`. It persists runtime ids itself and re-attaches after
 *   a restart with `list({ labels })` + `inspect`.
 * - The runtime owns *mechanism*: turning a spec into an engine container exactly, reporting what
 *   the engine observes (`inspect`, `events`, `stats`) without interpretation, and never deciding
 *   task state. It keeps no state the engine depends on, so it may be rebuilt at any time
 *   (the one exception: which refs it pulled, for the `once` pull behaviour).
 * - Every call that can hang is bounded: it takes `{ signal }` and the implementation applies its
 *   own deadline on top, failing with `RuntimeTimeoutError` when that passes.
 */

/** ECS_IMAGE_PULL_BEHAVIOR, with ECS's semantics (see `Runtime.ensureImage`). */
export type PullBehavior = 'default' | 'always' | 'once' | 'prefer-cached';

export type NetworkMode = 'bridge' | 'host' | 'none';
export type PortProtocol = 'tcp' | 'udp';

/**
 * A container's lifecycle as the runtime sees it, in order: a container only ever moves forward
 * (`created` → `running` → `exited` → `removed`; `created` may go straight to `removed`).
 */
export const CONTAINER_STATUSES = ['created', 'running', 'exited', 'removed'] as const;
export type ContainerStatus = (typeof CONTAINER_STATUSES)[number];

/** True when `status` is `than` or later in the lifecycle. */
export function statusAtLeast(status: ContainerStatus, than: ContainerStatus): boolean {
  return CONTAINER_STATUSES.indexOf(status) >= CONTAINER_STATUSES.indexOf(than);
}

/** `none`: the container has no health check. */
export type HealthStatus = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface CallOptions {
  /** Aborts the call; the implementation's own deadline applies as well. */
  readonly signal?: AbortSignal;
}

export interface PortMapping {
  readonly containerPort: number;
  /** Default `tcp`. */
  readonly protocol?: PortProtocol;
  /** 0 or absent: a dynamic port the engine picks from its ephemeral range. Ignored for `host`. */
  readonly hostPort?: number;
  /** Default 127.0.0.1: nothing is published beyond this host unless asked for. */
  readonly hostIp?: string;
}

export type Mount =
  | { readonly type: 'bind'; readonly source: string; readonly target: string; readonly readOnly?: boolean }
  /** A named volume; the engine creates it (local driver) when it does not exist yet. */
  | { readonly type: 'volume'; readonly name: string; readonly target: string; readonly readOnly?: boolean };

export interface VolumeFrom {
  readonly container: string;
  readonly readOnly?: boolean;
}

export interface TmpfsMount {
  readonly target: string;
  readonly sizeMiB?: number;
  /** Mount options such as `noexec`, `nosuid`. */
  readonly options?: readonly string[];
}

export interface Ulimit {
  readonly name: string;
  readonly soft: number;
  readonly hard: number;
}

/** ECS's healthCheck. Absent durations take ECS's defaults: 30 s interval, 5 s timeout, 3 retries, no start period. */
export interface HealthCheckSpec {
  /** `['CMD', exe, ...args]` or `['CMD-SHELL', 'shell command']`, as in ECS and Docker. */
  readonly command: readonly ['CMD' | 'CMD-SHELL', ...string[]];
  readonly intervalSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly retries?: number;
  readonly startPeriodSeconds?: number;
}

/** One container, as the task engine wants it created. Fields mirror ECS's container definition. */
export interface ContainerSpec {
  /** Unique on the host; the engine's name (e.g. `ecs-<family>-<rev>-<container>-<id>`). */
  readonly name: string;
  /** An image reference that `ensureImage` has already made present. */
  readonly image: string;
  readonly command?: readonly string[];
  readonly entryPoint?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly workingDirectory?: string;
  readonly user?: string;
  /** dockerLabels plus the engine's own (ECS's `com.amazonaws.ecs.*`, Berth's `berth.*`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** CPU shares (ECS `cpu`); values under 2 become 2, the kernel's minimum, as the ECS agent does. */
  readonly cpuShares?: number;
  /** Hard limit, MiB (ECS `memory`): over it the container is OOM-killed. */
  readonly memoryMiB?: number;
  /** Soft limit, MiB (ECS `memoryReservation`). */
  readonly memoryReservationMiB?: number;
  /** Memory + swap cap as ECS's `maxSwap` (MiB of swap); 0 = no swap. Absent: the host's default. */
  readonly maxSwapMiB?: number;
  /** Default `bridge`. */
  readonly networkMode?: NetworkMode;
  readonly portMappings?: readonly PortMapping[];
  readonly mounts?: readonly Mount[];
  /**
   * Every volume of these containers (Docker's VolumesFrom), mounted at the same paths. `container`:
   * the name or runtime id of a container created before this one. `readOnly`: true read-only, false
   * read-write, absent as the source mounts them.
   */
  readonly volumesFrom?: readonly VolumeFrom[];
  readonly tmpfs?: readonly TmpfsMount[];
  readonly ulimits?: readonly Ulimit[];
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  /** Run an init process as PID 1 (ECS `initProcessEnabled`). */
  readonly init?: boolean;
  readonly shmSizeMiB?: number;
  readonly readonlyRootFilesystem?: boolean;
  /** The runtime does not police this; the engine refuses it when ECS_DISABLE_PRIVILEGED is set. */
  readonly privileged?: boolean;
  readonly hostname?: string;
  readonly extraHosts?: readonly { readonly hostname: string; readonly ipAddress: string }[];
  readonly dnsServers?: readonly string[];
  readonly sysctls?: Readonly<Record<string, string>>;
  /** ECS `pseudoTerminal`. */
  readonly tty?: boolean;
  /** ECS `interactive`. */
  readonly openStdin?: boolean;
  readonly healthCheck?: HealthCheckSpec;
  /** Seconds between SIGTERM and SIGKILL when the engine itself stops the container. */
  readonly stopTimeoutSeconds?: number;
}

export interface EnsuredImage {
  /** The engine's content-addressed image id (`sha256:…`). */
  readonly imageId: string;
  /** The registry manifest digest (`sha256:…`) when the image came from a registry; absent for local builds. */
  readonly digest?: string;
  /** Whether this call pulled (true) or used the cached image (false). */
  readonly pulled: boolean;
}

export interface NetworkBinding {
  readonly containerPort: number;
  readonly protocol: PortProtocol;
  readonly hostPort: number;
  readonly hostIp: string;
}

export interface PresentContainerState {
  readonly runtimeId: string;
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  readonly imageDigest?: string;
  readonly status: Exclude<ContainerStatus, 'removed'>;
  /** Set once `exited`. */
  readonly exitCode?: number;
  readonly oomKilled: boolean;
  readonly health: HealthStatus;
  readonly createdAt: Date;
  readonly startedAt?: Date;
  /** Never before `startedAt`. */
  readonly finishedAt?: Date;
  /** Host ports actually assigned (dynamic ones resolved) while running; `host` mode: the container ports. */
  readonly networkBindings: readonly NetworkBinding[];
  /**
   * The container's own IPv4 addresses on the engine's networks while running (`bridge`: its address
   * on the bridge); empty for `host` and `none`, which have no address of their own. The task
   * metadata endpoint reports them as ECS's `Networks[].IPv4Addresses`.
   */
  readonly ipv4Addresses?: readonly string[];
  /**
   * The container's bind and volume mounts as the engine made them, its own and those `volumesFrom`
   * brought (anonymous volumes have the engine's generated name).
   */
  readonly mounts?: readonly Mount[];
  /** The spec's labels, plus (Docker) those the image carries and the spec did not override. */
  readonly labels: Readonly<Record<string, string>>;
  /** The engine's own error text (e.g. a failed start), when it recorded one. */
  readonly error?: string;
}

/** The runtime no longer knows the container: removed, or never created on this host. */
export interface RemovedContainerState {
  readonly runtimeId: string;
  readonly status: 'removed';
}

export type ContainerState = PresentContainerState | RemovedContainerState;

export interface ContainerSummary {
  readonly runtimeId: string;
  readonly name: string;
  readonly image: string;
  readonly status: Exclude<ContainerStatus, 'removed'>;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ListOptions extends CallOptions {
  /** Every container carrying all of these labels (value `undefined`: the key, any value). */
  readonly labels?: Readonly<Record<string, string | undefined>>;
}

interface EventBase {
  readonly runtimeId: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly at: Date;
}

/** What the engine observed happen to a container. An OOM kill is an `oom` followed by its `die`. */
export type RuntimeEvent =
  | (EventBase & { readonly type: 'start' })
  | (EventBase & { readonly type: 'die'; readonly exitCode: number })
  | (EventBase & { readonly type: 'oom' })
  | (EventBase & { readonly type: 'health_status'; readonly health: 'healthy' | 'unhealthy' })
  | (EventBase & { readonly type: 'destroy' });

export type RuntimeEventType = RuntimeEvent['type'];

export interface EventsOptions {
  /** Ends the stream (the iterator returns). Required: a subscription must not outlive its owner. */
  readonly signal: AbortSignal;
  readonly labels?: Readonly<Record<string, string | undefined>>;
}

export interface ContainerStats {
  readonly at: Date;
  /** Total CPU time consumed since start, nanoseconds. */
  readonly cpuTotalNanos: number;
  /** Host CPU time over the same clock, nanoseconds, when the engine reports it (for percentages). */
  readonly systemCpuNanos?: number;
  readonly onlineCpus: number;
  readonly memoryUsageBytes: number;
  /** The effective limit: the hard limit, or the host's memory when none is set. */
  readonly memoryLimitBytes: number;
  /** Processes in the container, when the engine reports it. */
  readonly pids?: number;
  /** Cumulative traffic per interface of the container's own network namespace (none in `host` mode). */
  readonly networks?: Readonly<Record<string, NetworkCounters>>;
}

export interface NetworkCounters {
  readonly rxBytes: number;
  readonly rxPackets: number;
  readonly rxErrors: number;
  readonly rxDropped: number;
  readonly txBytes: number;
  readonly txPackets: number;
  readonly txErrors: number;
  readonly txDropped: number;
}

export type RuntimeErrorCode =
  | 'CannotPullContainerError'
  | 'CannotCreateContainerError'
  | 'CannotStartContainerError'
  | 'CannotStopContainerError'
  | 'CannotInspectContainerError'
  | 'CannotRemoveContainerError'
  | 'CannotRemoveVolumeError'
  | 'CannotListContainersError'
  | 'CannotCollectStatsError'
  | 'ContainerNotFoundError'
  | 'RuntimeTimeoutError';

/**
 * A runtime failure, with a code the engine maps to ECS's container `reason`/stop reason
 * (the codes follow the ECS agent's). `message` is fit to show a user; `cause` keeps the engine's
 * own error for the log.
 */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isRuntimeError(err: unknown, code?: RuntimeErrorCode): err is RuntimeError {
  return err instanceof RuntimeError && (code === undefined || err.code === code);
}

export interface Runtime {
  /** `docker` or `fake`, for logs and capability attributes. */
  readonly kind: string;

  /**
   * Makes `ref` present and returns its identity. ECS semantics:
   * - `default`: pull; when the pull fails, use the cached image if there is one (offline hosts and
   *   local builds keep working); otherwise fail.
   * - `always`: pull; a failed pull fails, cached or not.
   * - `once`: pull unless this runtime already pulled it and it is still cached.
   * - `prefer-cached`: use the cached image; pull only when there is none.
   * A failure is a `RuntimeError` with code `CannotPullContainerError`.
   */
  ensureImage(ref: string, pullBehavior: PullBehavior, opts?: CallOptions): Promise<EnsuredImage>;

  /** Creates (does not start) a container; returns its runtime id. A taken name is `CannotCreateContainerError`. */
  create(spec: ContainerSpec, opts?: CallOptions): Promise<string>;

  /** Starts a created container. Starting a running one is a no-op. Port conflicts are `CannotStartContainerError`. */
  start(runtimeId: string, opts?: CallOptions): Promise<void>;

  /**
   * SIGTERM, then SIGKILL after `timeoutSeconds`; resolves once the container has exited.
   * Stopping an exited container is a no-op.
   */
  stop(runtimeId: string, timeoutSeconds: number, opts?: CallOptions): Promise<void>;

  /** What the engine knows now. Never throws for a missing container: that is `{ status: 'removed' }`. */
  inspect(runtimeId: string, opts?: CallOptions): Promise<ContainerState>;

  /** Removes the container (killing it if it still runs) and its anonymous volumes. Idempotent. */
  remove(runtimeId: string, opts?: CallOptions): Promise<void>;

  /**
   * Removes the named volume: true when it did, false when there was none (idempotent). A volume a
   * container (in any status) still uses is `CannotRemoveVolumeError`.
   */
  removeVolume(name: string, opts?: CallOptions): Promise<boolean>;

  /** Every container, in any status, carrying the given labels: how the agent re-attaches after a restart. */
  list(opts?: ListOptions): Promise<ContainerSummary[]>;

  /**
   * Subscribes to container events. The promise resolves once the subscription is live: every event
   * after that is delivered, in the engine's order, until `signal` aborts (the iterator then ends).
   * Events before it are not replayed — reconcile with `list` + `inspect` after (re)subscribing.
   */
  events(opts: EventsOptions): Promise<AsyncIterable<RuntimeEvent>>;

  /** One sample of a running container's resource use. */
  stats(runtimeId: string, opts?: CallOptions): Promise<ContainerStats>;

  /** The engine underneath, as the agent reports it in `versionInfo.dockerVersion`. */
  engineVersion(opts?: CallOptions): Promise<string>;

  /**
   * The host's IPv4 address on the engine's default bridge network (its gateway): the address
   * `bridge` containers reach this host's services by, such as the task metadata endpoint.
   * `undefined` when the engine has no such network.
   */
  bridgeGateway(opts?: CallOptions): Promise<string | undefined>;
}
