import { conditionVerdict, dependencyReadiness } from '../../core/ecs/task-lifecycle-depends-on.js';
import {
  newTaskState,
  type HealthStatus,
  type StopCode,
  type TaskEvent,
  type TaskState,
  type TaskStatus,
} from '../../core/ecs/task-lifecycle.js';
import type { NetworkBinding } from '../runtime/runtime.js';
import { isEssential, type TaskSpec } from './task-spec.js';

/**
 * What a task's actor knows and decides, without effects: the known state of a task and its
 * containers, the views reported to the control plane, and `nextActions(spec, known)` — the pure
 * decision the runner (task-runner.ts) executes over the Runtime.
 */

/** ECS's container `reason` for an OOM kill. */
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

export type RuntimeStatus = 'none' | 'created' | 'running' | 'exited';

export interface KnownContainer {
  readonly pull: 'none' | 'pulling' | 'done' | 'failed';
  readonly imageDigest?: string;
  readonly runtimeId?: string;
  readonly runtime: RuntimeStatus;
  /** The effect in flight for this container; none is started while one is. */
  readonly busy?: 'launching' | 'stopping';
  readonly oomKilled: boolean;
  readonly networkBindings: readonly NetworkBinding[];
  readonly finishedAt?: number;
}

export interface KnownTask {
  readonly lifecycle: TaskState;
  readonly containers: Readonly<Record<string, KnownContainer>>;
}

export type Action =
  | { readonly kind: 'pull'; readonly container: string }
  /** Create (unless created) and start. */
  | { readonly kind: 'launch'; readonly container: string }
  /** SIGTERM, SIGKILL after the container's stop timeout. */
  | { readonly kind: 'stop'; readonly container: string }
  /** A decision the lifecycle must record (a dependency that can never be met). */
  | { readonly kind: 'record'; readonly event: TaskEvent };

/** The change reports: the future SubmitTaskStateChange / SubmitContainerStateChange. */
export interface TaskView {
  readonly kind: 'task';
  readonly cluster: string;
  readonly taskArn: string;
  readonly lastStatus: TaskStatus;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly healthStatus: HealthStatus;
  readonly stopCode?: StopCode;
  readonly stoppedReason?: string;
  readonly pullStartedAt?: Date;
  readonly pullStoppedAt?: Date;
  readonly startedAt?: Date;
  readonly stoppingAt?: Date;
  readonly executionStoppedAt?: Date;
  readonly stoppedAt?: Date;
}

export interface ContainerView {
  readonly kind: 'container';
  readonly cluster: string;
  readonly taskArn: string;
  readonly containerName: string;
  readonly lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  readonly image: string;
  readonly imageDigest?: string;
  readonly runtimeId?: string;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly healthStatus: HealthStatus;
  readonly networkBindings: readonly NetworkBinding[];
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
}

export type StateChange = TaskView | ContainerView;

export interface TaskSnapshot {
  readonly taskArn: string;
  readonly version: number;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly task: TaskView;
  readonly containers: readonly ContainerView[];
  /** The actor's loop ended on an error it could not handle (e.g. the runtime's event stream failed). */
  readonly failure?: string;
}

export function initialKnown(spec: TaskSpec): KnownTask {
  const lifecycle = newTaskState(
    spec.containers.map((c) => ({
      name: c.name,
      essential: isEssential(c),
      hasHealthCheck: c.healthCheck !== undefined,
    })),
    { provision: false, activate: false },
  );
  const containers: Record<string, KnownContainer> = {};
  for (const c of spec.containers)
    containers[c.name] = { pull: 'none', runtime: 'none', oomKilled: false, networkBindings: [] };
  return { lifecycle, containers };
}

/**
 * What to do next, from the desired spec, the known state and the time (epoch ms). Pure. While the
 * task should run: pull every image, launch the containers whose `dependsOn` is met and whose
 * `volumesFrom` sources exist once their image is present, and record the containers that can
 * never start — a dependency that can never be met, or whose `startTimeout` ran out
 * (`startTimeouts`), a `volumesFrom` source that will never be created — an essential one fails the
 * task. Once the task is stopping: stop every running container whose dependents have all stopped
 * (reverse dependency order).
 */
