import type { PreparedCluster } from './prepared.js';
import { compileQuery, type QueryPredicate } from './query-eval.js';
import { formatQuery, type QueryNode } from './query-syntax.js';
import {
  DISTINCT_INSTANCE_UNSATISFIED,
  MEMBER_OF_UNSATISFIED,
  type InstanceSnapshot,
  type RejectReason,
  type RequiredAttribute,
  type TaskDemand,
} from './types.js';

/**
 * The feasibility checks, in the order they run. An instance is rejected by the first check it
 * fails, and that reason is what is counted for it: cheap, status-like checks come first so an
 * instance that is both draining and full counts as draining.
 */
export const CHECK_ORDER: readonly RejectReason[] = [
  'INACTIVE',
  'DRAINING',
  'AGENT',
  'ATTRIBUTE',
  MEMBER_OF_UNSATISFIED,
  DISTINCT_INSTANCE_UNSATISFIED,
  'RESOURCE:GPU',
  'RESOURCE:CPU',
  'RESOURCE:MEMORY',
  'RESOURCE:PORTS',
  'RESOURCE:PORTS_UDP',
  'RESOURCE:ENI',
];

/** The first check the instance fails, or undefined when it can take the task. */
export function rejectReason(instance: InstanceSnapshot, demand: TaskDemand): RejectReason | undefined {
  return feasibility(demand)(instance);
}

/**
 * The checks of CHECK_ORDER for one demand, as one function: the placement engine runs it on
 * every instance of every call, so it is written out in line (a list of small check functions
 * called in a loop cost ~9× as much) and skips what the demand cannot fail (no static ports: no
 * port checks).
 */
export function feasibility(demand: TaskDemand): (instance: InstanceSnapshot) => RejectReason | undefined {
  const attributes = demand.requiredAttributes.length > 0;
  const memberOf = (demand.memberOf ?? []).map(predicate);
  const distinct = demand.distinctInstance === true;
  const gpus = demand.gpus ?? 0;
  const tcp = demand.tcpPorts.length > 0;
  const udp = demand.udpPorts.length > 0;
  const attachments = demand.attachments ?? 0;
  return (i) => {
    if (i.status !== 'ACTIVE' && i.status !== 'DRAINING') return 'INACTIVE';
    // Draining instances take no new tasks (UpdateContainerInstancesState).
    if (i.status === 'DRAINING') return 'DRAINING';
    if (!i.agentConnected) return 'AGENT';
    if (attributes && !hasAttributes(i, demand.requiredAttributes)) return 'ATTRIBUTE';
    if (memberOf.length > 0 && !memberOf.every((p) => p(i))) return MEMBER_OF_UNSATISFIED;
    if (distinct && (i.groupTasks ?? 0) > 0) return DISTINCT_INSTANCE_UNSATISFIED;
    // GPUs before CPU and memory: an instance without enough free GPUs cannot take a GPU task
    // however much else it has, so a mixed cluster's other hosts are counted as what they lack.
    if (gpus > (i.gpuIds?.length ?? 0)) return 'RESOURCE:GPU';
    if (demand.cpu > i.remainingCpu) return 'RESOURCE:CPU';
    if (demand.memory > i.remainingMemory) return 'RESOURCE:MEMORY';
    if (tcp && !portsFree(i.usedTcpPorts, demand.tcpPorts)) return 'RESOURCE:PORTS';
    if (udp && !portsFree(i.usedUdpPorts, demand.udpPorts)) return 'RESOURCE:PORTS_UDP';
    if (attachments > 0 && !attachmentsFree(i, attachments)) return 'RESOURCE:ENI';
    return undefined;
  };
}

/** A reason's code in the engine's columns: its index in CHECK_ORDER + 1; 0 is "feasible". */
export function reasonCode(reason: RejectReason): number {
  return CHECK_ORDER.indexOf(reason) + 1;
}

const ATTRIBUTE = reasonCode('ATTRIBUTE');
const MEMBER_OF = reasonCode(MEMBER_OF_UNSATISFIED);
const DISTINCT = reasonCode(DISTINCT_INSTANCE_UNSATISFIED);
const GPU = reasonCode('RESOURCE:GPU');
const CPU = reasonCode('RESOURCE:CPU');
const MEMORY = reasonCode('RESOURCE:MEMORY');
const PORTS = reasonCode('RESOURCE:PORTS');
const PORTS_UDP = reasonCode('RESOURCE:PORTS_UDP');
const ENI = reasonCode('RESOURCE:ENI');

