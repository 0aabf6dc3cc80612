import Docker from 'dockerode';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { labelFilters } from './labels.js';
import {
  RuntimeError,
  type CallOptions,
  type ContainerSpec,
  type ContainerState,
  type ContainerStats,
  type ContainerSummary,
  type EnsuredImage,
  type EventsOptions,
  type HealthStatus,
  type ListOptions,
  type NetworkBinding,
  type NetworkCounters,
  type PortProtocol,
  type PresentContainerState,
  type PullBehavior,
  type Runtime,
  type RuntimeErrorCode,
  type RuntimeEvent,
} from './runtime.js';

/**
 * The Runtime over a Docker Engine, through dockerode, pinned to Engine API v1.41 (Docker 20.10,
 * what the hosts we support speak; newer engines still serve it). The mapping from ContainerSpec to
 * Docker's container config is `toCreateOptions` — exact, so an ECS task definition means on Berth
 * what it means on ECS (the ECS agent's own mapping is the reference).
 */

export const DOCKER_API_VERSION = 'v1.41';
const MiB = 1024 * 1024;
const NS_PER_S = 1e9;
/** Docker's zero time: a container that never started or never finished. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface DockerRuntimeOptions {
  /** A dockerode client; default: the local socket (or DOCKER_HOST) at API v1.41. */
  readonly docker?: Docker;
  /** Deadline of ordinary calls, ms; default 30 s. */
  readonly callTimeoutMs?: number;
  /** Deadline of an image pull, ms; default 10 min. */
  readonly pullTimeoutMs?: number;
  /** Grace beyond a stop's own timeout before the call is abandoned, ms; default 30 s. */
  readonly stopGraceMs?: number;
}

/** What dockerode's errors carry. */
interface DockerodeError extends Error {
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
}

/** Docker's event message (API v1.41). */
interface DockerEventMessage {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** Event attributes that are not container labels. */
const NON_LABEL_ATTRIBUTES = new Set(['name', 'image', 'exitCode', 'signal']);

export class DockerRuntime implements Runtime {
  readonly kind = 'docker';
  private readonly docker: Docker;
  private readonly callTimeoutMs: number;
  private readonly pullTimeoutMs: number;
  private readonly stopGraceMs: number;
  /** Refs this runtime pulled (the `once` pull behaviour); lost on restart, which only costs a pull. */
  private readonly pulledByUs = new Set<string>();
  /** imageId → registry digest; image ids are content addresses, so entries never go stale. */
  private readonly digests = new Map<string, string | undefined>();

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker = options.docker ?? new Docker({ version: DOCKER_API_VERSION });
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.pullTimeoutMs = options.pullTimeoutMs ?? 600_000;
    this.stopGraceMs = options.stopGraceMs ?? 30_000;
  }

  async ensureImage(ref: string, pullBehavior: PullBehavior, opts: CallOptions = {}): Promise<EnsuredImage> {
    const key = normalizeRef(ref);
    const cached = await this.inspectImage(key, opts);
    const pull = async (): Promise<EnsuredImage> => {
      await this.pull(key, opts);
      const image = await this.inspectImage(key, opts);
      if (image === undefined)
        throw new RuntimeError('CannotPullContainerError', `pulled ${ref} but it is not present`);
      this.pulledByUs.add(key);
      return { ...image, pulled: true };
    };
    switch (pullBehavior) {
      case 'prefer-cached':
        return cached ? { ...cached, pulled: false } : pull();
      case 'once':
        return cached && this.pulledByUs.has(key) ? { ...cached, pulled: false } : pull();
      case 'always':
        return pull();
      case 'default':
        try {
          return await pull();
        } catch (err) {
          // ECS: a failed pull falls back to the cached image, so offline hosts keep running.
          if (cached && !opts.signal?.aborted) return { ...cached, pulled: false };
          throw err;
        }
    }
  }

