import type { AgentConfig } from '../config.js';
import type { LabelSelector } from '../runtime/labels.js';
import type { ContainerSummary, Runtime } from '../runtime/runtime.js';
import { EventRouter } from './event-router.js';
import { TaskRunner, type StateChange, type TaskSnapshot } from './task-runner.js';
import { ECS_LABELS, type AgentAdditions, type TaskSpec } from './task-spec.js';

/**
 * The task manager: keeps one `TaskRunner` (actor) per task and routes specs to them. It owns no
 * task state itself — only the map from task ARN to its actor — so tasks never share state.
 *
 * `desire(specs)` is level-triggered: the channel hands over every task assigned to this host each
 * time, and calling it twice with the same specs does nothing new. A task seen for the first time
 * gets an actor (unless it is already meant to be STOPPED: nothing to run); a known task gets the
 * spec when its `version` is newer; stale and repeated versions are ignored. A task missing from a
 * call is left alone (the control plane stops a task by sending desiredStatus STOPPED, not by
 * omitting it). Once an actor has cleaned up, its task is remembered so a late spec cannot start it
 * again.
 *
 * After an agent restart, `adopt` hands over the containers this agent left on the host (found by
 * its labels) before the first `desire`: the actor of each task takes its containers over instead
 * of creating new ones. Whatever the first `desire` does not claim belongs to no task the control
 * plane still assigns here, and is stopped and removed.
 *
 * The engine holds the agent's one subscription to the runtime's container events (`EventRouter`),
 * opened when the engine is built: each actor gets its task's events from it, and a `sync` (a fresh
 * inspect of its containers) each time the stream becomes live — at start, after a dockerd restart,
 * or at once when the actor is created while the stream is live.
 */

export interface EngineOptions {
  readonly runtime: Runtime;
  readonly config: Pick<
    AgentConfig,
    'disablePrivileged' | 'containerStopTimeoutSeconds' | 'imagePullBehavior' | 'taskCleanupWaitSeconds'
  >;
  /** Every change of a task or container, once (the future SubmitTask/ContainerStateChange). */
  readonly report: (change: StateChange) => void;
  readonly now?: () => number;
  /** The agent's own labels and environment for every container it creates. */
  readonly additions?: AgentAdditions;
  /**
   * The event subscription's label filter: what marks this agent's containers (its host label);
   * default every container with ECS's task-arn label. Events are routed by the task-arn label.
   */
  readonly eventLabels?: LabelSelector;
}

export class TaskEngine {
  private readonly runners = new Map<string, TaskRunner>();
  /** Tasks whose actors finished (cleaned up), with the last version they saw. */
  private readonly finished = new Map<string, number>();
  private closed = false;
  /** Adopted containers not yet claimed by an actor: task ARN → container name → runtime id. */
  private adoptable = new Map<string, Record<string, string>>();
  private orphansSwept: Promise<void> | undefined;
  private readonly events: EventRouter;

  constructor(private readonly options: EngineOptions) {
    this.events = new EventRouter({
      runtime: options.runtime,
      ...(options.eventLabels !== undefined ? { labels: options.eventLabels } : {}),
    });
    this.events.start();
  }

  /** Containers found on the host at start, for the actors of their tasks to take over. */
  adopt(containers: readonly ContainerSummary[]): void {
    for (const c of containers) {
      const taskArn = c.labels[ECS_LABELS.taskArn];
      const name = c.labels[ECS_LABELS.containerName];
      if (taskArn === undefined || name === undefined) continue;
      const own = this.adoptable.get(taskArn) ?? {};
      own[name] = c.runtimeId;
      this.adoptable.set(taskArn, own);
    }
  }

  desire(specs: readonly TaskSpec[]): void {
    if (this.closed) return;
    for (const spec of specs) {
      const runner = this.runners.get(spec.taskArn);
      if (runner !== undefined) {
        runner.desire(spec);
        continue;
      }
      const adopted = this.adoptable.get(spec.taskArn);
      this.adoptable.delete(spec.taskArn);
      if (this.finished.has(spec.taskArn)) continue;
      // A task meant to stop with nothing here to stop needs no actor — unless the control plane
      // saw its containers start (an agent restart lost them): then the actor reports them lost.
      const hasWork = adopted !== undefined || (spec.startedContainers?.length ?? 0) > 0;
      if (spec.desiredStatus === 'STOPPED' && !hasWork) continue;
      const created = new TaskRunner(spec, this.options, adopted);
      this.runners.set(spec.taskArn, created);
      const detach = this.events.attach(spec.taskArn, created);
      void created.done.then(() => {
        detach();
        if (this.closed || this.runners.get(spec.taskArn) !== created) return;
        this.runners.delete(spec.taskArn);
        this.finished.set(spec.taskArn, created.version);
      });
    }
    this.orphansSwept ??= this.removeOrphans();
  }

  /** Settles once the containers no task claimed (after the first `desire`) are gone. */
  orphansRemoved(): Promise<void> {
    return this.orphansSwept ?? Promise.resolve();
  }

  private async removeOrphans(): Promise<void> {
    const orphans = [...this.adoptable.values()].flatMap((byName) => Object.values(byName));
    this.adoptable = new Map();
    const { runtime, config } = this.options;
    await Promise.all(
      orphans.map(async (runtimeId) => {
        try {
          await runtime.stop(runtimeId, config.containerStopTimeoutSeconds);
          await runtime.remove(runtimeId);
        } catch {
          // Best effort: the next agent start finds it again.
        }
      }),
    );
  }

  /** Every task the engine is running or has not cleaned up yet. */
  tasks(): TaskSnapshot[] {
    return [...this.runners.values()].map((r) => r.snapshot());
  }

  task(taskArn: string): TaskSnapshot | undefined {
    return this.runners.get(taskArn)?.snapshot();
  }

  /**
   * The narrow read the task metadata endpoint needs: every task with the spec it runs beside its
   * snapshot (family, revision, limits and network mode are in the spec, statuses in the snapshot).
   */
  described(): { readonly spec: TaskSpec; readonly snapshot: TaskSnapshot }[] {
    return [...this.runners.values()].map((r) => ({ spec: r.desired, snapshot: r.snapshot() }));
  }

  /** Ends every actor; containers keep running (the agent re-attaches after a restart). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.runners.values()].map((r) => r.close()));
    await this.events.close();
  }
}