/**
 * `feasibility` over a prepared cluster's columns: the same checks in the same order, giving the
 * reason's code (`reasonCode`) for the instance at an index. The status checks were done when the
 * instance was prepared; required attributes and `memberOf` are per-instance bits the prepared
 * cluster keeps per expression (they read nothing a placement changes); CPU, memory and the
 * group's tasks are columns; ports, GPUs and attachments, which few demands ask for, are read
 * from the instance itself (`instances`, the cluster's rows).
 */
export function columnFeasibility(
  demand: TaskDemand,
  cluster: PreparedCluster,
  instances: readonly InstanceSnapshot[],
): (index: number) => number {
  const { status, cpu, memory, groupTasks } = cluster;
  const required = demand.requiredAttributes;
  const attributes =
    required.length > 0
      ? cluster.filter(attributesKey(required), (i) => hasAttributes(i, required))
      : undefined;
  const memberOf = (demand.memberOf ?? []).map((q) =>
    cluster.filter(`memberOf:${queryKey(q)}`, predicate(q)),
  );
  const distinct = demand.distinctInstance === true;
  const gpus = demand.gpus ?? 0;
  const tcp = demand.tcpPorts.length > 0;
  const udp = demand.udpPorts.length > 0;
  const attachments = demand.attachments ?? 0;
  return (index) => {
    const s = status[index] as number;
    if (s !== 0) return s;
    if (attributes !== undefined && attributes[index] === 0) return ATTRIBUTE;
    for (const bits of memberOf) if (bits[index] === 0) return MEMBER_OF;
    if (distinct && (groupTasks[index] as number) > 0) return DISTINCT;
    if (gpus > 0 && gpus > ((instances[index] as InstanceSnapshot).gpuIds?.length ?? 0)) return GPU;
    if (demand.cpu > (cpu[index] as number)) return CPU;
    if (demand.memory > (memory[index] as number)) return MEMORY;
    const i = instances[index] as InstanceSnapshot;
    if (tcp && !portsFree(i.usedTcpPorts, demand.tcpPorts)) return PORTS;
    if (udp && !portsFree(i.usedUdpPorts, demand.udpPorts)) return PORTS_UDP;
    if (attachments > 0 && !attachmentsFree(i, attachments)) return ENI;
    return 0;
  };
}

/**
 * Names everything of a demand that `columnFeasibility` reads: equal keys, equal verdicts. Kept
 * per demand object (demands are readonly), since callers that place often reuse theirs.
 */
export function demandKey(demand: TaskDemand): string {
  let key = demandKeys.get(demand);
  if (key === undefined) demandKeys.set(demand, (key = printDemand(demand)));
  return key;
}

const demandKeys = new WeakMap<TaskDemand, string>();

function printDemand(demand: TaskDemand): string {
  return JSON.stringify([
    demand.cpu,
    demand.memory,
    demand.tcpPorts,
    demand.udpPorts,
    demand.gpus ?? 0,
    demand.attachments ?? 0,
    demand.distinctInstance === true,
    attributesKey(demand.requiredAttributes),
    (demand.memberOf ?? []).map(queryKey),
  ]);
}

function attributesKey(required: readonly RequiredAttribute[]): string {
  return `attributes:${JSON.stringify(required.map((a) => [a.name, a.value ?? null]))}`;
}

function hasAttributes(instance: InstanceSnapshot, required: readonly RequiredAttribute[]): boolean {
  return required.every((a) => {
    const have = instance.attributes[a.name];
    return have !== undefined && (a.value === undefined || a.value === have);
  });
}

/** Each expression is compiled (and printed, for its cache key) once, however often it is used. */
const compiled = new WeakMap<QueryNode, QueryPredicate>();
const keys = new WeakMap<QueryNode, string>();

function predicate(query: QueryNode): QueryPredicate {
  let p = compiled.get(query);
  if (p === undefined) compiled.set(query, (p = compileQuery(query)));
  return p;
}

/** The expression's text: equal texts are equal expressions, whichever call parsed them. */
function queryKey(query: QueryNode): string {
  let k = keys.get(query);
  if (k === undefined) keys.set(query, (k = formatQuery(query)));
  return k;
}
/** An instance that registered no `ENI` limit takes any number of tasks with attachments. */
function attachmentsFree(instance: InstanceSnapshot, wanted: number): boolean {
  return (
    wanted === 0 || instance.remainingAttachments === undefined || wanted <= instance.remainingAttachments
  );
}

function portsFree(used: readonly number[], wanted: readonly number[]): boolean {
  return wanted.length === 0 || !wanted.some((p) => used.includes(p));
}
