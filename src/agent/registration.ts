import type { Attribute, RegisterContainerInstanceCommandInput } from '@aws-sdk/client-ecs';
import { HOST_ADDRESS_ATTRIBUTE } from '../core/ecs/container-instance.js';
import type { AgentConfig } from './config.js';

/** What the agent knows about its host (read once at start by the composition root). */
export interface HostFacts {
  /** CPU units: 1,024 per core, as the ECS agent counts them (a simulated host may give any number). */
  readonly cpuUnits: number;
  readonly memoryMiB: number;
  /** ECS's spelling: `x86_64` or `arm64`. */
  readonly cpuArchitecture: string;
  readonly engineVersion: string;
}

export const AGENT_VERSION = '0.1.0';

/**
 * The capabilities this agent advertises. Placement only puts a task on an instance that has every
 * attribute the task definition `requiresAttributes`, so only what the agent really does is listed.
 */
function capabilities(config: AgentConfig): string[] {
  const docker = Array.from(
    { length: 41 - 17 + 1 },
    (_, i) => `com.amazonaws.ecs.capability.docker-remote-api.1.${17 + i}`,
  );
  return [
    ...docker,
    ...['json-file', 'syslog', 'journald', 'none'].map(
      (d) => `com.amazonaws.ecs.capability.logging-driver.${d}`,
    ),
    ...(config.disablePrivileged ? [] : ['com.amazonaws.ecs.capability.privileged-container']),
    'ecs.capability.container-health-check',
    'ecs.capability.container-ordering',
  ];
}

/**
 * RegisterContainerInstance as the ECS agent sends it: the host's CPU units, memory less the
 * reservation, the reserved ports, its GPUs (a `GPU` STRINGSET and, as the ECS agent reports them,
 * `platformDevices`), its `ENI` limit when one is set, built-in attributes and capabilities,
 * custom attributes.
 * `hostId` identifies this host across restarts (kept in the agent's data dir).
 */
export function registrationRequest(
  config: AgentConfig,
  host: HostFacts,
  hostId: string,
  containerInstanceArn?: string,
): RegisterContainerInstanceCommandInput {
  const attributes: Attribute[] = [
    { name: 'ecs.os-type', value: 'linux' },
    { name: 'ecs.cpu-architecture', value: host.cpuArchitecture },
    { name: 'ecs.instance-type', value: config.instanceType },
    { name: 'ecs.availability-zone', value: config.availabilityZone },
    ...capabilities(config).map((name) => ({ name })),
    ...Object.entries(config.instanceAttributes).map(([name, value]) => ({ name, value })),
    ...(config.hostAddress !== undefined
      ? [{ name: HOST_ADDRESS_ATTRIBUTE, value: config.hostAddress }]
      : []),
  ];
  return {
    cluster: config.cluster,
    instanceIdentityDocument: JSON.stringify({
      instanceId: hostId,
      availabilityZone: config.availabilityZone,
      instanceType: config.instanceType,
    }),
    totalResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: host.cpuUnits },
      {
        name: 'MEMORY',
        type: 'INTEGER',
        integerValue: Math.max(0, host.memoryMiB - config.reservedMemoryMiB),
      },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: config.reservedPorts.map(String) },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: config.reservedPortsUdp.map(String) },
      ...(config.gpuIds.length > 0
        ? [{ name: 'GPU', type: 'STRINGSET', stringSetValue: [...config.gpuIds] }]
        : []),
      ...(config.taskEniLimit !== undefined
        ? [{ name: 'ENI', type: 'INTEGER', integerValue: config.taskEniLimit }]
        : []),
    ],
    // As the ECS agent reports its GPUs; the control plane counts each id once with the resource's.
    ...(config.gpuIds.length > 0
      ? { platformDevices: config.gpuIds.map((id) => ({ id, type: 'GPU' as const })) }
      : {}),
    versionInfo: { agentVersion: AGENT_VERSION, agentHash: 'berth', dockerVersion: host.engineVersion },
    attributes,
    ...(containerInstanceArn ? { containerInstanceArn } : {}),
  };
}