  async create(spec: ContainerSpec, opts: CallOptions = {}): Promise<string> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      const container = await this.docker.createContainer({ ...toCreateOptions(spec), abortSignal: signal });
      return container.id;
    } catch (err) {
      throw this.translate(err, 'CannotCreateContainerError', `create ${spec.name}`, signal);
    }
  }

  async start(runtimeId: string, opts: CallOptions = {}): Promise<void> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      await this.docker.getContainer(runtimeId).start({ abortSignal: signal });
    } catch (err) {
      if (statusOf(err) === 304) return; // already started
      throw this.translate(err, 'CannotStartContainerError', `start ${runtimeId}`, signal);
    }
  }

  async stop(runtimeId: string, timeoutSeconds: number, opts: CallOptions = {}): Promise<void> {
    const t = Math.max(0, Math.ceil(timeoutSeconds));
    const signal = this.deadline(opts, t * 1000 + this.stopGraceMs);
    try {
      // Docker sends the stop signal (SIGTERM), waits t seconds, then SIGKILLs; it answers once exited.
      await this.docker.getContainer(runtimeId).stop({ t, abortSignal: signal });
    } catch (err) {
      if (statusOf(err) === 304) return; // not running
      throw this.translate(err, 'CannotStopContainerError', `stop ${runtimeId}`, signal);
    }
  }

  async inspect(runtimeId: string, opts: CallOptions = {}): Promise<ContainerState> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(runtimeId).inspect({ abortSignal: signal });
    } catch (err) {
      if (statusOf(err) === 404) return { runtimeId, status: 'removed' };
      throw this.translate(err, 'CannotInspectContainerError', `inspect ${runtimeId}`, signal);
    }
    const imageDigest = await this.digestOf(info.Image, opts);
    return fromInspect(info, imageDigest);
  }

  async remove(runtimeId: string, opts: CallOptions = {}): Promise<void> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      await this.docker.getContainer(runtimeId).remove({ force: true, v: true, abortSignal: signal });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return;
      if (status === 409 && /already in progress/i.test(messageOf(err))) return;
      throw this.translate(err, 'CannotRemoveContainerError', `remove ${runtimeId}`, signal);
    }
  }

  async list(opts: ListOptions = {}): Promise<ContainerSummary[]> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      const label = labelFilters(opts.labels);
      const infos = await this.docker.listContainers({
        all: true,
        ...(label.length > 0 ? { filters: { label } } : {}),
        abortSignal: signal,
      });
      return infos.map((info) => ({
        runtimeId: info.Id,
        name: (info.Names[0] ?? '').replace(/^\//, ''),
        image: info.Image,
        status: statusFromDocker(info.State),
        labels: { ...info.Labels },
      }));
    } catch (err) {
      throw this.translate(err, 'CannotListContainersError', 'list containers', signal);
    }
  }

  async events(opts: EventsOptions): Promise<AsyncIterable<RuntimeEvent>> {
    const label = labelFilters(opts.labels);
    // The subscription lives as long as the caller's signal: no deadline of ours once it answers.
    const connect = this.deadline({ signal: opts.signal }, this.callTimeoutMs);
    const stream = (await this.docker
      .getEvents({
        filters: { type: ['container'], ...(label.length > 0 ? { label } : {}) },
        abortSignal: opts.signal,
      } as Docker.GetEventsOptions)
      .catch((err: unknown) => {
        throw this.translate(err, 'CannotListContainersError', 'subscribe to events', connect);
      })) as Readable;
    return readEvents(stream, opts.signal);
  }

  async stats(runtimeId: string, opts: CallOptions = {}): Promise<ContainerStats> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      const s = await this.docker
        .getContainer(runtimeId)
        .stats({ stream: false, 'one-shot': true, abortSignal: signal } as { stream: false });
      return {
        at: new Date(s.read),
        cpuTotalNanos: s.cpu_stats.cpu_usage.total_usage,
        ...(s.cpu_stats.system_cpu_usage ? { systemCpuNanos: s.cpu_stats.system_cpu_usage } : {}),
        onlineCpus: s.cpu_stats.online_cpus || 1,
        memoryUsageBytes: s.memory_stats.usage ?? 0,
        memoryLimitBytes: s.memory_stats.limit ?? 0,
        ...(s.pids_stats?.current !== undefined ? { pids: s.pids_stats.current } : {}),
        // Absent for containers without a network namespace of their own (`host`, `none`).
        ...(s.networks ? { networks: countersOf(s.networks) } : {}),
      };
    } catch (err) {
      throw this.translate(err, 'CannotCollectStatsError', `stats ${runtimeId}`, signal);
    }
  }

  async engineVersion(opts: CallOptions = {}): Promise<string> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      // dockerode's version() takes no signal: race it against the deadline instead.
      const version = await raceSignal(this.docker.version(), signal);
      return `DockerVersion: ${version.Version}`;
    } catch (err) {
      throw this.translate(err, 'CannotListContainersError', 'read the engine version', signal);
    }
  }

  async bridgeGateway(opts: CallOptions = {}): Promise<string | undefined> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    let info: { IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] } };
    try {
      // dockerode's network inspect takes no signal: race it against the deadline instead.
      info = (await raceSignal(this.docker.getNetwork('bridge').inspect(), signal)) as typeof info;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.translate(err, 'CannotListContainersError', 'inspect the bridge network', signal);
    }
    return gatewayOf(info.IPAM?.Config ?? []);
  }

  // ---- helpers ----

  private async pull(ref: string, opts: CallOptions): Promise<void> {
    const signal = this.deadline(opts, this.pullTimeoutMs);
    try {
      const stream = (await this.docker.pull(ref, { abortSignal: signal })) as Readable;
      // Errors after the 200 arrive inside the progress stream.
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
          const failed = output.find((line) => line.error !== undefined);
          if (err) reject(err);
          else if (failed) reject(new Error(failed.error));
          else resolve();
        });
      });
    } catch (err) {
      throw this.translate(err, 'CannotPullContainerError', `pull image ${ref}`, signal);
    }
  }

  private async inspectImage(
    ref: string,
    opts: CallOptions,
  ): Promise<Omit<EnsuredImage, 'pulled'> | undefined> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      // dockerode's image inspect takes no signal: race it against the deadline instead.
      const info = await raceSignal(this.docker.getImage(ref).inspect(), signal);
      const digest = repoDigest(info.RepoDigests);
      this.digests.set(info.Id, digest);
      return { imageId: info.Id, ...(digest !== undefined ? { digest } : {}) };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.translate(err, 'CannotPullContainerError', `inspect image ${ref}`, signal);
    }
  }

  private async digestOf(imageId: string, opts: CallOptions): Promise<string | undefined> {
    if (this.digests.has(imageId)) return this.digests.get(imageId);
    try {
      return (await this.inspectImage(imageId, opts))?.digest;
    } catch {
      return undefined; // the digest is informative; a failed look-up must not fail inspect
    }
  }

  /** The caller's signal combined with our deadline. */
  private deadline(opts: CallOptions, ms: number): AbortSignal {
    const timeout = AbortSignal.timeout(ms);
    return opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  }

  private translate(err: unknown, code: RuntimeErrorCode, what: string, signal: AbortSignal): Error {
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      if (reason instanceof DOMException && reason.name === 'TimeoutError') {
        return new RuntimeError('RuntimeTimeoutError', `${what}: Docker did not answer in time`, {
          cause: err,
        });
      }
      return reason instanceof Error ? reason : new Error(`${what}: aborted`, { cause: err });
    }
    if (
      statusOf(err) === 404 &&
      code !== 'CannotPullContainerError' &&
      code !== 'CannotCreateContainerError'
    ) {
      return new RuntimeError('ContainerNotFoundError', `${what}: ${messageOf(err)}`, { cause: err });
    }
    return new RuntimeError(code, `${code}: ${what}: ${messageOf(err)}`, { cause: err });
  }
}

