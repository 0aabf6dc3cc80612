/**
 * A task's lifecycle as ECS shows it, as one pure reducer: `nextTaskState(task, event, now)`.
 *
 * Who owns what: the agent reports what happened on the host (pulls, container starts, exits,
 * health changes, a start failure); the control plane reports its own steps (a stop request, load
 * balancer / discovery registration done, network resources provisioned or released). Both arrive
 * here as events; this reducer is the single place that turns them into `lastStatus`, timestamps,
 * `stopCode`, `stoppedReason` and the task's `healthStatus`. It never reads the clock (`now` is
 * passed in, epoch milliseconds) and never moves `lastStatus` backwards: an event that arrives late
 * (a container start after the task began stopping) updates the container but not the task's status.
 *
 * States (ECS's task lifecycle): PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING →
 * STOPPING → DEPROVISIONING → STOPPED. PROVISIONING/DEPROVISIONING are entered only when the task
 * has network resources to set up (`hooks.provision`, e.g. awsvpc); ACTIVATING/DEACTIVATING only
 * when the control plane registers it with load balancers or discovery (`hooks.activate`).
 * Otherwise those states are skipped, as ECS skips them.
 */

export const TASK_STATUSES = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Position of each status in the lifecycle: a status only moves to a higher rank. */
export const TASK_STATUS_RANK: Readonly<Record<TaskStatus, number>> = {
  PROVISIONING: 0,
  PENDING: 1,
  ACTIVATING: 2,
  RUNNING: 3,
  DEACTIVATING: 4,
  STOPPING: 5,
  DEPROVISIONING: 6,
  STOPPED: 7,
};

export const CONTAINER_STATUSES = ['PENDING', 'RUNNING', 'STOPPED'] as const;
export type ContainerStatus = (typeof CONTAINER_STATUSES)[number];
export const CONTAINER_STATUS_RANK: Readonly<Record<ContainerStatus, number>> = {
  PENDING: 0,
  RUNNING: 1,
  STOPPED: 2,
};

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** ECS's `TaskStopCode` values Berth produces. */
export type StopCode =
  | 'TaskFailedToStart'
  | 'EssentialContainerExited'
  | 'UserInitiated'
  | 'ServiceSchedulerInitiated'
  | 'SpotInterruption'
  | 'TerminationNotice';

/** Stop codes a stop *request* carries; the other two are decided here from what the agent reports. */
export type RequestedStopCode = Exclude<StopCode, 'TaskFailedToStart' | 'EssentialContainerExited'>;

/** ECS's wording of `stoppedReason` where ECS fixes it. */
export const STOPPED_REASON = {
  essentialContainerExited: 'Essential container in task exited',
  /** StopTask without a `reason`. */
  stoppedByUser: 'Task stopped by user',
  taskFailedToStart: 'Task failed to start',
} as const;

export interface ContainerState {
  readonly name: string;
  readonly essential: boolean;
  /** The container definition has a `healthCheck`; without one its health stays UNKNOWN. */
  readonly hasHealthCheck: boolean;
  readonly lastStatus: ContainerStatus;
  readonly healthStatus: HealthStatus;
  /** When the container first reached RUNNING (undefined: it never ran). */
  readonly startedAt?: number;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly runtimeId?: string;
  /**
   * The agent has begun to create and start this (PENDING) container: a stop that comes meanwhile
   * waits for the outcome (it starts, then is stopped; or it fails to start) instead of marking it
   * STOPPED at once, so the task is not STOPPED while the container may still come up.
   */
  readonly launching?: boolean;
}

/** Which optional lifecycle steps this task goes through (see the file comment). */
export interface TaskHooks {
  readonly provision: boolean;
  readonly activate: boolean;
}

export interface TaskState {
  readonly lastStatus: TaskStatus;
  /** Written by the control plane in ECS; set to STOPPED here when the task must stop. */
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly healthStatus: HealthStatus;
  readonly hooks: TaskHooks;
  readonly containers: readonly ContainerState[];
  readonly pullStartedAt?: number;
  readonly pullStoppedAt?: number;
  readonly startedAt?: number;
  readonly stoppingAt?: number;
  readonly executionStoppedAt?: number;
  readonly stoppedAt?: number;
  readonly stopCode?: StopCode;
  readonly stoppedReason?: string;
}

