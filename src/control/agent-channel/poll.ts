import type { TaskDefinition, TaskOverride } from '@aws-sdk/client-ecs';
import type { ContainerInstanceRecord } from '../../core/ecs/container-instance.js';
import type { RequestedStopCode } from '../../core/ecs/task-lifecycle.js';
import {
  desiredVersionOf,
  gpuAssociations,
  type TaskAssociation,
  type TaskRecord,
} from '../../core/ecs/task.js';
import { invalidParameter } from '../../core/fault.js';
import { agentDesiredStatus } from '../../core/ecs/task-lifecycle.js';
import type { ControlDeps } from '../context.js';
import type { ClusterOperations } from '../ecs/clusters.js';
import type { TaskDefinitionOperations } from '../ecs/task-definitions.js';
import { requireAgentInstance } from './instance.js';
import { InstanceNotifier } from './notifier.js';

/**
 * The control-plane side of the agent channel: `Poll` (BerthAgentV1.Poll), a long poll that hands
 * an agent every task assigned to its instance that is not STOPPED, and the heartbeat it carries.
 *
 * - Poll answers at once when the agent's `knownVersions` differ from the stored tasks (a task it
 *   does not know, a newer version, or a known task that is gone or STOPPED); otherwise it waits on
 *   the `InstanceNotifier` up to `waitSeconds` and answers on the first change, or at the timeout.
 *   An answer describes in full only the tasks the agent does not know at their version; the rest
 *   are named in `unchanged` (a host of many tasks is not sent all of them for every change).
 * - Every Poll is a heartbeat: the instance's last-seen time is kept **in memory, per process**
 *   (`lastSeen`), and `agentConnected` is set true (versioned write) when it was false.
 * - `sweep()` is level-triggered: every ACTIVE/DRAINING instance with `agentConnected` true that this
 *   process has not seen within `DISCONNECT_AFTER_MS` is set false. An instance never seen by this
 *   process counts as seen when the process started (one grace period after a restart).
 */

export const MAX_WAIT_SECONDS = 20;
/** Three poll periods. */
export const DISCONNECT_AFTER_MS = 3 * MAX_WAIT_SECONDS * 1000;
/** How often the composition root runs `sweep()`. */
export const SWEEP_EVERY_MS = 10_000;
const MAX_INSTANCES = 100_000;
const CLUSTER_PAGE = 100;

export interface PollInput {
  readonly cluster?: string;
  readonly containerInstanceArn?: string;
  readonly knownVersions?: Readonly<Record<string, number>>;
  readonly waitSeconds?: number;
}

export interface AgentTask {
  readonly taskArn: string;
  readonly version: number;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly stopCode?: RequestedStopCode;
  readonly stoppedReason?: string;
  /** The cluster's name. */
  readonly cluster: string;
  readonly taskDefinition: TaskDefinition;
  readonly overrides: TaskOverride;
  /**
   * The containers this task's reports already showed started (RUNNING or STOPPED). An agent that
   * restarts and finds no container for one of these knows it was lost, not never created.
   */
  readonly startedContainers: string[];
  /** The GPUs placement pinned to the task's containers (only when it has some). */
  readonly associations?: TaskAssociation[];
}

export interface PollOutput {
  /** The instance's tasks the agent does not know at their current version, in full. */
  readonly tasks: AgentTask[];
  /**
   * The instance's tasks the agent listed in `knownVersions` at their current version: only their
   * ARNs, since the agent already holds them. Together with `tasks`, every task assigned here.
   */
  readonly unchanged: string[];
}

export class AgentChannelOperations {
  readonly notifier: InstanceNotifier;
  private readonly lastSeen = new Map<string, number>();
  private readonly startedAt: number;

  constructor(
    private readonly deps: ControlDeps,
    private readonly clusters: ClusterOperations,
    private readonly taskDefinitions: TaskDefinitionOperations,
  ) {
    this.notifier = deps.notifier ?? new InstanceNotifier();
    this.startedAt = deps.now();
  }

