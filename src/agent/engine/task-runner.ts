import { nextTaskState, type TaskEvent } from '../../core/ecs/task-lifecycle.js';
import type { AgentConfig } from '../config.js';
import { EventQueue } from '../runtime/event-queue.js';
import {
  isRuntimeError,
  type ContainerState,
  type EnsuredImage,
  type Runtime,
  type RuntimeErrorCode,
  type RuntimeEvent,
} from '../runtime/runtime.js';
import {
  containerSpecFor,
  ECS_LABELS,
  stopTimeoutOf,
  type AgentAdditions,
  type TaskContainerSpec,
  type TaskSpec,
} from './task-spec.js';
import {
  initialKnown,
  isSettled,
  nextActions,
  OOM_REASON,
  type Action,
  type ContainerView,
  type KnownContainer,
  type KnownTask,
  type StateChange,
  type TaskSnapshot,
  type TaskView,
} from './known-task.js';

export type { ContainerView, StateChange, TaskSnapshot, TaskView } from './known-task.js';
export { OOM_REASON } from './known-task.js';

/**
 * One task's actor (the ECS agent's `managedTask`): a single async loop that owns everything about
 * its task, so no state is shared between tasks and nothing here needs a lock. Three things are
 * kept apart:
 * - desired — the latest `TaskSpec` (only a newer `version` replaces it);
 * - known   — what the runtime told us (`KnownTask`: the lifecycle from core's `nextTaskState`,
 *             plus per container the image, runtime id, runtime status and the effect in flight);
 * - sent    — the last view of the task and of each container handed to `report`, so every change
 *             is reported exactly once and nothing unchanged is reported again.
 *
 * Decisions are pure (`nextActions(spec, known)`); the loop executes the effects over the Runtime
 * (pull, create + start, stop, remove) and turns their outcomes and the runtime's events into
 * messages in the same mailbox, applied one at a time.
 */

export interface RunnerOptions {
  readonly runtime: Runtime;
  readonly config: Pick<
    AgentConfig,
    'disablePrivileged' | 'containerStopTimeoutSeconds' | 'imagePullBehavior' | 'taskCleanupWaitSeconds'
  >;
  readonly report: (change: StateChange) => void;
  /** Epoch milliseconds; default Date.now. */
  readonly now?: () => number;
  /** The agent's own labels and environment, added to every container. */
  readonly additions?: AgentAdditions;
}

type Message =
  | { readonly type: 'desire'; readonly spec: TaskSpec }
  | { readonly type: 'event'; readonly event: RuntimeEvent }
  | { readonly type: 'pulled'; readonly container: string; readonly image: EnsuredImage }
  | { readonly type: 'pullFailed'; readonly container: string; readonly error: unknown }
  | { readonly type: 'created'; readonly container: string; readonly runtimeId: string }
  | { readonly type: 'launched'; readonly container: string; readonly state: ContainerState }
  | { readonly type: 'launchFailed'; readonly container: string; readonly error: unknown }
  | { readonly type: 'stopped'; readonly container: string; readonly state: ContainerState }
  | { readonly type: 'stopFailed'; readonly container: string }
  | { readonly type: 'cleanup' };

/** A runtime failure as ECS's reason text: the error code first (`CannotPullContainerError: …`). */
export function reasonOf(err: unknown, fallback: RuntimeErrorCode): string {
  const code = isRuntimeError(err) ? err.code : fallback;
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(code) || message.startsWith('Cannot') ? message : `${code}: ${message}`;
}

export class TaskRunner {
  readonly taskArn: string;
  private spec: TaskSpec;
  private known: KnownTask;
  private readonly sent = new Map<string, string>();
  private readonly controller = new AbortController();
  private readonly mailbox: EventQueue<Message>;
  private readonly now: () => number;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private failure: string | undefined;
  /** Resolves when the loop ends: after the cleanup, or on `close()`. Never rejects. */
  readonly done: Promise<void>;

