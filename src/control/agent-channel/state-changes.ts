import type { SubmitTaskStateChangeRequest } from '@aws-sdk/client-ecs';
import type { TaskRecord } from '../../core/ecs/task.js';
import { applyReport, unknownContainer, type TaskReport } from '../../core/ecs/task-report.js';
import { Fault, invalidParameter } from '../../core/fault.js';
import type { ControlDeps } from '../context.js';
import type { ClusterOperations } from '../ecs/clusters.js';
import { LostRace } from '../ecs/task-launch.js';
import { taskReportOf } from '../ecs/task-report-input.js';
import { writeTaskChange } from '../ecs/tasks.js';
import { LOST, retryOnConflict } from '../optimistic.js';
import { requireAgentInstance } from './instance.js';

/**
 * `BerthAgentV1.SubmitStateChanges`: an agent's task and container state changes, for many tasks
 * in one call. Each entry reads as ECS's SubmitTaskStateChange does (task status, reason, pull
 * times, container changes); Berth's agent sends what it has queued in one call and the control
 * plane applies it in one transaction — one signed request and one commit for what ECS's public
 * operations take one call per task (and often per container) to carry. SubmitTaskStateChange and
 * SubmitContainerStateChange stay for other clients.
 *
 * - request `{ cluster, containerInstanceArn, changes: [{ task, status?, reason?, pullStartedAt?,
 *   pullStoppedAt?, containers?: [{ containerName, status?, runtimeId?, exitCode?, reason?,
 *   imageDigest?, networkBindings? }] }] }`, answered `{ refused: [{ index, task, code, message }] }`;
 * - an unknown cluster is ClusterNotFoundException and an instance not registered in it
 *   ClientException (as Poll): nothing is applied;
 * - entries are applied in order (one task may appear more than once: a container's RUNNING, then
 *   its STOPPED). An entry naming a task that is not a task on this instance, a container the task
 *   does not have, or a status outside PENDING/RUNNING/STOPPED is refused alone
 *   (InvalidParameterException in `refused`, the agent drops it); the others are applied;
 * - a lost version race (a StopTask at the same moment) retries the whole call's transaction, so
 *   it is applied whole or not at all.
 */
export const MAX_STATE_CHANGES = 100;

export interface StateChangeInput extends Omit<SubmitTaskStateChangeRequest, 'cluster'> {
  readonly task?: string;
}

export interface SubmitStateChangesInput {
  readonly cluster?: string;
  readonly containerInstanceArn?: string;
  readonly changes?: readonly StateChangeInput[];
}

export interface RefusedChange {
  /** The entry's position in `changes`. */
  readonly index: number;
  readonly task: string;
  readonly code: string;
  readonly message: string;
}

export interface SubmitStateChangesOutput {
  readonly refused: readonly RefusedChange[];
}

type Entry = { readonly index: number; readonly task: string } & (
  { readonly report: TaskReport } | { readonly refusal: Fault }
);

export class AgentStateChangeOperations {
  constructor(
    private readonly deps: ControlDeps,
    private readonly clusters: ClusterOperations,
  ) {}

  async submitStateChanges(input: SubmitStateChangesInput): Promise<SubmitStateChangesOutput> {
    const cluster = await this.clusters.require(input.cluster);
    const instance = await requireAgentInstance(this.deps, cluster.name, input.containerInstanceArn);
    const changes = input.changes ?? [];
    if (changes.length > MAX_STATE_CHANGES) {
      throw invalidParameter(`changes can have at most ${MAX_STATE_CHANGES} entries, not ${changes.length}.`);
    }
    const entries = changes.map((change, index): Entry => {
      const task = change.task ?? '';
      try {
        return { index, task, report: taskReportOf(change, invalidParameter) };
      } catch (error) {
        if (error instanceof Fault) return { index, task, refusal: error };
        throw error;
      }
    });
    const { refused, wake } = await retryOnConflict(
      async () => {
        try {
          return await this.deps.store.transaction(async (repos) => {
            const tasks = new Map(
              (await repos.tasks.byArns(entries.map((e) => e.task))).map((t) => [t.arn, t]),
            );
            const refused: RefusedChange[] = [];
            let wake = false;
            for (const entry of entries) {
              const current = tasks.get(entry.task);
              const refusal = 'refusal' in entry ? entry.refusal : refusalOf(entry, current, instance.arn);
              if (refusal !== undefined || current === undefined || !('report' in entry)) {
                const fault = refusal ?? notFound(entry.task);
                refused.push({
                  index: entry.index,
                  task: entry.task,
                  code: fault.code,
                  message: fault.message,
                });
                continue;
              }
              const next = await writeTaskChange(
                repos,
                current,
                applyReport(current, entry.report, this.deps.now()),
              );
              // The agent must act on a change of what it should do (an essential container's exit
              // stops the task): its held Poll is woken, as for SubmitTaskStateChange.
              if (next !== current && next.desiredVersion === next.version) wake = true;
              tasks.set(next.arn, next);
            }
            return { refused, wake };
          });
        } catch (error) {
          if (error instanceof LostRace) return LOST;
          throw error;
        }
      },
      () =>
        new Fault(
          'ServerException',
          `Tasks on '${instance.arn}' are being changed by other requests; retry.`,
        ),
    );
    if (wake) this.deps.notifier?.signal(instance.arn);
    return { refused };
  }
}

/** Why an entry cannot apply to `task` (undefined: it can). */
function refusalOf(
  entry: { readonly task: string; readonly report: TaskReport },
  task: TaskRecord | undefined,
  instanceArn: string,
): Fault | undefined {
  if (task === undefined) return notFound(entry.task);
  if (task.containerInstanceArn !== instanceArn) {
    return invalidParameter(`Task '${entry.task}' is not on container instance '${instanceArn}'.`);
  }
  const unknown = unknownContainer(task.containers, entry.report);
  if (unknown !== undefined)
    return invalidParameter(`Container '${unknown}' is not a container of task '${task.arn}'.`);
  return undefined;
}

function notFound(task: string): Fault {
  return invalidParameter(`The referenced task was not found: '${task}'.`);
}
