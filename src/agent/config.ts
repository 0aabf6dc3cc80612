import { isIPv4 } from 'node:net';
import type { PullBehavior } from './runtime/runtime.js';

/**
 * The agent's settings, read from the variables the ECS agent uses (so an ecs.config written for
 * ECS works here) plus a few of Berth's own for what EC2 would otherwise tell the agent.
 */
export interface AgentConfig {
  readonly cluster: string;
  /** MiB of the host's memory kept back from tasks (ECS_RESERVED_MEMORY). */
  readonly reservedMemoryMiB: number;
  readonly reservedPorts: readonly number[];
  readonly reservedPortsUdp: readonly number[];
  readonly disablePrivileged: boolean;
  readonly containerStopTimeoutSeconds: number;
  readonly imagePullBehavior: PullBehavior;
  readonly taskCleanupWaitSeconds: number;
  /** Custom attributes (ECS_INSTANCE_ATTRIBUTES, a JSON object of name → value). */
  readonly instanceAttributes: Readonly<Record<string, string>>;
  readonly availabilityZone: string;
  readonly instanceType: string;
  /**
   * Port of the task metadata endpoint (BERTH_TASK_METADATA_PORT), on 127.0.0.1 and the Docker
   * bridge gateway; 0 (default): the port this data dir used last, else a free one.
   */
  readonly taskMetadataPort: number;
  /**
   * The host's GPU ids, registered as its `GPU` resource: BERTH_GPU_IDS (comma-separated, e.g. the
   * UUIDs `nvidia-smi --query-gpu=uuid --format=csv,noheader` prints), read only when
   * ECS_ENABLE_GPU_SUPPORT=true as the ECS agent reads its GPU file. Empty: no GPUs.
   */
  readonly gpuIds: readonly string[];
  /**
   * How many tasks with attachments (awsvpc ENIs) the host takes (BERTH_TASK_ENI_LIMIT), registered
   * as its `ENI` resource. Absent: no limit is registered.
   */
  readonly taskEniLimit?: number;
  /**
   * The IPv4 address other hosts reach this one on (BERTH_HOST_ADDRESS): containers' published
   * ports bind there, and it is registered as the attribute `berth.host-address`, where load
   * balancers connect to this host's `instance` targets. Absent: ports bind on 127.0.0.1, reachable
   * from this host only (one-machine setups such as `berth up`).
   */
  readonly hostAddress?: string;
}

/** The ports ECS reserves on every container instance: SSH, the Docker daemon, the agent. */
export const ECS_RESERVED_PORTS: readonly number[] = [22, 2375, 2376, 51678, 51679];

const PULL_BEHAVIORS: Readonly<Record<string, PullBehavior>> = {
  default: 'default',
  always: 'always',
  once: 'once',
  'prefer-cached': 'prefer-cached',
};

export function agentConfig(env: Readonly<Record<string, string | undefined>>): AgentConfig {
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const pull = value('ECS_IMAGE_PULL_BEHAVIOR') ?? 'default';
  const imagePullBehavior = PULL_BEHAVIORS[pull];
  if (!imagePullBehavior) {
    throw new Error(
      `ECS_IMAGE_PULL_BEHAVIOR must be one of ${Object.keys(PULL_BEHAVIORS).join(', ')}, not '${pull}'.`,
    );
  }
  return {
    cluster: value('ECS_CLUSTER') ?? 'default',
    reservedMemoryMiB: integer('ECS_RESERVED_MEMORY', value('ECS_RESERVED_MEMORY'), 0),
    reservedPorts: ports('ECS_RESERVED_PORTS', value('ECS_RESERVED_PORTS'), ECS_RESERVED_PORTS),
    reservedPortsUdp: ports('ECS_RESERVED_PORTS_UDP', value('ECS_RESERVED_PORTS_UDP'), []),
    disablePrivileged: value('ECS_DISABLE_PRIVILEGED') === 'true',
    containerStopTimeoutSeconds: duration(
      'ECS_CONTAINER_STOP_TIMEOUT',
      value('ECS_CONTAINER_STOP_TIMEOUT'),
      30,
    ),
    imagePullBehavior,
    taskCleanupWaitSeconds: duration(
      'ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION',
      value('ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION'),
      3 * 3600,
    ),
    instanceAttributes: attributes(value('ECS_INSTANCE_ATTRIBUTES')),
    availabilityZone: value('BERTH_AVAILABILITY_ZONE') ?? 'local-1a',
    instanceType: value('BERTH_INSTANCE_TYPE') ?? 'berth.host',
    taskMetadataPort: port('BERTH_TASK_METADATA_PORT', value('BERTH_TASK_METADATA_PORT')),
    gpuIds: gpuIds(value('ECS_ENABLE_GPU_SUPPORT') === 'true', value('BERTH_GPU_IDS')),
    ...eniLimit(value('BERTH_TASK_ENI_LIMIT')),
    ...hostAddress(value('BERTH_HOST_ADDRESS')),
  };
}

