import type { AgentConfig } from '../config.js';
import type { Runtime } from '../runtime/runtime.js';
import { TaskRunner, type StateChange, type TaskSnapshot } from './task-runner.js';
import type { AgentAdditions, TaskSpec } from './task-spec.js';

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
}

export class TaskEngine {
  private readonly runners = new Map<string, TaskRunner>();
  /** Tasks whose actors finished (cleaned up), with the last version they saw. */
  private readonly finished = new Map<string, number>();
  private closed = false;

  constructor(private readonly options: EngineOptions) {}

  desire(specs: readonly TaskSpec[]): void {
    if (this.closed) return;
    for (const spec of specs) {
      const runner = this.runners.get(spec.taskArn);
      if (runner !== undefined) {
        runner.desire(spec);
        continue;
      }
      if (this.finished.has(spec.taskArn) || spec.desiredStatus === 'STOPPED') continue;
      const created = new TaskRunner(spec, this.options);
      this.runners.set(spec.taskArn, created);
      void created.done.then(() => {
        if (this.closed || this.runners.get(spec.taskArn) !== created) return;
        this.runners.delete(spec.taskArn);
        this.finished.set(spec.taskArn, created.version);
      });
    }
  }

  /** Every task the engine is running or has not cleaned up yet. */
  tasks(): TaskSnapshot[] {
    return [...this.runners.values()].map((r) => r.snapshot());
  }

  task(taskArn: string): TaskSnapshot | undefined {
    return this.runners.get(taskArn)?.snapshot();
  }

  /** Ends every actor; containers keep running (the agent re-attaches after a restart). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.runners.values()].map((r) => r.close()));
  }
}
