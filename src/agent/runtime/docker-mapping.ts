import type Docker from 'dockerode';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type {
  ContainerSpec,
  HealthStatus,
  Mount,
  NetworkBinding,
  NetworkCounters,
  PortProtocol,
  PresentContainerState,
  RuntimeEvent,
} from './runtime.js';

/**
 * The translation between the Runtime port's types and the Docker Engine API's JSON (v1.41), with
 * no I/O: `toCreateOptions` (ContainerSpec → Config + HostConfig, exact), `fromInspect`, Docker's
 * stats counters and bridge gateway, and the event stream's lines as `RuntimeEvent`s.
 */

const MiB = 1024 * 1024;
const NS_PER_S = 1e9;
/** Docker's zero time: a container that never started or never finished. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

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

/** `name` → `name:latest`, as Docker would otherwise pull every tag. */
export function normalizeRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

export function repoDigest(repoDigests: readonly string[] | undefined): string | undefined {
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
    ...(spec.volumesFrom?.length
      ? {
          VolumesFrom: spec.volumesFrom.map((v) =>
            v.readOnly === undefined ? v.container : `${v.container}:${v.readOnly ? 'ro' : 'rw'}`,
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

export function statusFromDocker(state: string | undefined): PresentContainerState['status'] {
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

export function fromInspect(
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
    mounts: mountsOf(info),
    labels: { ...info.Config.Labels },
    ...(error ? { error } : {}),
  };
}

/** Docker's `Mounts` (bind and volume ones) as the port's `Mount`s. */
function mountsOf(info: Docker.ContainerInspectInfo): Mount[] {
  const out: Mount[] = [];
  for (const m of info.Mounts as {
    Type?: string;
    Name?: string;
    Source?: string;
    Destination?: string;
    RW?: boolean;
  }[]) {
    const target = m.Destination ?? '';
    const readOnly = m.RW === false;
    if (m.Type === 'volume') out.push({ type: 'volume', name: m.Name ?? '', target, readOnly });
    else if (m.Type === 'bind') out.push({ type: 'bind', source: m.Source ?? '', target, readOnly });
  }
  return out;
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
export interface DockerCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

export function countersOf(networks: Record<string, DockerCounters>): Record<string, NetworkCounters> {
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
// ---- events ----

export async function* readEvents(
  stream: Readable,
  signal: AbortSignal,
): AsyncGenerator<RuntimeEvent, undefined> {
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
