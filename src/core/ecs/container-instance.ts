import type {
  Attribute,
  ContainerInstance,
  PlatformDevice,
  Resource,
  Tag,
  VersionInfo,
} from '@aws-sdk/client-ecs';
import { Fault, invalidParameter } from '../fault.js';
import { compileQuery, type QueryPredicate } from '../placement/query-eval.js';

/**
 * Container instances: the hosts a cluster runs tasks on. ECS's rules for their attributes, their
 * status and their resources, as pure functions; control/ecs/container-instances.ts applies them.
 */

/** ECS's statuses. A deregistered instance is INACTIVE and stays describable. */
export type ContainerInstanceStatus =
  'ACTIVE' | 'DRAINING' | 'INACTIVE' | 'REGISTERING' | 'DEREGISTERING' | 'REGISTRATION_FAILED';

/** A container instance as Berth keeps it. `version` increases by one on every write. */
export interface ContainerInstanceRecord extends ContainerInstanceDoc {
  readonly arn: string;
  /** The 32-hex id, the last part of the ARN. */
  readonly id: string;
  /** The cluster's name. */
  readonly cluster: string;
  /** The host's id (`ec2InstanceId`): from the instance identity document, or made up at registration. */
  readonly hostId: string;
  readonly status: ContainerInstanceStatus;
  readonly agentConnected: boolean;
  /** Epoch ms. */
  readonly registeredAt: number;
  readonly version: number;
}

/** The parts of an instance stored as one document. */
export interface ContainerInstanceDoc {
  readonly registeredResources: Resource[];
  readonly remainingResources: Resource[];
  readonly versionInfo: VersionInfo;
  readonly platformDevices: PlatformDevice[];
  readonly statusReason?: string;
}

/** One attribute of an instance (no value: the attribute is only a marker, e.g. a capability). */
export interface InstanceAttribute {
  readonly name: string;
  readonly value?: string;
}

export const TARGET_TYPE = 'container-instance';

/**
 * The attribute an agent registers with the address its published ports answer on
 * (BERTH_HOST_ADDRESS): where load balancers connect to its `instance` targets.
 */
export const HOST_ADDRESS_ATTRIBUTE = 'berth.host-address';

// ---------------------------------------------------------------------------------------------
// Attributes

/** ECS: names 1–128 of letters, digits, `-`, `_`, `/`, `\` and `.`. */
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_\-./\\]{1,128}$/;
/** ECS: values 1–128 of letters, digits, `-`, `_`, `.`, `@`, `/`, `\`, `:` and spaces, not at either end. */
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_\-.@/\\: ]{1,128}$/;
/** Custom attributes per instance, and attributes per PutAttributes call. */
export const MAX_CUSTOM_ATTRIBUTES = 10;

/** Names the agent reports (`ecs.os-type`, capabilities): callers other than the agent may not set them. */
export function isBuiltInAttribute(name: string): boolean {
  return name.startsWith('ecs.') || name.startsWith('com.amazonaws.ecs.');
}

export interface AttributeRules {
  /** The agent registering its host may set built-in (`ecs.*`) attributes; nobody else may. */
  readonly agent: boolean;
}

/** Checks one attribute's name and value. */
export function checkAttribute(attribute: Attribute, rules: AttributeRules): InstanceAttribute {
  const { name, value } = attribute;
  if (name === undefined || !ATTRIBUTE_NAME.test(name)) {
    throw invalidParameter(
      `Attribute name '${clip(name ?? '')}' is invalid: use 1 to 128 letters, numbers, hyphens, underscores, periods and slashes.`,
    );
  }
  if (!rules.agent && isBuiltInAttribute(name)) {
    throw invalidParameter(
      `Attribute names beginning with 'ecs.' or 'com.amazonaws.ecs.' are reserved for the container agent: '${name}'.`,
    );
  }
  if (value !== undefined) {
    if (!ATTRIBUTE_VALUE.test(value) || value.startsWith(' ') || value.endsWith(' ')) {
      throw invalidParameter(
        `The value of attribute '${name}' is invalid: use 1 to 128 letters, numbers, spaces (not at either end) and - _ . @ / \\ :.`,
      );
    }
  }
  return value === undefined ? { name } : { name, value };
}