export type TaskEvent =
  | { readonly kind: 'provisioned' }
  | { readonly kind: 'pullStarted' }
  | { readonly kind: 'pullStopped' }
  /** The agent begins creating and starting the container (see ContainerState.launching). */
  | { readonly kind: 'containerLaunching'; readonly container: string }
  | { readonly kind: 'containerStarted'; readonly container: string; readonly runtimeId?: string }
  | {
      readonly kind: 'containerHealthChanged';
      readonly container: string;
      readonly healthStatus: HealthStatus;
    }
  | {
      readonly kind: 'containerExited';
      readonly container: string;
      readonly exitCode?: number;
      readonly reason?: string;
    }
  | { readonly kind: 'activated' }
  | { readonly kind: 'stopRequested'; readonly code: RequestedStopCode; readonly reason?: string }
  /** The agent could not start the task (image pull failed, a container could not be created, …). */
  | { readonly kind: 'failedToStart'; readonly reason: string; readonly container?: string }
  | { readonly kind: 'deactivated' }
  | { readonly kind: 'deprovisioned' };

export type TaskEventKind = TaskEvent['kind'];

/** A new task as placement creates it: every container PENDING, health UNKNOWN. */
export function newTaskState(
  containers: readonly { name: string; essential: boolean; hasHealthCheck: boolean }[],
  hooks: TaskHooks,
): TaskState {
  return {
    lastStatus: hooks.provision ? 'PROVISIONING' : 'PENDING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    hooks,
    containers: containers.map((c) => ({ ...c, lastStatus: 'PENDING', healthStatus: 'UNKNOWN' })),
  };
}

/**
 * The task's health from its containers', in ECS's priority order: UNHEALTHY if any essential
 * container with a health check is UNHEALTHY, else UNKNOWN if any is UNKNOWN, else HEALTHY. Only
 * containers with a health check count (one without reports UNKNOWN forever); non-essential
 * containers count only when no essential container has a health check. No checks at all: UNKNOWN.
 */
export function taskHealth(containers: readonly ContainerState[]): HealthStatus {
  const essential = containers.filter((c) => c.essential && c.hasHealthCheck);
  const counted = essential.length ? essential : containers.filter((c) => c.hasHealthCheck);
  if (counted.length === 0) return 'UNKNOWN';
  if (counted.some((c) => c.healthStatus === 'UNHEALTHY')) return 'UNHEALTHY';
  if (counted.some((c) => c.healthStatus === 'UNKNOWN')) return 'UNKNOWN';
  return 'HEALTHY';
}

type Handler<K extends TaskEventKind> = (
  task: TaskState,
  event: Extract<TaskEvent, { kind: K }>,
  now: number,
) => TaskState;

const handlers: { readonly [K in TaskEventKind]: Handler<K> } = {
  provisioned: (task) => advance(task, 'PENDING'),
  pullStarted: (task, _e, now) => advance({ ...task, pullStartedAt: task.pullStartedAt ?? now }, 'PENDING'),
  pullStopped: (task, _e, now) =>
    advance(
      { ...task, pullStartedAt: task.pullStartedAt ?? now, pullStoppedAt: task.pullStoppedAt ?? now },
      'PENDING',
    ),
  containerLaunching: (task, e) =>
    task.desiredStatus !== 'RUNNING'
      ? task
      : updateContainer(task, e.container, (c) =>
          c.lastStatus === 'PENDING' && c.launching !== true ? { ...c, launching: true } : c,
        ),
  containerStarted: (task, e, now) => {
    const next = updateContainer(task, e.container, (c) =>
      c.lastStatus === 'PENDING'
        ? {
            ...c,
            lastStatus: 'RUNNING',
            startedAt: c.startedAt ?? now,
            ...(e.runtimeId !== undefined ? { runtimeId: e.runtimeId } : {}),
          }
        : c,
    );
    if (next === task) return task;
    const launched = advance(next, 'PENDING');
    const essentialsUp = launched.containers.every((c) => !c.essential || c.lastStatus === 'RUNNING');
    if (launched.desiredStatus !== 'RUNNING' || !essentialsUp) return launched;
    return launched.hooks.activate ? advance(launched, 'ACTIVATING') : markRunning(launched, now);
  },
  activated: (task, _e, now) => (task.lastStatus === 'ACTIVATING' ? markRunning(task, now) : task),
  containerHealthChanged: (task, e) =>
    updateContainer(task, e.container, (c) =>
      c.hasHealthCheck && c.lastStatus !== 'PENDING' ? { ...c, healthStatus: e.healthStatus } : c,
    ),
  containerExited: (task, e, now) => {
    const target = task.containers.find((c) => c.name === e.container);
    if (!target || target.lastStatus === 'STOPPED') return task;
    const next = updateContainer(task, e.container, (c) => ({
      ...c,
      lastStatus: 'STOPPED',
      ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
    }));
    // An essential container's exit stops the task; a non-essential one's does not.
    if (target.essential)
      return beginStopping(next, 'EssentialContainerExited', STOPPED_REASON.essentialContainerExited, now);
    return finishIfDrained(next, now);
  },
  stopRequested: (task, e, now) =>
    beginStopping(
      task,
      e.code,
      e.reason ?? (e.code === 'UserInitiated' ? STOPPED_REASON.stoppedByUser : ''),
      now,
    ),
  failedToStart: (task, e, now) => {
    const marked =
      e.container === undefined
        ? task
        : updateContainer(task, e.container, (c) =>
            c.lastStatus === 'PENDING' ? { ...c, lastStatus: 'STOPPED', reason: e.reason } : c,
          );
    return beginStopping(marked, 'TaskFailedToStart', e.reason, now);
  },
  deactivated: (task, _e, now) =>
    task.lastStatus === 'DEACTIVATING' ? finishIfDrained(advance(task, 'STOPPING'), now) : task,
  deprovisioned: (task, _e, now) => (task.lastStatus === 'DEPROVISIONING' ? markStopped(task, now) : task),
};

