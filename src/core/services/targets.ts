import type { TaskStatus } from '../ecs/task-lifecycle.js';
import type { TargetHealthState } from './types.js';

/**
 * Which of a load-balanced service's tasks are registered with its target groups — ECS's part of
 * the load balancer integration, as one pure decision per run:
 * - a task whose essential containers are up (ACTIVATING) gets one target per `loadBalancers`
 *   entry — its instance's id and the host port its container port is published on — and is then
 *   `activated` (RUNNING), as ECS registers before it counts a task RUNNING;
 * - a task leaving (DEACTIVATING, or stopped without it) has its targets deregistered, so the load
 *   balancer drains them; once none of them is still draining the task is `deactivated` and its
 *   agent stops it. A requested stop therefore waits out the group's deregistration delay.
 * A target shared by a leaving task and a live one (the same host port reused) stays registered.
 */

/** A service's `loadBalancers` entry. */
export interface ServiceTargetGroup {
  readonly targetGroupArn: string;
  readonly containerName: string;
  readonly containerPort: number;
}

export interface TargetTask {
  readonly arn: string;
  readonly lastStatus: TaskStatus;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  /** Its container instance's id (`ec2InstanceId`): the target id in an `instance` group. */
  readonly hostId?: string;
  readonly containers: readonly {
    readonly name: string;
    readonly networkBindings?: readonly {
      readonly containerPort?: number | undefined;
      readonly hostPort?: number | undefined;
      readonly protocol?: string | undefined;
    }[];
  }[];
}

/** A target registered in one of the service's groups, as the store holds it. */
export interface RegisteredTarget {
  readonly targetGroupArn: string;
  readonly id: string;
  readonly port: number;
  /** Deregistered and draining (until its drain ends it is still present). */
  readonly draining: boolean;
  /** The data plane's last verdict; absent before its first health check. */
  readonly health?: 'healthy' | 'unhealthy' | 'unavailable';
}

export interface TargetKey {
  readonly targetGroupArn: string;
  readonly id: string;
  readonly port: number;
}

export interface TargetPlan {
  readonly register: readonly TargetKey[];
  readonly deregister: readonly TargetKey[];
  /** ACTIVATING tasks whose targets are all registered (after `register`). */
  readonly activate: readonly string[];
  /** DEACTIVATING tasks none of whose targets is still registered or draining. */
  readonly deactivate: readonly string[];
  /** ECS's service events for the registrations, one per target group and direction. */
  readonly events: readonly string[];
}

const keyOf = (t: TargetKey): string => `${t.targetGroupArn}|${t.id}|${t.port}`;

/** The task's targets, one per entry; undefined while a container port is not yet published. */
export function targetsOfTask(
  task: TargetTask,
  groups: readonly ServiceTargetGroup[],
): TargetKey[] | undefined {
  if (task.hostId === undefined) return undefined;
  const keys: TargetKey[] = [];
  for (const g of groups) {
    const container = task.containers.find((c) => c.name === g.containerName);
    const binding = container?.networkBindings?.find(
      (b) => b.containerPort === g.containerPort && (b.protocol ?? 'tcp') === 'tcp',
    );
    if (binding?.hostPort === undefined) return undefined;
    keys.push({ targetGroupArn: g.targetGroupArn, id: task.hostId, port: binding.hostPort });
  }
  return keys;
}

/** Wants its targets registered: starting to serve, or serving. */
function serving(task: TargetTask): boolean {
  return (
    task.desiredStatus === 'RUNNING' && (task.lastStatus === 'ACTIVATING' || task.lastStatus === 'RUNNING')
  );
}

export function planTargets(input: {
  readonly serviceName: string;
  readonly groups: readonly ServiceTargetGroup[];
  readonly tasks: readonly TargetTask[];
  readonly registered: readonly RegisteredTarget[];
}): TargetPlan {
  const present = new Map(input.registered.map((t) => [keyOf(t), t]));
  const wanted = new Map<string, TargetKey>();
  const activate: string[] = [];
  for (const task of input.tasks.filter(serving)) {
    const keys = targetsOfTask(task, input.groups);
    if (keys === undefined) continue; // its ports are not reported yet: next run
    for (const k of keys) wanted.set(keyOf(k), k);
    if (task.lastStatus === 'ACTIVATING') activate.push(task.arn);
  }
  const register = [...wanted.values()].filter((k) => {
    const t = present.get(keyOf(k));
    return t === undefined || t.draining;
  });

  const deregister = new Map<string, TargetKey>();
  const deactivate: string[] = [];
  for (const task of input.tasks.filter((t) => !serving(t) && t.lastStatus !== 'PROVISIONING')) {
    const keys = (targetsOfTask(task, input.groups) ?? []).filter((k) => !wanted.has(keyOf(k)));
    let stillThere = false;
    for (const k of keys) {
      const t = present.get(keyOf(k));
      if (t === undefined) continue;
      stillThere = true;
      if (!t.draining) deregister.set(keyOf(k), k);
    }
    if (task.lastStatus === 'DEACTIVATING' && !stillThere) deactivate.push(task.arn);
  }

  return {
    register,
    deregister: [...deregister.values()],
    activate,
    deactivate,
    events: [
      ...countEvents(input.serviceName, 'registered', register),
      ...countEvents(input.serviceName, 'deregistered', [...deregister.values()]),
    ],
  };
}

/** ECS: `(service web) registered 2 targets in (target-group arn:…)`, one per group. */
function countEvents(service: string, verb: string, keys: readonly TargetKey[]): string[] {
  const byGroup = new Map<string, number>();
  for (const k of keys) byGroup.set(k.targetGroupArn, (byGroup.get(k.targetGroupArn) ?? 0) + 1);
  return [...byGroup].map(
    ([group, n]) => `(service ${service}) ${verb} ${n} targets in (target-group ${group})`,
  );
}

const SEVERITY: Readonly<Record<TargetHealthState, number>> = {
  healthy: 0,
  initial: 1,
  draining: 1,
  unused: 1,
  unavailable: 2,
  unhealthy: 3,
};

/**
 * The health of a task's targets for the scheduler: the worst over its groups (a task is healthy
 * only when every target is). Undefined when the task has no target registered.
 */
export function taskTargetHealth(
  task: TargetTask,
  groups: readonly ServiceTargetGroup[],
  registered: readonly RegisteredTarget[],
): { readonly targetGroupArn: string; readonly state: TargetHealthState } | undefined {
  const keys = targetsOfTask(task, groups);
  if (keys === undefined) return undefined;
  const present = new Map(registered.map((t) => [keyOf(t), t]));
  let worst: { targetGroupArn: string; state: TargetHealthState } | undefined;
  for (const k of keys) {
    const t = present.get(keyOf(k));
    const state: TargetHealthState =
      t === undefined ? 'unused' : t.draining ? 'draining' : (t.health ?? 'initial');
    if (worst === undefined || SEVERITY[state] > SEVERITY[worst.state]) {
      worst = { targetGroupArn: k.targetGroupArn, state };
    }
  }
  return worst;
}
