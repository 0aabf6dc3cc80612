import { randomUUID } from 'node:crypto';
import type { ServiceRecord } from '../../core/ecs/service.js';
import { nextTaskState, type TaskEvent } from '../../core/ecs/task-lifecycle.js';
import type { TaskRecord } from '../../core/ecs/task.js';
import { isPresent } from '../../core/elbv2/targets.js';
import {
  planTargets,
  taskTargetHealth,
  type RegisteredTarget,
  type ServiceTargetGroup,
  type TargetKey,
  type TargetTask,
} from '../../core/services/targets.js';
import type { TargetHealthState } from '../../core/services/types.js';
import type { Repositories } from '../../store/index.js';
import type { ControlDeps } from '../context.js';
import { deregisterTargetsIn, registerTargetsIn } from '../elbv2/targets.js';
import { LostRace } from '../ecs/task-launch.js';
import { writeTaskChange } from '../ecs/tasks.js';

/**
 * A load-balanced service's side of the ELB integration, run by the service scheduler before each
 * reconcile: registers the tasks that came up, deregisters (drains) the ones leaving, moves them
 * ACTIVATING → RUNNING and DEACTIVATING → STOPPING (core/services/targets.ts decides), and tells
 * the scheduler each task's target health. One transaction per change, with the service's version
 * check for its events.
 */
export interface ServiceTargets {
  /** Something was written: the caller re-reads the service and its tasks. */
  readonly changed: boolean;
  /** Each task's target health (worst over its groups), for the tasks that have targets. */
  readonly health: ReadonlyMap<
    string,
    { readonly targetGroupArn: string; readonly state: TargetHealthState }
  >;
}

const NOTHING: ServiceTargets = { changed: false, health: new Map() };

export async function syncServiceTargets(
  deps: ControlDeps,
  service: ServiceRecord,
  records: readonly TaskRecord[],
): Promise<ServiceTargets> {
  const groups: ServiceTargetGroup[] = service.loadBalancers.map((lb) => ({
    targetGroupArn: lb.targetGroupArn ?? '',
    containerName: lb.containerName ?? '',
    containerPort: lb.containerPort ?? 0,
  }));
  if (groups.length === 0) return NOTHING;
  const now = deps.now();
  const tasks = await targetTasks(deps, records);
  const registered: RegisteredTarget[] = (
    await deps.store.loadBalancing.targets([...new Set(groups.map((g) => g.targetGroupArn))])
  )
    .filter((t) => isPresent(t, now))
    .map((t) => ({
      targetGroupArn: t.targetGroupArn,
      id: t.id,
      port: t.port,
      draining: t.deregisteredAt !== undefined,
      ...(t.health !== undefined ? { health: t.health.state } : {}),
    }));
  const health = new Map<string, { targetGroupArn: string; state: TargetHealthState }>();
  for (const task of tasks) {
    const h = taskTargetHealth(task, groups, registered);
    if (h !== undefined) health.set(task.arn, h);
  }
  const plan = planTargets({ serviceName: service.name, groups, tasks, registered });
  const idle =
    plan.register.length + plan.deregister.length + plan.activate.length + plan.deactivate.length === 0;
  if (idle) return { changed: false, health };

  const woken = await deps.store.transaction(async (repos) => {
    for (const [group, keys] of byGroup(plan.register)) {
      await registerTargetsIn(repos, group, keys, now);
    }
    for (const [group, keys] of byGroup(plan.deregister)) {
      await deregisterTargetsIn(repos, group, keys, now, { strict: false });
    }
    const touched: string[] = [];
    for (const arn of plan.activate) await advance(repos, arn, { kind: 'activated' }, now);
    for (const arn of plan.deactivate) {
      const written = await advance(repos, arn, { kind: 'deactivated' }, now);
      if (written) touched.push(written.containerInstanceArn);
    }
    if (plan.events.length > 0) await addEvents(repos, service, plan.events, now);
    return touched;
  });
  // A deactivated task's agent now has to stop it.
  for (const arn of woken) deps.notifier?.signal(arn);
  return { changed: true, health };
}

/** The tasks with their instances' ids (the target id of an `instance` group). */
async function targetTasks(deps: ControlDeps, records: readonly TaskRecord[]): Promise<TargetTask[]> {
  const instances = await deps.store.containerInstances.byArns(records.map((r) => r.containerInstanceArn));
  const hostIds = new Map(instances.map((i) => [i.arn, i.hostId]));
  return records.map((r) => {
    const hostId = hostIds.get(r.containerInstanceArn);
    return {
      arn: r.arn,
      lastStatus: r.state.lastStatus,
      desiredStatus: r.state.desiredStatus,
      ...(hostId !== undefined ? { hostId } : {}),
      containers: r.containers.map((c) => ({
        name: c.name,
        ...(c.networkBindings !== undefined ? { networkBindings: c.networkBindings } : {}),
      })),
    };
  });
}

function byGroup(keys: readonly TargetKey[]): Map<string, { Id: string; Port: number }[]> {
  const out = new Map<string, { Id: string; Port: number }[]>();
  for (const k of keys) {
    const list = out.get(k.targetGroupArn) ?? [];
    list.push({ Id: k.id, Port: k.port });
    out.set(k.targetGroupArn, list);
  }
  return out;
}

/** Applies a control-plane lifecycle event to a task; the task as written, if it changed. */
async function advance(
  repos: Repositories,
  arn: string,
  event: TaskEvent,
  now: number,
): Promise<TaskRecord | undefined> {
  const current = await repos.tasks.byArn(arn);
  if (current === undefined) return undefined;
  const state = nextTaskState(current.state, event, now);
  if (state === current.state) return undefined;
  return writeTaskChange(repos, current, { state, containers: current.containers });
}

async function addEvents(
  repos: Repositories,
  service: ServiceRecord,
  messages: readonly string[],
  now: number,
): Promise<void> {
  const current = await repos.services.byName(service.cluster, service.name);
  if (current === undefined) throw new LostRace();
  const events = messages.map((message) => ({ id: randomUUID(), createdAt: now, message }));
  const next: ServiceRecord = {
    ...current,
    events: [...events.reverse(), ...current.events].slice(0, 100),
    version: current.version + 1,
  };
  if (!(await repos.services.update(next))) throw new LostRace();
}