/**
 * The ECS agent finds GPU ids in a file its installer writes from NVIDIA's driver; Berth has no
 * such installer, so they are configured. Either setting without the other is refused rather than
 * ignored: a GPU host that registers no GPUs would only show up later, as RESOURCE:GPU.
 */
function gpuIds(enabled: boolean, text: string | undefined): string[] {
  if (!enabled) {
    if (text !== undefined)
      throw new Error('BERTH_GPU_IDS is set but ECS_ENABLE_GPU_SUPPORT is not true: set both, or neither.');
    return [];
  }
  if (text === undefined) {
    throw new Error(
      "ECS_ENABLE_GPU_SUPPORT=true needs BERTH_GPU_IDS, the host's GPU ids separated by commas (nvidia-smi --query-gpu=uuid --format=csv,noheader).",
    );
  }
  const ids = text.split(',').map((id) => id.trim());
  if (ids.some((id) => !/^[a-zA-Z0-9._:-]{1,128}$/.test(id)))
    throw new Error(
      `BERTH_GPU_IDS must list GPU ids (letters, digits, . _ : -) separated by commas, not '${text}'.`,
    );
  if (new Set(ids).size !== ids.length) throw new Error(`BERTH_GPU_IDS lists an id twice: '${text}'.`);
  return ids;
}

function eniLimit(text: string | undefined): { taskEniLimit?: number } {
  return text === undefined ? {} : { taskEniLimit: integer('BERTH_TASK_ENI_LIMIT', text, 0) };
}

function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not '${text}'.`);
  return n;
}

function port(name: string, text: string | undefined): number {
  const n = integer(name, text, 0);
  if (n > 65535) throw new Error(`${name} must be a port from 0 to 65535, not '${text}'.`);
  return n;
}

function ports(name: string, text: string | undefined, fallback: readonly number[]): number[] {
  if (text === undefined) return [...fallback];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${name} must be a JSON list of ports, e.g. [22, 2375], not '${text}'.`);
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => Number.isInteger(p) && p > 0 && p <= 65535)) {
    throw new Error(`${name} must be a JSON list of ports from 1 to 65535.`);
  }
  return parsed as number[];
}

/** Go-style durations as the ECS agent takes them: "30s", "1m30s", "3h"; a bare number is seconds. */
export function duration(name: string, text: string | undefined, fallbackSeconds: number): number {
  if (text === undefined) return fallbackSeconds;
  if (/^\d+$/.test(text)) return Number(text);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!match?.[1] || !match[2])
      throw new Error(`${name} must be a duration like 30s, 5m or 3h, not '${text}'.`);
    total += Number(match[1]) * (units[match[2]] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return total;
}

function attributes(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`ECS_INSTANCE_ATTRIBUTES must be a JSON object of name → value, e.g. {"stack": "prod"}.`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('ECS_INSTANCE_ATTRIBUTES must be a JSON object of name → value.');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string')
      throw new Error(`ECS_INSTANCE_ATTRIBUTES: the value of '${k}' must be a string.`);
    out[k] = v;
  }
  return out;
}

function hostAddress(text: string | undefined): { hostAddress?: string } {
  if (text === undefined) return {};
  if (!isIPv4(text)) throw new Error(`BERTH_HOST_ADDRESS must be an IPv4 address, not '${text}'.`);
  return { hostAddress: text };
}