/** Settles with `promise`, or rejects with the signal's reason when it aborts first. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

// ---- mapping ----

/** `name` → `name:latest`, as Docker would otherwise pull every tag. */
function normalizeRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

function repoDigest(repoDigests: readonly string[] | undefined): string | undefined {
  const first = repoDigests?.[0];
  if (first === undefined) return undefined;
  const at = first.indexOf('@');
  return at < 0 ? undefined : first.slice(at + 1);
}

const seconds = (s: number): number => Math.round(s * NS_PER_S);

/** ContainerSpec → Docker's create body (Config + HostConfig), field by field. */
export function toCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const networkMode = spec.networkMode ?? 'bridge';
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const m of spec.portMappings ?? []) {
    const key = `${m.containerPort}/${m.protocol ?? 'tcp'}`;
    exposed[key] = {};
    if (networkMode !== 'bridge') continue; // host: the container's own ports; none: nothing published
    const hostPort = m.hostPort ?? 0;
    (bindings[key] ??= []).push({
      HostIp: m.hostIp ?? '127.0.0.1',
      HostPort: hostPort === 0 ? '' : String(hostPort),
    });
  }
  const hc = spec.healthCheck;
  const memory = spec.memoryMiB !== undefined ? spec.memoryMiB * MiB : undefined;
  const hostConfig: Docker.HostConfig = {
    NetworkMode: networkMode,
    ...(Object.keys(bindings).length > 0 ? { PortBindings: bindings } : {}),
    ...(spec.cpuShares !== undefined ? { CpuShares: Math.max(2, spec.cpuShares) } : {}),
    ...(memory !== undefined ? { Memory: memory } : {}),
    ...(memory !== undefined && spec.maxSwapMiB !== undefined
      ? { MemorySwap: memory + spec.maxSwapMiB * MiB }
      : {}),
    ...(spec.memoryReservationMiB !== undefined
      ? { MemoryReservation: spec.memoryReservationMiB * MiB }
      : {}),
    ...(spec.mounts?.length
      ? {
          Mounts: spec.mounts.map((m) =>
            m.type === 'bind'
              ? { Type: 'bind' as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly ?? false }
              : { Type: 'volume' as const, Source: m.name, Target: m.target, ReadOnly: m.readOnly ?? false },
          ),
        }
      : {}),
    ...(spec.tmpfs?.length
      ? {
          Tmpfs: Object.fromEntries(
            spec.tmpfs.map((t) => [
              t.target,
              [...(t.sizeMiB !== undefined ? [`size=${t.sizeMiB}m`] : []), ...(t.options ?? [])].join(','),
            ]),
          ),
        }
      : {}),
    ...(spec.ulimits?.length
      ? { Ulimits: spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) }
      : {}),
    ...(spec.capAdd?.length ? { CapAdd: [...spec.capAdd] } : {}),
    ...(spec.capDrop?.length ? { CapDrop: [...spec.capDrop] } : {}),
    ...(spec.init !== undefined ? { Init: spec.init } : {}),
    ...(spec.shmSizeMiB !== undefined ? { ShmSize: spec.shmSizeMiB * MiB } : {}),
    ...(spec.readonlyRootFilesystem !== undefined ? { ReadonlyRootfs: spec.readonlyRootFilesystem } : {}),
    ...(spec.privileged !== undefined ? { Privileged: spec.privileged } : {}),
    ...(spec.extraHosts?.length
      ? { ExtraHosts: spec.extraHosts.map((h) => `${h.hostname}:${h.ipAddress}`) }
      : {}),
    ...(spec.dnsServers?.length ? { Dns: [...spec.dnsServers] } : {}),
    ...(spec.sysctls && Object.keys(spec.sysctls).length > 0 ? { Sysctls: { ...spec.sysctls } } : {}),
  };
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.command ? { Cmd: [...spec.command] } : {}),
    ...(spec.entryPoint ? { Entrypoint: [...spec.entryPoint] } : {}),
    ...(spec.environment ? { Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`) } : {}),
    ...(spec.workingDirectory !== undefined ? { WorkingDir: spec.workingDirectory } : {}),
    ...(spec.user !== undefined ? { User: spec.user } : {}),
    Labels: { ...spec.labels },
    ...(Object.keys(exposed).length > 0 ? { ExposedPorts: exposed } : {}),
    ...(spec.hostname !== undefined ? { Hostname: spec.hostname } : {}),
    ...(spec.tty !== undefined ? { Tty: spec.tty } : {}),
    ...(spec.openStdin !== undefined ? { OpenStdin: spec.openStdin } : {}),
    ...(hc
      ? {
          Healthcheck: {
            Test: [...hc.command],
            Interval: seconds(hc.intervalSeconds ?? 30),
            Timeout: seconds(hc.timeoutSeconds ?? 5),
            Retries: hc.retries ?? 3,
            StartPeriod: seconds(hc.startPeriodSeconds ?? 0),
          },
        }
      : {}),
    ...(spec.stopTimeoutSeconds !== undefined ? { StopTimeout: spec.stopTimeoutSeconds } : {}),
    HostConfig: hostConfig,
  };
}

function statusFromDocker(state: string | undefined): PresentContainerState['status'] {
  switch (state ?? '') {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    default: // exited, dead, removing
      return 'exited';
  }
}

function healthFromDocker(status: string | undefined): HealthStatus {
  return status === 'starting' || status === 'healthy' || status === 'unhealthy' ? status : 'none';
}

function dateOf(value: string | undefined): Date | undefined {
  return value === undefined || value === '' || value === ZERO_TIME ? undefined : new Date(value);
}

function fromInspect(
  info: Docker.ContainerInspectInfo,
  imageDigest: string | undefined,
): PresentContainerState {
  const status = statusFromDocker(info.State.Status);
  const startedAt = dateOf(info.State.StartedAt);
  // Docker stamps both ends separately: a process that exits at once can "finish" before it "started".
  const rawFinishedAt = dateOf(info.State.FinishedAt);
  const finishedAt = rawFinishedAt && startedAt && rawFinishedAt < startedAt ? startedAt : rawFinishedAt;
  const health = healthFromDocker(info.State.Health?.Status);
  const error = info.State.Error;
  return {
    runtimeId: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    imageId: info.Image,
    ...(imageDigest !== undefined ? { imageDigest } : {}),
    status,
    ...(status === 'exited' ? { exitCode: info.State.ExitCode } : {}),
    oomKilled: info.State.OOMKilled,
    health,
    createdAt: new Date(info.Created),
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt && status === 'exited' ? { finishedAt } : {}),
    networkBindings: status === 'running' ? bindingsOf(info) : [],
    ipv4Addresses: status === 'running' ? addressesOf(info) : [],
    labels: { ...info.Config.Labels },
    ...(error ? { error } : {}),
  };
}

/**
 * The bridge's IPv4 gateway. The default bridge often lists only its subnet (the daemon does not
 * record the gateway it gave docker0): then it is the subnet's first address, as the daemon assigns.
 */
export function gatewayOf(configs: readonly { Subnet?: string; Gateway?: string }[]): string | undefined {
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
  for (const c of configs) if (c.Gateway !== undefined && ipv4.test(c.Gateway)) return c.Gateway;
  for (const c of configs) {
    const [address, bits] = (c.Subnet ?? '').split('/');
    if (address === undefined || !ipv4.test(address) || bits === undefined) continue;
    const n = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
    const first = ((n & mask) >>> 0) + 1;
    return [24, 16, 8, 0].map((shift) => (first >>> shift) & 255).join('.');
  }
  return undefined;
}

/** One interface's counters in Docker's stats (API v1.41). */
interface DockerCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

function countersOf(networks: Record<string, DockerCounters>): Record<string, NetworkCounters> {
  const out: Record<string, NetworkCounters> = {};
  for (const [name, n] of Object.entries(networks)) {
    out[name] = {
      rxBytes: n.rx_bytes,
      rxPackets: n.rx_packets,
      rxErrors: n.rx_errors,
      rxDropped: n.rx_dropped,
      txBytes: n.tx_bytes,
      txPackets: n.tx_packets,
      txErrors: n.tx_errors,
      txDropped: n.tx_dropped,
    };
  }
  return out;
}

/** The container's own addresses on its networks (none for `host`/`none`: Docker leaves them empty). */
function addressesOf(info: Docker.ContainerInspectInfo): string[] {
  const networks = (info.NetworkSettings.Networks ?? {}) as Record<string, { IPAddress?: string }>;
  return Object.values(networks)
    .map((n) => n.IPAddress ?? '')
    .filter((ip) => ip !== '');
}

function bindingsOf(info: Docker.ContainerInspectInfo): NetworkBinding[] {
  const out: NetworkBinding[] = [];
  if (info.HostConfig.NetworkMode === 'host') {
    for (const key of Object.keys(info.Config.ExposedPorts ?? {})) {
      const [port, protocol] = key.split('/');
      out.push({
        containerPort: Number(port),
        protocol: protocolOf(protocol),
        hostPort: Number(port),
        hostIp: '0.0.0.0',
      });
    }
    return out;
  }
  const ports = (info.NetworkSettings.Ports ?? {}) as Record<
    string,
    { HostIp: string; HostPort: string }[] | null
  >;
  for (const [key, hostBindings] of Object.entries(ports)) {
    const [port, protocol] = key.split('/');
    for (const b of hostBindings ?? []) {
      out.push({
        containerPort: Number(port),
        protocol: protocolOf(protocol),
        hostPort: Number(b.HostPort),
        hostIp: b.HostIp,
      });
    }
  }
  return out;
}

function protocolOf(text: string | undefined): PortProtocol {
  return text === 'udp' ? 'udp' : 'tcp';
}

function statusOf(err: unknown): number | undefined {
  return (err as DockerodeError | undefined)?.statusCode;
}

function messageOf(err: unknown): string {
  const e = err as DockerodeError | undefined;
  return e?.json?.message ?? e?.reason ?? e?.message ?? String(err);
}

// ---- events ----

async function* readEvents(stream: Readable, signal: AbortSignal): AsyncGenerator<RuntimeEvent, undefined> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const close = (): void => {
    lines.close();
    stream.destroy();
  };
  signal.addEventListener('abort', close, { once: true });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const event = toRuntimeEvent(JSON.parse(line) as DockerEventMessage);
      if (event) yield event;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener('abort', close);
    close();
  }
  return undefined;
}

function toRuntimeEvent(msg: DockerEventMessage): RuntimeEvent | undefined {
  if (msg.Type !== 'container' || msg.Actor?.ID === undefined || msg.Action === undefined) return undefined;
  const attributes = msg.Actor.Attributes ?? {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes))
    if (!NON_LABEL_ATTRIBUTES.has(key)) labels[key] = value;
  const base = {
    runtimeId: msg.Actor.ID,
    name: attributes['name'] ?? '',
    labels,
    at:
      msg.timeNano !== undefined
        ? new Date(Math.floor(msg.timeNano / 1e6))
        : new Date((msg.time ?? 0) * 1000),
  };
  const [action, detail] = msg.Action.split(':').map((part) => part.trim());
  switch (action ?? '') {
    case 'start':
      return { ...base, type: 'start' };
    case 'die':
      return { ...base, type: 'die', exitCode: Number(attributes['exitCode'] ?? -1) };
    case 'oom':
      return { ...base, type: 'oom' };
    case 'destroy':
      return { ...base, type: 'destroy' };
    case 'health_status':
      return detail === 'healthy' || detail === 'unhealthy'
        ? { ...base, type: 'health_status', health: detail }
        : undefined;
    default:
      return undefined;
  }
}