/**
 * What the task's agent is told to do with it. A task DEACTIVATING with its essential containers
 * still up keeps running while its load-balancer targets drain — the requests in flight are still
 * being answered there — and is stopped once the control plane reports it `deactivated`
 * (STOPPING). An essential container that exited already ended the task's service: stop the rest.
 */
export function agentDesiredStatus(task: TaskState): 'RUNNING' | 'STOPPED' {
  const draining =
    task.lastStatus === 'DEACTIVATING' &&
    task.containers.every((c) => !c.essential || c.lastStatus === 'RUNNING');
  return draining ? 'RUNNING' : task.desiredStatus;
}

/**
 * The task after one reported event. Pure: returns `task` itself when the event changes nothing
 * (an unknown container, a repeated report, anything after STOPPED).
 */
export function nextTaskState(task: TaskState, event: TaskEvent, now: number): TaskState {
  if (task.lastStatus === 'STOPPED') return task;
  // The table is exhaustive per kind; TypeScript cannot correlate the key with the event's type.
  const handler = handlers[event.kind] as (t: TaskState, e: TaskEvent, at: number) => TaskState;
  const next = handler(task, event, now);
  if (next === task) return task;
  const healthStatus = taskHealth(next.containers);
  return healthStatus === next.healthStatus ? next : { ...next, healthStatus };
}

function advance(task: TaskState, to: TaskStatus): TaskState {
  return TASK_STATUS_RANK[to] > TASK_STATUS_RANK[task.lastStatus] ? { ...task, lastStatus: to } : task;
}

function markRunning(task: TaskState, now: number): TaskState {
  return advance({ ...task, startedAt: task.startedAt ?? now }, 'RUNNING');
}

function markStopped(task: TaskState, now: number): TaskState {
  return advance(
    { ...task, executionStoppedAt: task.executionStoppedAt ?? now, stoppedAt: task.stoppedAt ?? now },
    'STOPPED',
  );
}

function updateContainer(
  task: TaskState,
  name: string,
  change: (c: ContainerState) => ContainerState,
): TaskState {
  let changed = false;
  const containers = task.containers.map((c) => {
    if (c.name !== name) return c;
    const next = change(c);
    if (next !== c) changed = true;
    return next;
  });
  return changed ? { ...task, containers } : task;
}

/**
 * Starts stopping the task. The first reason to stop wins: a later stop request or exit does not
 * overwrite `stopCode`/`stoppedReason`. Containers that never started will not start now, so they
 * are STOPPED at once (without an exit code) — except those being launched, whose start (then
 * exit) or start failure is awaited; the task waits for the running ones to exit.
 */
function beginStopping(task: TaskState, code: StopCode, reason: string, now: number): TaskState {
  const first = task.stopCode === undefined;
  const containers = task.containers.map((c) =>
    c.lastStatus === 'PENDING' && c.launching !== true ? { ...c, lastStatus: 'STOPPED' as const } : c,
  );
  const stopping: TaskState = {
    ...task,
    desiredStatus: 'STOPPED',
    containers,
    stoppingAt: task.stoppingAt ?? now,
    ...(first ? { stopCode: code, ...(reason ? { stoppedReason: reason } : {}) } : {}),
  };
  const wasActivated = TASK_STATUS_RANK[task.lastStatus] >= TASK_STATUS_RANK.ACTIVATING;
  if (
    task.hooks.activate &&
    wasActivated &&
    TASK_STATUS_RANK[task.lastStatus] < TASK_STATUS_RANK.DEACTIVATING
  )
    return advance(stopping, 'DEACTIVATING');
  return finishIfDrained(advance(stopping, 'STOPPING'), now);
}

/** STOPPING with every container stopped: execution is over; release resources or stop. */
function finishIfDrained(task: TaskState, now: number): TaskState {
  if (task.lastStatus !== 'STOPPING') return task;
  if (!task.containers.every((c) => c.lastStatus === 'STOPPED')) return task;
  if (!task.hooks.provision) return markStopped(task, now);
  return advance({ ...task, executionStoppedAt: task.executionStoppedAt ?? now }, 'DEPROVISIONING');
}