/** Checks a registration's attributes: built-ins allowed, names unique, at most 10 custom ones. */
export function checkRegistrationAttributes(attributes: readonly Attribute[]): InstanceAttribute[] {
  const out = attributes.map((a) => checkAttribute(a, { agent: true }));
  const names = new Set(out.map((a) => a.name));
  if (names.size !== out.length) throw invalidParameter('An attribute name appears more than once.');
  checkCustomCount(out);
  return out;
}

/** At most 10 custom attributes per instance (AttributeLimitExceededException). */
export function checkCustomCount(attributes: readonly InstanceAttribute[]): void {
  const custom = attributes.filter((a) => !isBuiltInAttribute(a.name)).length;
  if (custom > MAX_CUSTOM_ATTRIBUTES) {
    throw new Fault(
      'AttributeLimitExceededException',
      `A container instance can have at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes; this would give it ${custom}.`,
    );
  }
}

/**
 * The attributes an instance has after a (re-)registration: the agent reports the built-in ones
 * afresh (a capability it lost disappears), custom ones it reports are set, and custom ones put
 * with PutAttributes are kept.
 */
export function registrationAttributes(
  current: readonly InstanceAttribute[],
  reported: readonly InstanceAttribute[],
): InstanceAttribute[] {
  const merged = new Map<string, InstanceAttribute>();
  for (const a of current) if (!isBuiltInAttribute(a.name)) merged.set(a.name, a);
  for (const a of reported) merged.set(a.name, a);
  const out = [...merged.values()];
  checkCustomCount(out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Status

/**
 * UpdateContainerInstancesState: ACTIVE ↔ DRAINING. Returns the new status, or the failure
 * reason for an instance that cannot change (deregistered, or between registration states).
 */
export function transition(
  from: ContainerInstanceStatus,
  to: string,
): { status: ContainerInstanceStatus } | { failure: string; detail: string } {
  if (to !== 'ACTIVE' && to !== 'DRAINING') {
    throw invalidParameter(
      `Container instances can be set to ACTIVE or DRAINING, not '${to}': deregister an instance to retire it.`,
    );
  }
  if (from === 'ACTIVE' || from === 'DRAINING') return { status: to };
  if (from === 'INACTIVE') {
    return { failure: 'INACTIVE', detail: 'The container instance is deregistered.' };
  }
  return { failure: from, detail: `The container instance is ${from}; try again when it is ACTIVE.` };
}

/** Statuses that count as registered in the cluster (DescribeClusters, DeleteCluster). */
export const isRegistered = (status: ContainerInstanceStatus): boolean => status !== 'INACTIVE';

// ---------------------------------------------------------------------------------------------
// Resources

const RESOURCE_TYPES = new Set(['INTEGER', 'DOUBLE', 'LONG', 'STRINGSET']);
const PORT = /^(0|[1-9]\d{0,4})$/;

/**
 * Checks the resources an agent registers and returns them in ECS's shape (every numeric member
 * present, 0 where unused). CPU and MEMORY are required INTEGERs; PORTS and PORTS_UDP are
 * STRINGSETs of port numbers (the host's reserved ports) and default to none. GPU (the host's GPU
 * ids) is a STRINGSET and ENI (how many tasks with attachments it takes) an INTEGER; placement
 * counts both when present.
 */
export function checkTotalResources(resources: readonly Resource[] | undefined): Resource[] {
  const out: Resource[] = [];
  const seen = new Set<string>();
  for (const r of resources ?? []) {
    const name = r.name ?? '';
    const type = r.type ?? '';
    if (!name) throw invalidParameter('Every resource in totalResources needs a name.');
    if (seen.has(name)) throw invalidParameter(`Resource '${clip(name)}' appears more than once.`);
    seen.add(name);
    if (!RESOURCE_TYPES.has(type)) {
      throw invalidParameter(
        `Resource '${clip(name)}' has type '${clip(type)}': use INTEGER, DOUBLE, LONG or STRINGSET.`,
      );
    }
    const wanted = EXPECTED_TYPE[name];
    if (wanted && type !== wanted)
      throw invalidParameter(`Resource '${name}' must be of type ${wanted}, not ${type}.`);
    out.push(normalized(name, type, r));
  }
  for (const required of ['CPU', 'MEMORY']) {
    if (!seen.has(required)) throw invalidParameter(`totalResources must include ${required} (an INTEGER).`);
  }
  for (const ports of ['PORTS', 'PORTS_UDP']) {
    if (!seen.has(ports)) out.push(stringSet(ports, []));
  }
  return out;
}

const EXPECTED_TYPE: Readonly<Record<string, string>> = {
  CPU: 'INTEGER',
  MEMORY: 'INTEGER',
  PORTS: 'STRINGSET',
  PORTS_UDP: 'STRINGSET',
  GPU: 'STRINGSET',
  ENI: 'INTEGER',
};

function normalized(name: string, type: string, r: Resource): Resource {
  const base = { name, type, doubleValue: 0, longValue: 0, integerValue: 0 };
  switch (type) {
    case 'INTEGER': {
      const v = r.integerValue;
      if (v === undefined || !Number.isInteger(v) || v < 0 || v > 2_147_483_647) {
        throw invalidParameter(`Resource '${name}' needs an integerValue between 0 and 2147483647.`);
      }
      return { ...base, integerValue: v };
    }
    case 'LONG': {
      const v = r.longValue;
      if (v === undefined || !Number.isSafeInteger(v) || v < 0)
        throw invalidParameter(`Resource '${name}' needs a non-negative longValue.`);
      return { ...base, longValue: v };
    }
    case 'DOUBLE': {
      const v = r.doubleValue;
      if (v === undefined || !Number.isFinite(v) || v < 0)
        throw invalidParameter(`Resource '${name}' needs a non-negative doubleValue.`);
      return { ...base, doubleValue: v };
    }
    default: {
      const values = r.stringSetValue ?? [];
      if (name === 'PORTS' || name === 'PORTS_UDP') {
        for (const p of values) {
          if (!PORT.test(p) || Number(p) > 65_535)
            throw invalidParameter(`Resource '${name}' holds '${clip(p)}', which is not a port number.`);
        }
      }
      if (new Set(values).size !== values.length)
        throw invalidParameter(`Resource '${name}' lists a value twice.`);
      return stringSet(name, values);
    }
  }
}

function stringSet(name: string, values: readonly string[]): Resource {
  return {
    name,
    type: 'STRINGSET',
    doubleValue: 0,
    longValue: 0,
    integerValue: 0,
    stringSetValue: [...values],
  };
}

/**
 * What remains of a new registration's resources: all of it (no task holds any yet). For PORTS
 * ECS lists the ports that are taken, so the reserved ports appear in both.
 */
export function initialRemaining(registered: readonly Resource[]): Resource[] {
  return registered.map((r) => ({
    ...r,
    ...(r.stringSetValue ? { stringSetValue: [...r.stringSetValue] } : {}),
  }));
}

/** Platform devices (GPUs): unique ids. */
export function checkPlatformDevices(devices: readonly PlatformDevice[] | undefined): PlatformDevice[] {
  const out = (devices ?? []).map((d) => ({ id: d.id ?? '', type: d.type! }));
  if (out.some((d) => d.id === '')) throw invalidParameter('Every platform device needs an id.');
  if (new Set(out.map((d) => d.id)).size !== out.length)
    throw invalidParameter('A platform device id appears more than once.');
  return out;
}

/**
 * The registered resources with the host's GPUs as one `GPU` STRINGSET of ids, placement's view of
 * them. The ECS agent reports GPUs as `platformDevices` (type GPU, the ids from the host's
 * nvidia-gpu-info.json); a `GPU` STRINGSET in `totalResources` is taken as well. Both together
 * count each id once, the resource's ids first.
 */
export function withPlatformGpus(
  registered: readonly Resource[],
  devices: readonly PlatformDevice[],
): Resource[] {
  const fromDevices = devices.filter((d) => d.type === 'GPU').map((d) => d.id ?? '');
  if (fromDevices.length === 0) return [...registered];
  const at = registered.findIndex((r) => r.name === 'GPU');
  const listed = at < 0 ? [] : (registered[at]?.stringSetValue ?? []);
  const gpu = stringSet('GPU', [...listed, ...fromDevices.filter((id) => !listed.includes(id))]);
  return at < 0 ? [...registered, gpu] : registered.map((r, i) => (i === at ? gpu : r));
}

// ---------------------------------------------------------------------------------------------
// Identity

/** What Berth reads from an instance identity document (EC2's JSON shape). */
export interface IdentityDocument {
  readonly instanceId?: string;
  readonly availabilityZone?: string;
  readonly instanceType?: string;
}

const HOST_ID = /^[a-zA-Z0-9._:-]{1,255}$/;

/**
 * Parses the instance identity document an agent sends (EC2's JSON: `instanceId`,
 * `availabilityZone`, `instanceType`, …). Its signature is not checked: there is no EC2 to vouch
 * for it; the caller's credentials are what authenticate the agent.
 */
export function parseIdentityDocument(text: string | undefined): IdentityDocument {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidParameter('instanceIdentityDocument must be a JSON document (EC2 instance identity).');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidParameter('instanceIdentityDocument must be a JSON object.');
  }
  const doc = parsed as Record<string, unknown>;
  const out: { -readonly [K in keyof IdentityDocument]: string } = {};
  for (const key of ['instanceId', 'availabilityZone', 'instanceType'] as const) {
    const value = doc[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || !HOST_ID.test(value)) {
      throw invalidParameter(`instanceIdentityDocument.${key} is invalid.`);
    }
    out[key] = value;
  }
  return out;
}

/** Built-in attributes the identity document implies, unless the agent reported them itself. */
export function identityAttributes(
  doc: IdentityDocument,
  reported: readonly InstanceAttribute[],
): InstanceAttribute[] {
  const has = new Set(reported.map((a) => a.name));
  const out = [...reported];
  if (doc.availabilityZone && !has.has('ecs.availability-zone'))
    out.push({ name: 'ecs.availability-zone', value: doc.availabilityZone });
  if (doc.instanceType && !has.has('ecs.instance-type'))
    out.push({ name: 'ecs.instance-type', value: doc.instanceType });
  return out;
}

// ---------------------------------------------------------------------------------------------
// ListContainerInstances' filter

/**
 * ListContainerInstances' `filter`: an expression of ECS's cluster query language
 * (core/placement/query-*), compiled once and tested against each instance's query view. A bad
 * expression is an InvalidParameterException that points at the offending character; an empty one
 * filters nothing.
 */
export function parseInstanceFilter(expression: string | undefined): QueryPredicate | undefined {
  if (expression === undefined || expression.trim() === '') return undefined;
  return compileQuery(expression);
}

// ---------------------------------------------------------------------------------------------
// The API shape

export interface InstanceViewOptions {
  /** Present when DescribeContainerInstances' `include` has TAGS. */
  readonly tags?: readonly Tag[];
  /** DescribeContainerInstances' `include` has CONTAINER_INSTANCE_HEALTH. */
  readonly health?: boolean;
  /** Tasks on the instance that are not STOPPED, pending (before RUNNING) and running. */
  readonly runningTasksCount?: number;
  readonly pendingTasksCount?: number;
}

export function containerInstanceView(
  record: ContainerInstanceRecord,
  attributes: readonly InstanceAttribute[],
  options: InstanceViewOptions = {},
): ContainerInstance {
  return {
    containerInstanceArn: record.arn,
    ec2InstanceId: record.hostId,
    version: record.version,
    versionInfo: record.versionInfo,
    remainingResources: record.remainingResources,
    registeredResources: record.registeredResources,
    status: record.status,
    ...(record.statusReason ? { statusReason: record.statusReason } : {}),
    agentConnected: record.agentConnected,
    runningTasksCount: options.runningTasksCount ?? 0,
    pendingTasksCount: options.pendingTasksCount ?? 0,
    attributes: attributes.map((a) => (a.value === undefined ? { name: a.name } : { ...a })),
    registeredAt: new Date(record.registeredAt),
    attachments: [],
    tags: options.tags ? options.tags.map((t) => ({ ...t })) : [],
    ...(options.health ? { healthStatus: { overallStatus: 'INSUFFICIENT_DATA', details: [] } } : {}),
  };
}

const clip = (s: string): string => (s.length > 64 ? s.slice(0, 64) + '…' : s);
