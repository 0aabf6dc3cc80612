import { nextTaskState, type TaskEvent } from '../../core/ecs/task-lifecycle.js';
import { EventQueue } from '../runtime/event-queue.js';
import type { ContainerState, RuntimeEvent } from '../runtime/runtime.js';
import type { EventSink } from './event-router.js';
import { reasonOf, TaskEffects, type EffectOptions, type Outcome } from './task-effects.js';
import { ECS_LABELS, type TaskSpec } from './task-spec.js';
import {
  initialKnown,
  isSettled,
  nextActions,
  OOM_REASON,
  startTimeouts,
  type Action,
  type ContainerView,
  type KnownContainer,
  type KnownTask,
  type StateChange,
  type TaskSnapshot,
  type TaskView,
  viewsOf,
} from './known-task.js';

export type { ContainerView, StateChange, TaskSnapshot, TaskView } from './known-task.js';
export { OOM_REASON } from './known-task.js';
export { reasonOf } from './task-effects.js';

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
 * Decisions are pure (`nextActions(spec, known, now)`); the effects (task-effects.ts: pull, create +
 * start, stop, remove) post their outcomes, and the engine's shared event subscription
 * (event-router.ts, through this actor's `EventSink` side) posts the task's runtime events and the
 * `synced` inspections, as messages in the same mailbox, applied one at a time.
 */

export interface RunnerOptions extends EffectOptions {
  readonly report: (change: StateChange) => void;
  /** Epoch milliseconds; default Date.now. */
  readonly now?: () => number;
}

type Message =
  | Outcome
  | { readonly type: 'desire'; readonly spec: TaskSpec }
  | { readonly type: 'event'; readonly event: RuntimeEvent }
  /** A startTimeout may have run out: decide again. */
  | { readonly type: 'tick' }
  /** The event stream is live (again) and this is what the runtime holds now, by container name. */
  | {
      readonly type: 'synced';
      readonly states: Readonly<Record<string, ContainerState>>;
      readonly first: boolean;
    }
  | { readonly type: 'cleanup' };

/** A container's `reason` when it vanished from the host while the agent was not watching. */
export const LOST_REASON = 'CannotInspectContainerError: the container no longer exists on this host';

export class TaskRunner implements EventSink {
  readonly taskArn: string;
  private spec: TaskSpec;
  private known: KnownTask;
  private readonly sent = new Map<string, string>();
  private readonly controller = new AbortController();
  private readonly mailbox: EventQueue<Message>;
  private readonly now: () => number;
  private readonly effects: TaskEffects;
  private cleanupTimer: NodeJS.Timeout | undefined;
  /** The next startTimeout deadline a timer is set for (epoch ms). */
  private tick: { readonly at: number; readonly timer: NodeJS.Timeout } | undefined;
  private failure: string | undefined;
  /** No decision is taken before the first sync: an adopted container must be known before a launch. */
  private synced = false;
  /** A `synced` message was posted: later syncs inspect the known containers, not the adopted ones. */
  private syncPosted = false;
  /** Resolves when the loop ends: after the cleanup, or on `close()`. Never rejects. */
  readonly done: Promise<void>;

  /**
   * `adopted`: containers of this task found on the host at start (after an agent restart), by
   * container name → runtime id. The actor takes them over instead of creating new ones.
   */
  constructor(
    spec: TaskSpec,
    private readonly options: RunnerOptions,
    private readonly adopted: Readonly<Record<string, string>> = {},
  ) {
    this.taskArn = spec.taskArn;
    this.spec = spec;
    this.known = initialKnown(spec);
    this.now = options.now ?? Date.now;
    this.mailbox = new EventQueue<Message>(this.controller.signal);
    this.effects = new TaskEffects(options, this.controller.signal, (outcome) => this.mailbox.push(outcome));
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

  /** The spec this actor runs (definition, limits, network mode): read by the metadata endpoint. */
  get desired(): TaskSpec {
    return this.spec;
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

  // ---- the event stream's side (EventSink) ----

  /**
   * The engine's event stream is live (again): inspects every container the actor knows of (the
   * first time: the adopted ones) and posts that as a `synced` message, so nothing that happened
   * while no one was listening is missed. The router delivers this task's events after it.
   */
  async sync(signal: AbortSignal): Promise<void> {
    const first = !this.syncPosted;
    const ids = first ? this.adopted : this.runtimeIds();
    const both = AbortSignal.any([signal, this.controller.signal]);
    const states = await this.effects.inspectAll(ids, both);
    this.mailbox.push({ type: 'synced', states, first });
    this.syncPosted = true;
  }

  event(event: RuntimeEvent): void {
    this.mailbox.push({ type: 'event', event });
  }

  // ---- the loop ----

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    try {
      for await (const message of this.mailbox) {
        if (message.type === 'cleanup') {
          await this.effects.cleanUp(this.spec, this.runtimeIds());
          break;
        }
        this.handle(message);
        if (!this.synced) continue;
        this.step();
        if (this.cleanupTimer === undefined && isSettled(this.known)) this.scheduleCleanup();
      }
    } catch (err) {
      if (!signal.aborted) this.failure = err instanceof Error ? err.message : String(err);
    } finally {
      if (this.cleanupTimer !== undefined) clearTimeout(this.cleanupTimer);
      if (this.tick !== undefined) clearTimeout(this.tick.timer);
      this.controller.abort();
    }
  }

  private runtimeIds(): Record<string, string> {
    const ids: Record<string, string> = {};
    for (const [name, k] of Object.entries(this.known.containers))
      if (k.runtimeId !== undefined) ids[name] = k.runtimeId;
    return ids;
  }

  private scheduleCleanup(): void {
    this.cleanupTimer = setTimeout(
      () => this.mailbox.push({ type: 'cleanup' }),
      this.options.config.taskCleanupWaitSeconds * 1000,
    );
    this.cleanupTimer.unref();
  }

  /** Applies the pure decisions, starts the effects they ask for, then reports what changed. */
  private step(): void {
    for (let round = 0; round < 100; round++) {
      const actions = nextActions(this.spec, this.known, this.now());
      const records = actions.filter((a) => a.kind === 'record');
      if (records.length === 0) {
        for (const action of actions) if (action.kind !== 'record') this.execute(action);
        break;
      }
      for (const r of records) this.apply(r.event);
    }
    this.flushReports();
    this.scheduleTick();
  }

  /** Wakes the loop when the next startTimeout runs out (the decision depends on the time). */
  private scheduleTick(): void {
    const at = startTimeouts(this.spec, this.known, this.now()).nextDeadline;
    if (at === this.tick?.at) return;
    if (this.tick !== undefined) clearTimeout(this.tick.timer);
    this.tick = undefined;
    if (at === undefined) return;
    const timer = setTimeout(() => this.mailbox.push({ type: 'tick' }), Math.max(0, at - this.now()) + 1);
    timer.unref();
    this.tick = { at, timer };
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
      case 'synced':
        for (const [name, state] of Object.entries(message.states)) this.reconcile(name, state);
        if (message.first) this.markLostContainers();
        this.synced = true;
        return;
      case 'cleanup':
      case 'tick':
        return;
    }
  }

  /** Folds what an inspect after (re)subscribing found into the known state. */
  private reconcile(name: string, state: ContainerState): void {
    const k = this.known.containers[name];
    if (k === undefined || k.busy !== undefined) return;
    if (state.status === 'removed') {
      if (k.runtime === 'created' || k.runtime === 'running') this.lost(name, state.runtimeId);
      return;
    }
    // A container on the host means its image is present.
    if (k.pull === 'none') this.patch(name, { pull: 'done' });
    if (state.status === 'created') {
      if (k.runtime === 'none') this.patch(name, { runtimeId: state.runtimeId, runtime: 'created' });
      return;
    }
    if (state.oomKilled) this.patch(name, { oomKilled: true });
    this.observe(name, state);
    if (state.status === 'running' && (state.health === 'healthy' || state.health === 'unhealthy'))
      this.apply({
        kind: 'containerHealthChanged',
        container: name,
        healthStatus: state.health === 'healthy' ? 'HEALTHY' : 'UNHEALTHY',
      });
  }

  /** After a restart: a container the control plane saw start, with none on the host, was lost. */
  private markLostContainers(): void {
    for (const name of this.spec.startedContainers ?? []) {
      const k = this.known.containers[name];
      if (k !== undefined && k.runtime === 'none') this.lost(name, undefined);
    }
  }

  private lost(name: string, runtimeId: string | undefined): void {
    this.patch(name, { pull: 'done' });
    this.exited(name, runtimeId, undefined, this.now(), LOST_REASON);
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
  private exited(
    name: string,
    runtimeId: string | undefined,
    exitCode: number | undefined,
    at: number,
    reason?: string,
  ): void {
    const k = this.known.containers[name];
    if (k === undefined) return;
    if (k.runtime !== 'exited') this.patch(name, { runtime: 'exited', runtimeId, finishedAt: at });
    const life = this.known.lifecycle.containers.find((c) => c.name === name);
    if (life?.lastStatus === 'PENDING')
      this.apply({
        kind: 'containerStarted',
        container: name,
        ...(runtimeId !== undefined ? { runtimeId } : {}),
      });
    const oom = this.known.containers[name]?.oomKilled === true;
    const why = reason ?? (oom ? OOM_REASON : undefined);
    this.apply({
      kind: 'containerExited',
      container: name,
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(why !== undefined ? { reason: why } : {}),
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
        void this.effects.pull(container);
        return;
      case 'launch':
        this.patch(container.name, { busy: 'launching' });
        void this.effects.launch(this.spec, container, this.known.containers[container.name]?.runtimeId);
        return;
      case 'stop': {
        const runtimeId = this.known.containers[container.name]?.runtimeId;
        if (runtimeId === undefined) return;
        this.patch(container.name, { busy: 'stopping' });
        void this.effects.stop(container, runtimeId);
        return;
      }
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
    return viewsOf(this.spec, this.known);
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
