import { compileQuery, type QueryPredicate } from './query-eval.js';
import type { QueryNode } from './query-syntax.js';
import {
  DISTINCT_INSTANCE_UNSATISFIED,
  MEMBER_OF_UNSATISFIED,
  type InstanceSnapshot,
  type RejectReason,
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
    if (attributes && !hasAttributes(i, demand)) return 'ATTRIBUTE';
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

function hasAttributes(instance: InstanceSnapshot, demand: TaskDemand): boolean {
  return demand.requiredAttributes.every((a) => {
    const have = instance.attributes[a.name];
    return have !== undefined && (a.value === undefined || a.value === have);
  });
}

/** Each expression is compiled once, however many instances and tasks it is tested on. */
const compiled = new WeakMap<QueryNode, QueryPredicate>();

function predicate(query: QueryNode): QueryPredicate {
  let p = compiled.get(query);
  if (p === undefined) compiled.set(query, (p = compileQuery(query)));
  return p;
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