  constructor(
    spec: TaskSpec,
    private readonly options: RunnerOptions,
  ) {
    this.taskArn = spec.taskArn;
    this.spec = spec;
    this.known = initialKnown(spec);
    this.now = options.now ?? Date.now;
    this.mailbox = new EventQueue<Message>(this.controller.signal);
    // What the control plane already knows (a PENDING task) is not reported again.
    for (const view of this.views()) this.sent.set(viewKey(view), JSON.stringify(view));
    if (spec.desiredStatus === 'STOPPED') this.mailbox.push({ type: 'desire', spec });
    this.done = this.run();
  }

  /** A newer spec of this task (a stop request, …). Returns false for a stale or repeated version. */
  desire(spec: TaskSpec): boolean {
    if (spec.version <= this.spec.version) return false;
    this.mailbox.push({ type: 'desire', spec });
    this.spec = { ...this.spec, version: spec.version };
    return true;
  }

  get version(): number {
    return this.spec.version;
  }

  snapshot(): TaskSnapshot {
    const [task, ...containers] = this.views();
    return {
      taskArn: this.taskArn,
      version: this.spec.version,
      desiredStatus: this.spec.desiredStatus,
      task,
      containers,
      ...(this.failure !== undefined ? { failure: this.failure } : {}),
    };
  }

