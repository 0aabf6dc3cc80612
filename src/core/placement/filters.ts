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
 * Feasibility checks, one small function each, in the order they run. An instance is rejected by
 * the first check it fails, and that reason is what is counted for it: cheap, status-like checks
 * come first so an instance that is both draining and full counts as draining.
 */
export interface Filter {
  readonly reason: RejectReason;
  readonly fits: (instance: InstanceSnapshot, demand: TaskDemand) => boolean;
}

export const FILTERS: readonly Filter[] = [
  { reason: 'INACTIVE', fits: (i) => i.status === 'ACTIVE' || i.status === 'DRAINING' },
  // Draining instances take no new tasks (UpdateContainerInstancesState).
  { reason: 'DRAINING', fits: (i) => i.status !== 'DRAINING' },
  { reason: 'AGENT', fits: (i) => i.agentConnected },
  { reason: 'ATTRIBUTE', fits: (i, d) => hasAttributes(i, d) },
  { reason: MEMBER_OF_UNSATISFIED, fits: (i, d) => (d.memberOf ?? []).every((q) => predicate(q)(i)) },
  {
    reason: DISTINCT_INSTANCE_UNSATISFIED,
    fits: (i, d) => d.distinctInstance !== true || (i.groupTasks ?? 0) === 0,
  },
  { reason: 'RESOURCE:CPU', fits: (i, d) => d.cpu <= i.remainingCpu },
  { reason: 'RESOURCE:MEMORY', fits: (i, d) => d.memory <= i.remainingMemory },
  { reason: 'RESOURCE:PORTS', fits: (i, d) => portsFree(i.usedTcpPorts, d.tcpPorts) },
  { reason: 'RESOURCE:PORTS_UDP', fits: (i, d) => portsFree(i.usedUdpPorts, d.udpPorts) },
];

/** The first check the instance fails, or undefined when it can take the task. */
export function rejectReason(instance: InstanceSnapshot, demand: TaskDemand): RejectReason | undefined {
  for (const f of FILTERS) if (!f.fits(instance, demand)) return f.reason;
  return undefined;
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

function portsFree(used: readonly number[], wanted: readonly number[]): boolean {
  return wanted.length === 0 || !wanted.some((p) => used.includes(p));
}