export function nextActions(spec: TaskSpec, known: KnownTask, now: number): Action[] {
  const life = known.lifecycle;
  const actions: Action[] = [];
  const of = (name: string): KnownContainer | undefined => known.containers[name];
  if (life.desiredStatus === 'RUNNING') {
    for (const c of life.containers) {
      if (c.lastStatus === 'PENDING' && of(c.name)?.pull === 'none')
        actions.push({ kind: 'pull', container: c.name });
    }
    const readiness = dependencyReadiness(
      spec.containers.map((c) => ({ name: c.name, dependsOn: c.dependsOn ?? [] })),
      life.containers,
    );
    const never = new Map<string, string>();
    for (const { name, reason } of readiness.never)
      never.set(name, `DependencyConditionNeverSatisfied: ${reason}`);
    for (const { name, reason } of startTimeouts(spec, known, now).expired)
      if (!never.has(name)) never.set(name, `DependencyConditionNeverSatisfied: ${reason}`);
    for (const name of readiness.startable) {
      const blocked = volumesFromBlock(spec, known, name);
      if (typeof blocked === 'string' && !never.has(name)) never.set(name, blocked);
    }
    for (const [name, why] of never) {
      const container = spec.containers.find((c) => c.name === name);
      actions.push({
        kind: 'record',
        event:
          container === undefined || isEssential(container)
            ? { kind: 'failedToStart', container: name, reason: why }
            : { kind: 'containerExited', container: name, reason: why },
      });
    }
    for (const name of readiness.startable) {
      if (never.has(name) || volumesFromBlock(spec, known, name) !== false) continue;
      const k = of(name);
      if (k?.pull === 'done' && k.busy === undefined && k.runtime !== 'running' && k.runtime !== 'exited') {
        // Recorded first, so a stop that comes while the launch is in flight waits for its outcome.
        const launching = life.containers.find((c) => c.name === name)?.launching === true;
        actions.push(
          launching
            ? { kind: 'launch', container: name }
            : { kind: 'record', event: { kind: 'containerLaunching', container: name } },
        );
      }
    }
    return actions;
  }
  // Stopping: a container whose launch ended without it running (nor exiting) will not run now.
  for (const c of life.containers) {
    const k = of(c.name);
    if (
      c.lastStatus === 'PENDING' &&
      c.launching === true &&
      k !== undefined &&
      k.busy === undefined &&
      k.runtime !== 'running' &&
      k.runtime !== 'exited'
    )
      actions.push({ kind: 'record', event: { kind: 'containerExited', container: c.name } });
  }
  const active = (name: string): boolean => {
    const k = of(name);
    return k !== undefined && (k.runtime === 'running' || k.busy === 'launching');
  };
  for (const c of spec.containers) {
    const k = of(c.name);
    if (k?.runtime !== 'running' || k.busy !== undefined) continue;
    const dependents = spec.containers.filter((d) =>
      (d.dependsOn ?? []).some((dep) => dep.containerName === c.name),
    );
    if (dependents.some((d) => active(d.name))) continue;
    actions.push({ kind: 'stop', container: c.name });
  }
  return actions;
}

/** Conditions a `startTimeout` bounds (ECS: START is met at once, so it never times out). */
const TIMED_CONDITIONS = new Set(['COMPLETE', 'SUCCESS', 'HEALTHY']);

/**
 * ECS's `startTimeout`, which the *dependency* carries: a PENDING container not yet launched that
 * depends on a container with COMPLETE, SUCCESS or HEALTHY gives up when that container started
 * more than its `startTimeout` seconds ago, has not stopped, and the condition is still unmet.
 * `expired`: those containers, with why; `nextDeadline`: the earliest time (epoch ms) one of the
 * dependencies still waited on runs out, for the actor's timer. Pure.
 */