  /** Ends the actor without touching its containers (they keep running; restart re-attaches). */
  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }

  // ---- the loop ----

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let pump: Promise<void> = Promise.resolve();
    try {
      const stream = await this.options.runtime.events({
        signal,
        labels: { [ECS_LABELS.taskArn]: this.taskArn },
      });
      pump = (async () => {
        for await (const event of stream) this.mailbox.push({ type: 'event', event });
      })();
      this.step();
      for await (const message of this.mailbox) {
        if (message.type === 'cleanup') {
          await this.removeContainers();
          break;
        }
        this.handle(message);
        this.step();
        if (this.cleanupTimer === undefined && isSettled(this.known)) this.scheduleCleanup();
      }
    } catch (err) {
      if (!signal.aborted) this.failure = err instanceof Error ? err.message : String(err);
    } finally {
      if (this.cleanupTimer !== undefined) clearTimeout(this.cleanupTimer);
      this.controller.abort();
      await pump.catch(() => undefined);
    }
  }

  private scheduleCleanup(): void {
    this.cleanupTimer = setTimeout(
      () => this.mailbox.push({ type: 'cleanup' }),
      this.options.config.taskCleanupWaitSeconds * 1000,
    );
    this.cleanupTimer.unref();
  }

  private async removeContainers(): Promise<void> {
    for (const k of Object.values(this.known.containers)) {
      if (k.runtimeId === undefined) continue;
      try {
        await this.options.runtime.remove(k.runtimeId, { signal: this.controller.signal });
      } catch {
        // Best effort: what is left carries the task's labels, so the restart sweep finds it.
      }
    }
  }

  /** Applies the pure decisions, starts the effects they ask for, then reports what changed. */
  private step(): void {
    for (let round = 0; round < 100; round++) {
      const actions = nextActions(this.spec, this.known);
      const records = actions.filter((a) => a.kind === 'record');
      if (records.length === 0) {
        for (const action of actions) if (action.kind !== 'record') this.execute(action);
        break;
      }
      for (const r of records) this.apply(r.event);
    }
    this.flushReports();
  }

  private handle(message: Message): void {
    switch (message.type) {
      case 'desire': {
        const spec = message.spec;
        this.spec = spec;
        if (spec.desiredStatus === 'STOPPED')
          this.apply({
            kind: 'stopRequested',
            code: spec.stopCode ?? 'UserInitiated',
            ...(spec.stoppedReason !== undefined ? { reason: spec.stoppedReason } : {}),
          });
        return;
      }
      case 'pulled':
        this.patch(message.container, {
          pull: 'done',
          ...(message.image.digest !== undefined ? { imageDigest: message.image.digest } : {}),
        });
        this.pullsSettled();
        return;
      case 'pullFailed':
        this.patch(message.container, { pull: 'failed' });
        this.pullsSettled();
        this.apply({
          kind: 'failedToStart',
          container: message.container,
          reason: reasonOf(message.error, 'CannotPullContainerError'),
        });
        return;
      case 'created':
        this.patch(message.container, { runtimeId: message.runtimeId, runtime: 'created' });
        return;
      case 'launched':
        this.patch(message.container, { busy: undefined });
        this.observe(message.container, message.state);
        return;
      case 'launchFailed':
        this.patch(message.container, { busy: undefined });
        this.apply({
          kind: 'failedToStart',
          container: message.container,
          reason: reasonOf(message.error, 'CannotStartContainerError'),
        });
        return;
      case 'stopped':
        this.patch(message.container, { busy: undefined });
        this.observe(message.container, message.state);
        return;
      case 'stopFailed':
        this.patch(message.container, { busy: undefined });
        return;
      case 'event':
        this.onEvent(message.event);
        return;
      case 'cleanup':
        return;
    }
  }

  private onEvent(event: RuntimeEvent): void {
    const name = event.labels[ECS_LABELS.containerName];
    const k = name === undefined ? undefined : this.known.containers[name];
    if (name === undefined || k === undefined) return;
    if (k.runtimeId !== undefined && k.runtimeId !== event.runtimeId) return;
    switch (event.type) {
      case 'start':
        if (k.runtime !== 'exited') this.patch(name, { runtimeId: event.runtimeId, runtime: 'running' });
        return;
      case 'oom':
        this.patch(name, { oomKilled: true });
        return;
      case 'health_status':
        this.apply({
          kind: 'containerHealthChanged',
          container: name,
          healthStatus: event.health === 'healthy' ? 'HEALTHY' : 'UNHEALTHY',
        });
        return;
      case 'die':
        this.exited(name, event.runtimeId, event.exitCode, event.at.getTime());
        return;
      case 'destroy':
        if (k.runtime === 'running') this.exited(name, event.runtimeId, undefined, event.at.getTime());
        return;
    }
  }

  /** Folds an `inspect` result (after a launch or a stop) into the known state. */
  private observe(name: string, state: ContainerState): void {
    if (state.status === 'removed') {
      this.exited(name, state.runtimeId, undefined, this.now());
      return;
    }
    if (state.status === 'exited') {
      this.exited(name, state.runtimeId, state.exitCode, state.finishedAt?.getTime() ?? this.now());
      return;
    }
    if (state.status !== 'running') return;
    const k = this.known.containers[name];
    if (k?.runtime === 'exited') return;
    this.patch(name, {
      runtimeId: state.runtimeId,
      runtime: 'running',
      networkBindings: state.networkBindings,
      ...(state.imageDigest !== undefined && k?.imageDigest === undefined
        ? { imageDigest: state.imageDigest }
        : {}),
    });
    this.apply({ kind: 'containerStarted', container: name, runtimeId: state.runtimeId });
  }

  /** The container's process ended (a die event, or found exited): it must have started first. */
  private exited(name: string, runtimeId: string, exitCode: number | undefined, at: number): void {
    const k = this.known.containers[name];
    if (k === undefined) return;
    if (k.runtime !== 'exited') this.patch(name, { runtime: 'exited', runtimeId, finishedAt: at });
    const life = this.known.lifecycle.containers.find((c) => c.name === name);
    if (life?.lastStatus === 'PENDING') this.apply({ kind: 'containerStarted', container: name, runtimeId });
    const oom = this.known.containers[name]?.oomKilled === true;
    this.apply({
      kind: 'containerExited',
      container: name,
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(oom ? { reason: OOM_REASON } : {}),
    });
  }

  private pullsSettled(): void {
    const pulls = Object.values(this.known.containers).map((k) => k.pull);
    if (!pulls.includes('pulling')) this.apply({ kind: 'pullStopped' });
  }

  // ---- effects ----

  private execute(action: Exclude<Action, { kind: 'record' }>): void {
    const container = this.spec.containers.find((c) => c.name === action.container);
    if (container === undefined) return;
    switch (action.kind) {
      case 'pull':
        if (this.known.lifecycle.pullStartedAt === undefined) this.apply({ kind: 'pullStarted' });
        this.patch(container.name, { pull: 'pulling' });
        void this.pull(container);
        return;
      case 'launch':
        this.patch(container.name, { busy: 'launching' });
        void this.launch(container, this.known.containers[container.name]?.runtimeId);
        return;
      case 'stop': {
        const runtimeId = this.known.containers[container.name]?.runtimeId;
        if (runtimeId === undefined) return;
        this.patch(container.name, { busy: 'stopping' });
        void this.stop(container, runtimeId);
        return;
      }
    }
  }

  private async pull(container: TaskContainerSpec): Promise<void> {
    const { runtime, config } = this.options;
    try {
      const image = await runtime.ensureImage(container.image, config.imagePullBehavior, {
        signal: this.controller.signal,
      });
      this.mailbox.push({ type: 'pulled', container: container.name, image });
    } catch (error) {
      this.mailbox.push({ type: 'pullFailed', container: container.name, error });
    }
  }

  private async launch(container: TaskContainerSpec, existing: string | undefined): Promise<void> {
    const { runtime, config, additions } = this.options;
    const signal = this.controller.signal;
    try {
      let runtimeId = existing;
      if (runtimeId === undefined) {
        runtimeId = await runtime.create(containerSpecFor(this.spec, container, config, additions), { signal });
        this.mailbox.push({ type: 'created', container: container.name, runtimeId });
      }
      await runtime.start(runtimeId, { signal });
      const state = await runtime.inspect(runtimeId, { signal });
      this.mailbox.push({ type: 'launched', container: container.name, state });
    } catch (error) {
      this.mailbox.push({ type: 'launchFailed', container: container.name, error });
    }
  }

  private async stop(container: TaskContainerSpec, runtimeId: string): Promise<void> {
    const { runtime, config } = this.options;
    const signal = this.controller.signal;
    try {
      await runtime.stop(runtimeId, stopTimeoutOf(container, config), { signal });
      const state = await runtime.inspect(runtimeId, { signal });
      this.mailbox.push({ type: 'stopped', container: container.name, state });
    } catch {
      // Retried on the next step after a pause; the die event may also settle it meanwhile.
      if (signal.aborted) return;
      setTimeout(() => this.mailbox.push({ type: 'stopFailed', container: container.name }), 1000).unref();
    }
  }

  // ---- state ----

  private apply(event: TaskEvent): void {
    const lifecycle = nextTaskState(this.known.lifecycle, event, this.now());
    if (lifecycle !== this.known.lifecycle) this.known = { ...this.known, lifecycle };
  }

  private patch(name: string, change: { [K in keyof KnownContainer]?: KnownContainer[K] | undefined }): void {
    const current = this.known.containers[name];
    if (current === undefined) return;
    const next: Record<string, unknown> = { ...current };
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined) delete next[key];
      else next[key] = value;
    }
    this.known = {
      ...this.known,
      containers: { ...this.known.containers, [name]: next as unknown as KnownContainer },
    };
  }

  // ---- reports ----

  private views(): [TaskView, ...ContainerView[]] {
    const life = this.known.lifecycle;
    const { cluster, taskArn } = this.spec;
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
      const k = this.known.containers[c.name];
      const spec = this.spec.containers.find((s) => s.name === c.name);
      return compact<ContainerView>({
        kind: 'container',
        cluster,
        taskArn,
        containerName: c.name,
        lastStatus: c.lastStatus,
        image: spec?.image ?? '',
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

  /** Reports each view that differs from what was last sent: containers first, then the task. */
  private flushReports(): void {
    const [task, ...containers] = this.views();
    for (const view of [...containers, task]) {
      const key = viewKey(view);
      const text = JSON.stringify(view);
      if (this.sent.get(key) === text) continue;
      this.sent.set(key, text);
      try {
        this.options.report(view);
      } catch {
        // The reporter owns its failures (the channel queues and retries); the actor goes on.
      }
    }
  }
}

function viewKey(view: StateChange): string {
  return view.kind === 'task' ? 'task' : `container:${view.containerName}`;
}

/** Drops the properties whose value is undefined (exactOptionalPropertyTypes). */
function compact<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
