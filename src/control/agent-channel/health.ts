import type { HealthStatus } from '../../core/ecs/task-lifecycle.js';
import type { TaskRecord } from '../../core/ecs/task.js';
import { unknownContainer, type ContainerHealthReport } from '../../core/ecs/task-report.js';
import { invalidParameter } from '../../core/fault.js';
import type { ControlDeps } from '../context.js';
import type { ClusterOperations } from '../ecs/clusters.js';
import type { TaskOperations } from '../ecs/tasks.js';
import { requireAgentInstance } from './instance.js';

/**
 * `BerthAgentV1.SubmitHealth`: the agent's containers' health check results. ECS's public
 * SubmitContainerStateChange / SubmitTaskStateChange have no health member (the ECS agent sends
 * health over its telemetry session), so Berth's agent sends it here, on the channel Poll uses.
 *
 * - request `{ cluster, containerInstanceArn, tasks: [{ taskArn, containers: [{ containerName,
 *   healthStatus: HEALTHY | UNHEALTHY | UNKNOWN }] }] }`, answered `{ acknowledgment: 'ACK' }`;
 * - every reference is checked before anything is written, so a bad call changes nothing: an
 *   unknown cluster is ClusterNotFoundException, an instance that is not registered in it
 *   ClientException (as Poll), a task that is not a full ARN of a task on that instance, or a
 *   container the task does not have, InvalidParameterException;
 * - each task's report goes through the lifecycle reducer's `containerHealthChanged`
 *   (`TaskOperations.reportHealth`, the versioned `changeTask`); the task's `healthStatus` follows
 *   from its essential containers'. The desired status does not change, so no held Poll wakes.
 * - a task already STOPPED is skipped (its health is final; an agent racing a stop is normal), as
 *   is a container without a health check or not started yet (the reducer leaves it UNKNOWN).
 */

export const MAX_HEALTH_TASKS = 100;
export const MAX_HEALTH_CONTAINERS = 100;

export interface ContainerHealthInput {
  readonly containerName?: string;
  readonly healthStatus?: HealthStatus;
}

export interface TaskHealthInput {
  readonly taskArn?: string;
  readonly containers?: readonly ContainerHealthInput[];
}

export interface SubmitHealthInput {
  readonly cluster?: string;
  readonly containerInstanceArn?: string;
  readonly tasks?: readonly TaskHealthInput[];
}

export interface SubmitHealthOutput {
  readonly acknowledgment: 'ACK';
}

export class AgentHealthOperations {
  constructor(
    private readonly deps: ControlDeps,
    private readonly clusters: ClusterOperations,
    private readonly tasks: TaskOperations,
  ) {}

  async submitHealth(input: SubmitHealthInput): Promise<SubmitHealthOutput> {
    const cluster = await this.clusters.require(input.cluster);
    const instance = await requireAgentInstance(this.deps, cluster.name, input.containerInstanceArn);
    const reports = input.tasks ?? [];
    if (reports.length > MAX_HEALTH_TASKS) {
      throw invalidParameter(`tasks can have at most ${MAX_HEALTH_TASKS} entries, not ${reports.length}.`);
    }
    // Check everything first: a call with one bad reference changes nothing.
    const checked: { task: TaskRecord; health: ContainerHealthReport[] }[] = [];
    for (const report of reports) {
      const taskArn = report.taskArn ?? '';
      const containers = report.containers ?? [];
      if (containers.length > MAX_HEALTH_CONTAINERS) {
        throw invalidParameter(
          `containers can have at most ${MAX_HEALTH_CONTAINERS} entries, not ${containers.length}.`,
        );
      }
      const task = await this.deps.store.tasks.byArn(taskArn);
      if (!task || task.cluster !== cluster.name) {
        throw invalidParameter(`The referenced task was not found: '${taskArn}'.`);
      }
      if (task.containerInstanceArn !== instance.arn) {
        throw invalidParameter(`Task '${taskArn}' is not on container instance '${instance.arn}'.`);
      }
      const health = containers.map((c): ContainerHealthReport => ({
        name: c.containerName ?? '',
        healthStatus: c.healthStatus ?? 'UNKNOWN',
      }));
      const unknown = unknownContainer(task.containers, { containers: health });
      if (unknown !== undefined) {
        throw invalidParameter(`Container '${unknown}' is not a container of task '${taskArn}'.`);
      }
      checked.push({ task, health });
    }
    for (const { task, health } of checked) {
      if (task.state.lastStatus === 'STOPPED' || health.length === 0) continue;
      await this.tasks.reportHealth(task.arn, health);
    }
    return { acknowledgment: 'ACK' };
  }
}