export function startTimeouts(
  spec: TaskSpec,
  known: KnownTask,
  now: number,
): { expired: { name: string; reason: string }[]; nextDeadline?: number } {
  const life = known.lifecycle.containers;
  const expired: { name: string; reason: string }[] = [];
  let nextDeadline: number | undefined;
  for (const target of spec.containers) {
    const state = life.find((c) => c.name === target.name);
    if (state?.lastStatus !== 'PENDING' || state.launching === true) continue;
    for (const d of target.dependsOn ?? []) {
      const dep = spec.containers.find((c) => c.name === d.containerName);
      const depState = life.find((c) => c.name === d.containerName);
      const timeout = dep?.startTimeout ?? 0;
      if (!TIMED_CONDITIONS.has(d.condition) || timeout <= 0 || depState === undefined) continue;
      if (depState.startedAt === undefined || depState.lastStatus === 'STOPPED') continue;
      if (conditionVerdict(d.condition, depState).kind === 'met') continue;
      const deadline = depState.startedAt + timeout * 1000;
      if (now >= deadline) {
        expired.push({
          name: target.name,
          reason: `dependency '${d.containerName}' did not reach ${d.condition} within its startTimeout of ${timeout} s`,
        });
        break;
      }
      nextDeadline = Math.min(nextDeadline ?? deadline, deadline);
    }
  }
  return { expired, ...(nextDeadline !== undefined ? { nextDeadline } : {}) };
}

/**
 * Whether a container's `volumesFrom` sources hold its launch back: false when every source has
 * been created (Docker needs them to exist), true while one may still be, or — as a string, the
 * reason — when one never will be (it stopped without a container, or is not in the task). Pure.
 */
export function volumesFromBlock(spec: TaskSpec, known: KnownTask, name: string): boolean | string {
  const container = spec.containers.find((c) => c.name === name);
  let waiting = false;
  for (const from of container?.volumesFrom ?? []) {
    const k = known.containers[from.sourceContainer];
    const life = known.lifecycle.containers.find((c) => c.name === from.sourceContainer);
    if (k === undefined || life === undefined)
      return `CannotCreateContainerError: volumesFrom source '${from.sourceContainer}' is not a container of this task`;
    if (k.runtime !== 'none') continue;
    if (life.lastStatus === 'STOPPED')
      return `CannotCreateContainerError: volumesFrom source '${from.sourceContainer}' was never created`;
    waiting = true;
  }
  return waiting;
}

/** The task is over for the runtime: STOPPED, nothing running and nothing in flight. */
export function isSettled(known: KnownTask): boolean {
  return (
    known.lifecycle.lastStatus === 'STOPPED' &&
    Object.values(known.containers).every(
      (k) => k.busy === undefined && k.runtime !== 'running' && k.pull !== 'pulling',
    )
  );
}

/** What the control plane is told of the task and each container (what the runner reports). Pure. */
export function viewsOf(spec: TaskSpec, known: KnownTask): [TaskView, ...ContainerView[]] {
  const life = known.lifecycle;
  const { cluster, taskArn } = spec;
  const date = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));
  const task = compact<TaskView>({
    kind: 'task',
    cluster,
    taskArn,
    lastStatus: life.lastStatus,
    desiredStatus: life.desiredStatus,
    healthStatus: life.healthStatus,
    stopCode: life.stopCode,
    stoppedReason: life.stoppedReason,
    pullStartedAt: date(life.pullStartedAt),
    pullStoppedAt: date(life.pullStoppedAt),
    startedAt: date(life.startedAt),
    stoppingAt: date(life.stoppingAt),
    executionStoppedAt: date(life.executionStoppedAt),
    stoppedAt: date(life.stoppedAt),
  });
  const containers = life.containers.map((c): ContainerView => {
    const k = known.containers[c.name];
    const container = spec.containers.find((s) => s.name === c.name);
    return compact<ContainerView>({
      kind: 'container',
      cluster,
      taskArn,
      containerName: c.name,
      lastStatus: c.lastStatus,
      image: container?.image ?? '',
      imageDigest: k?.imageDigest,
      runtimeId: k?.runtimeId ?? c.runtimeId,
      exitCode: c.exitCode,
      reason: c.reason,
      healthStatus: c.healthStatus,
      networkBindings: c.lastStatus === 'PENDING' ? [] : (k?.networkBindings ?? []),
      startedAt: date(c.startedAt),
      finishedAt: c.lastStatus === 'STOPPED' ? date(k?.finishedAt) : undefined,
    });
  });
  return [task, ...containers];
}

/** Drops the properties whose value is undefined (exactOptionalPropertyTypes). */
function compact<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
