import type { ServiceRecord } from '../../core/ecs/service.js';
import type { TaskRecord } from '../../core/ecs/task.js';
import { stopOrder, type StopCandidate } from '../../core/placement/stop-order.js';
import { defaultStopOrder, type StopRanker } from '../../core/services/stop-order.js';
import type { ServiceTask } from '../../core/services/types.js';
import type { InstanceSnapshot } from '../../core/placement/types.js';
import { schedulerDeployment } from './input.js';

/**
 * The order a service's tasks stop in when the scheduler stops some of several: first as the
 * scheduler's default has it (the oldest deployment's tasks, then those not yet RUNNING), and
 * among tasks equal on that, by the service's placement strategies run backwards
 * (core/placement/stop-order.ts) on `snapshot`, the cluster as placement sees it for the service's
 * group.
 */
export function stopRanker(
  service: ServiceRecord,
  snapshot: readonly InstanceSnapshot[],
  records: readonly TaskRecord[],
): StopRanker {
  const base = defaultStopOrder(service.deployments.map(schedulerDeployment));
  const instances = new Map(snapshot.map((i) => [i.id, i]));
  const byArn = new Map(records.map((r) => [r.arn, r]));
  const candidate = (t: ServiceTask): StopCandidate | undefined => {
    const record = byArn.get(t.arn);
    const instance = record && instances.get(record.containerInstanceArn);
    return record && instance
      ? { taskArn: t.arn, instance, cpu: record.demand.cpu, memory: record.demand.memory }
      : undefined;
  };
  return (candidates) => {
    const ordered = base(candidates);
    const out: ServiceTask[] = [];
    // Runs of tasks the default order ranks equal (same deployment, same RUNNING-or-not).
    for (let start = 0; start < ordered.length;) {
      const first = ordered[start] as ServiceTask;
      let end = start + 1;
      while (end < ordered.length && sameRank(ordered[end] as ServiceTask, first)) end++;
      out.push(...byStrategy(ordered.slice(start, end)));
      start = end;
    }
    return out;
  };

  function byStrategy(tasks: readonly ServiceTask[]): readonly ServiceTask[] {
    const candidates = tasks.map(candidate);
    if (tasks.length < 2 || candidates.some((c) => c === undefined)) return tasks;
    const order = stopOrder(candidates as StopCandidate[], service.placementStrategy, service.arn);
    const byTask = new Map(tasks.map((t) => [t.arn, t]));
    return order.map((arn) => byTask.get(arn) as ServiceTask);
  }
}

function sameRank(a: ServiceTask, b: ServiceTask): boolean {
  return a.deploymentId === b.deploymentId && (a.lastStatus === 'RUNNING') === (b.lastStatus === 'RUNNING');
}