  async poll(input: PollInput, signal?: AbortSignal): Promise<PollOutput> {
    const waitSeconds = input.waitSeconds ?? MAX_WAIT_SECONDS;
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
      throw invalidParameter(
        `waitSeconds must be an integer from 0 to ${MAX_WAIT_SECONDS}, not ${waitSeconds}.`,
      );
    }
    const cluster = await this.clusters.require(input.cluster);
    const instance = await requireAgentInstance(this.deps, cluster.name, input.containerInstanceArn);
    const arn = instance.arn;
    await this.heartbeat(instance);
    const known = input.knownVersions ?? {};
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const remaining = deadline - Date.now();
      const subscription = this.notifier.subscribe(arn, Math.max(0, remaining));
      // Versions first (an index read): only the tasks the agent does not hold are read in full.
      const versions = await this.deps.store.tasks.activeVersionsOn(arn);
      if (remaining <= 0 || this.notifier.isClosed || signal?.aborted === true || differs(versions, known)) {
        subscription.cancel();
        const unchanged = versions.filter((v) => known[v.arn] === v.desiredVersion).map((v) => v.arn);
        const stale = versions.filter((v) => known[v.arn] !== v.desiredVersion).map((v) => v.arn);
        // Re-checked on the full rows: a task that moved on since is sent as it is now, and one that
        // reached STOPPED in between is left out (the agent stops what is not listed).
        const changed = (await this.deps.store.tasks.byArns(stale)).filter(
          (t) => t.containerInstanceArn === arn && t.state.lastStatus !== 'STOPPED',
        );
        const definitions = new Map<string, Promise<TaskDefinition>>();
        return {
          tasks: await Promise.all(changed.map((t) => this.agentTask(t, definitions))),
          unchanged,
        };
      }
      await subscription.changed;
    }
  }

  /**
   * Level-triggered: instances marked connected that this process has not heard from within
   * DISCONNECT_AFTER_MS are marked disconnected. A lost version race is left to the next sweep.
   */
  async sweep(): Promise<number> {
    const now = this.deps.now();
    let after: string | undefined;
    let turnedOff = 0;
    for (;;) {
      const page = await this.deps.store.clusters.listActive(after, CLUSTER_PAGE);
      for (const cluster of page) {
        const instances = await this.deps.store.containerInstances.list({
          cluster: cluster.name,
          limit: MAX_INSTANCES,
        });
        for (const instance of instances) {
          if (!instance.agentConnected) continue;
          const seen = this.lastSeen.get(instance.arn) ?? this.startedAt;
          if (now - seen < DISCONNECT_AFTER_MS) continue;
          const next: ContainerInstanceRecord = {
            ...instance,
            agentConnected: false,
            version: instance.version + 1,
          };
          if (await this.deps.store.containerInstances.update(next)) {
            this.lastSeen.delete(instance.arn);
            turnedOff++;
          }
        }
      }
      if (page.length < CLUSTER_PAGE) return turnedOff;
      after = page.at(-1)?.name;
    }
  }

  private async heartbeat(instance: ContainerInstanceRecord): Promise<void> {
    this.lastSeen.set(instance.arn, this.deps.now());
    let current: ContainerInstanceRecord | undefined = instance;
    // A lost race re-reads; after a few losses the next Poll tries again.
    for (let attempt = 0; attempt < 5 && current && !current.agentConnected; attempt++) {
      if (current.status === 'INACTIVE') return;
      const next = { ...current, agentConnected: true, version: current.version + 1 };
      if (await this.deps.store.containerInstances.update(next)) return;
      current = await this.deps.store.containerInstances.byArn(instance.arn);
    }
  }

  /** One task as the agent sees it; `definitions` shares lookups within one answer. */
  private async agentTask(
    task: TaskRecord,
    definitions: Map<string, Promise<TaskDefinition>>,
  ): Promise<AgentTask> {
    let pending = definitions.get(task.taskDefinitionArn);
    if (!pending) {
      pending = this.taskDefinitions.require(task.taskDefinitionArn);
      definitions.set(task.taskDefinitionArn, pending);
    }
    const definition = await pending;
    const { state } = task;
    const associations = gpuAssociations(task);
    const stopCode =
      state.stopCode === 'TaskFailedToStart' || state.stopCode === 'EssentialContainerExited'
        ? undefined
        : state.stopCode;
    return {
      taskArn: task.arn,
      version: desiredVersionOf(task),
      desiredStatus: agentDesiredStatus(state),
      ...(stopCode !== undefined ? { stopCode } : {}),
      ...(state.stoppedReason !== undefined ? { stoppedReason: state.stoppedReason } : {}),
      cluster: task.cluster,
      taskDefinition: definition,
      overrides: task.overrides,
      startedContainers: state.containers.filter((c) => c.lastStatus !== 'PENDING').map((c) => c.name),
      ...(associations.length > 0 ? { associations } : {}),
    };
  }
}

/** Whether the agent's view (`known`) differs from the tasks the instance holds now. */
function differs(
  tasks: readonly { readonly arn: string; readonly desiredVersion: number }[],
  known: Readonly<Record<string, number>>,
): boolean {
  const current = new Set<string>();
  for (const task of tasks) {
    current.add(task.arn);
    if (known[task.arn] !== task.desiredVersion) return true;
  }
  return Object.keys(known).some((arn) => !current.has(arn));
}
