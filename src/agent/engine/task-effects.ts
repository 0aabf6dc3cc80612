import type { AgentConfig } from '../config.js';
import {
  isRuntimeError,
  type ContainerState,
  type EnsuredImage,
  type Runtime,
  type RuntimeErrorCode,
} from '../runtime/runtime.js';
import {
  containerSpecFor,
  removalOrder,
  stopTimeoutOf,
  taskScopedVolumes,
  type AgentAdditions,
  type TaskContainerSpec,
  type TaskSpec,
} from './task-spec.js';

/**
 * The effects one task's actor asks for, executed over the Runtime: pull, create + start, stop,
 * inspect, and the cleanup (containers, then the task's own volumes). Each outcome is posted back
 * to the actor's mailbox as a message; nothing here holds or decides task state.
 */

export type EffectOptions = {
  readonly runtime: Runtime;
  readonly config: Pick<
    AgentConfig,
    'disablePrivileged' | 'containerStopTimeoutSeconds' | 'imagePullBehavior' | 'taskCleanupWaitSeconds'
  >;
  readonly additions?: AgentAdditions;
};

/** What an effect reports back, by container name. */
export type Outcome =
  | { readonly type: 'pulled'; readonly container: string; readonly image: EnsuredImage }
  | { readonly type: 'pullFailed'; readonly container: string; readonly error: unknown }
  | { readonly type: 'created'; readonly container: string; readonly runtimeId: string }
  | { readonly type: 'launched'; readonly container: string; readonly state: ContainerState }
  | { readonly type: 'launchFailed'; readonly container: string; readonly error: unknown }
  | { readonly type: 'stopped'; readonly container: string; readonly state: ContainerState }
  | { readonly type: 'stopFailed'; readonly container: string };

/** A runtime failure as ECS's reason text: the error code first (`CannotPullContainerError: …`). */
export function reasonOf(err: unknown, fallback: RuntimeErrorCode): string {
  const code = isRuntimeError(err) ? err.code : fallback;
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(code) || message.startsWith('Cannot') ? message : `${code}: ${message}`;
}

export class TaskEffects {
  constructor(
    private readonly options: EffectOptions,
    /** Aborted when the actor ends: every call in flight is abandoned. */
    private readonly signal: AbortSignal,
    private readonly post: (outcome: Outcome) => void,
  ) {}

  async pull(container: TaskContainerSpec): Promise<void> {
    const { runtime, config } = this.options;
    try {
      const image = await runtime.ensureImage(container.image, config.imagePullBehavior, {
        signal: this.signal,
      });
      this.post({ type: 'pulled', container: container.name, image });
    } catch (error) {
      this.post({ type: 'pullFailed', container: container.name, error });
    }
  }

  /** Creates the container (unless `existing`), starts it and inspects it. */
  async launch(task: TaskSpec, container: TaskContainerSpec, existing: string | undefined): Promise<void> {
    const { runtime, config, additions } = this.options;
    const signal = this.signal;
    try {
      let runtimeId = existing;
      if (runtimeId === undefined) {
        runtimeId = await runtime.create(containerSpecFor(task, container, config, additions), { signal });
        // The start request goes out before the actor reports the new id: that report is an API
        // call whose work on the event loop would otherwise delay it.
        const started = runtime.start(runtimeId, { signal });
        this.post({ type: 'created', container: container.name, runtimeId });
        await started;
      } else await runtime.start(runtimeId, { signal });
      const state = await runtime.inspect(runtimeId, { signal });
      this.post({ type: 'launched', container: container.name, state });
    } catch (error) {
      this.post({ type: 'launchFailed', container: container.name, error });
    }
  }

  /** SIGTERM, SIGKILL after the container's stop timeout; a failure is retried after a pause. */
  async stop(container: TaskContainerSpec, runtimeId: string): Promise<void> {
    const { runtime, config } = this.options;
    const signal = this.signal;
    try {
      await runtime.stop(runtimeId, stopTimeoutOf(container, config), { signal });
      const state = await runtime.inspect(runtimeId, { signal });
      this.post({ type: 'stopped', container: container.name, state });
    } catch {
      // Retried on the next step after a pause; the die event may also settle it meanwhile.
      if (signal.aborted) return;
      setTimeout(() => this.post({ type: 'stopFailed', container: container.name }), 1000).unref();
    }
  }

  /** What the runtime holds now for each container (name → runtime id). Throws when it does not answer. */
  async inspectAll(
    ids: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<Record<string, ContainerState>> {
    const states: Record<string, ContainerState> = {};
    for (const [name, runtimeId] of Object.entries(ids))
      states[name] = await this.options.runtime.inspect(runtimeId, { signal });
    return states;
  }

  /**
   * The cleanup after the wait: the task's containers (those mounting another's volumes first),
   * then its task-scoped volumes. Best effort: what is left carries the task's labels or name, so
   * the restart sweep (containers) or an operator (volumes) finds it.
   */
  async cleanUp(task: TaskSpec, runtimeIds: Readonly<Record<string, string>>): Promise<void> {
    const { runtime } = this.options;
    for (const name of removalOrder(task)) {
      const runtimeId = runtimeIds[name];
      if (runtimeId === undefined) continue;
      try {
        await runtime.remove(runtimeId, { signal: this.signal });
      } catch {
        // Best effort (see above).
      }
    }
    for (const volume of taskScopedVolumes(task)) {
      try {
        await runtime.removeVolume(volume, { signal: this.signal });
      } catch {
        // In use (a container outside the task mounted it) or the engine is away: left behind.
      }
    }
  }
}
