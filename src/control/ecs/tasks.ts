import type {
  DescribeTasksRequest,
  DescribeTasksResponse,
  Failure,
  ListTasksRequest,
  ListTasksResponse,
  RunTaskRequest,
  RunTaskResponse,
  StartTaskRequest,
  StartTaskResponse,
  StopTaskRequest,
  SubmitContainerStateChangeRequest,
  SubmitContainerStateChangeResponse,
  SubmitTaskStateChangeRequest,
  SubmitTaskStateChangeResponse,
  Task,
} from '@aws-sdk/client-ecs';
import { randomBytes } from 'node:crypto';
import type { ContainerInstanceRecord } from '../../core/ecs/container-instance.js';
import {
  MAX_TASKS_PER_CALL,
  adjustRemaining,
  desiredVersionOf,
  heldBy,
  taskView,
  type TaskDoc,
  type TaskRecord,
} from '../../core/ecs/task.js';
import {
  applyHealth,
  applyReport,
  unknownContainer,
  type ContainerHealthReport,
  type ContainerReport,
  type TaskReport,
} from '../../core/ecs/task-report.js';
import { optional, reportedStatus, taskReportOf } from './task-report-input.js';
import { agentDesiredStatus, nextTaskState } from '../../core/ecs/task-lifecycle.js';
import { Fault, clientFault, invalidParameter } from '../../core/fault.js';
import { decodeToken, page, pageSize } from '../../core/pagination.js';
import { place } from '../../core/placement/place.js';
import type { Repositories, TokenResult } from '../../store/index.js';
import type { ControlDeps } from '../context.js';
import { LOST, retryOnConflict } from '../optimistic.js';
import {
  LostRace,
  commitLaunch,
  decideRun,
  type Decide,
  prepareLaunch,
  prepareRun,
  type Launch,
} from './task-launch.js';
import { type ClusterOperations } from './clusters.js';
import type { TaskDefinitionOperations } from './task-definitions.js';
import {
  clusterArn,
  containerInstanceArn,
  parseContainerInstanceRef,
  parseTaskRef,
  taskArn,
  resolveInCluster,
} from './refs.js';

const MAX_DESCRIBE = 100;
/**
 * Tasks: RunTask and StartTask (placement and the commit of its plan), DescribeTasks, ListTasks
 * and StopTask, and the agent's reports on them (SubmitTaskStateChange, SubmitContainerStateChange).
 * Nothing here talks to a host: tasks stay PENDING until an agent reports on them.
 */
export class TaskOperations {
  constructor(
    private readonly deps: ControlDeps,
    private readonly clusters: ClusterOperations,
    private readonly taskDefinitions: TaskDefinitionOperations,
  ) {}

  async run(input: RunTaskRequest): Promise<RunTaskResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const prepared = await prepareRun(this.deps, this.taskDefinitions, cluster.name, input);
    const cached = await this.cached(prepared.launch);
    if (cached) return cached;
    const seed = randomBytes(8).toString('hex');
    return this.launch(
      prepared.launch,
      (snapshot, cluster) => decideRun(snapshot, prepared, seed, cluster).decision,
    );
  }

  /** StartTask: one task on each named instance (which must be able to take it). */
  async start(input: StartTaskRequest): Promise<StartTaskResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const refs = input.containerInstances ?? [];
    if (refs.length === 0 || refs.length > MAX_TASKS_PER_CALL) {
      throw invalidParameter(`containerInstances must name 1 to ${MAX_TASKS_PER_CALL} container instances.`);
    }
    const targets = refs.map((ref) => {
      const parsed = parseContainerInstanceRef(ref, this.deps.scope);
      return {
        ref,
        arn:
          parsed.cluster === undefined || parsed.cluster === cluster.name
            ? containerInstanceArn(this.deps.scope, cluster.name, parsed.id)
            : undefined,
      };
    });
    const launch = await prepareLaunch(this.deps, this.taskDefinitions, cluster.name, input);
    const cached = await this.cached(launch);
    if (cached) return cached;
    const seed = randomBytes(8).toString('hex');
    return this.launch(launch, (snapshot) => {
      const byArn = new Map(snapshot.map((s) => [s.id, s]));
      const placements: string[] = [];
      const failures: Failure[] = [];
      for (const target of targets) {
        const instance = target.arn === undefined ? undefined : byArn.get(target.arn);
        if (!instance) {
          failures.push({ arn: target.ref, reason: 'MISSING' });
          continue;
        }
        const plan = place([instance], launch.demand, 1, [], seed);
        const taken = plan.instances[0];
        if (plan.failure || !taken) {
          failures.push({
            arn: instance.id,
            reason: plan.failure?.reason ?? 'MISSING',
            ...(plan.failure ? { detail: plan.failure.detail } : {}),
          });
          continue;
        }
        byArn.set(instance.id, taken); // naming an instance twice takes from it twice
        placements.push(instance.id);
      }
      return { placements, failures };
    });
  }

  async describe(input: DescribeTasksRequest): Promise<DescribeTasksResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const refs = input.tasks ?? [];
    if (refs.length === 0) throw invalidParameter('tasks must name at least one task.');
    if (refs.length > MAX_DESCRIBE)
      throw invalidParameter(`At most ${MAX_DESCRIBE} tasks can be described at once.`);
    const { found, failures } = await this.resolve(cluster.name, refs);
    const withTags = input.include?.includes('TAGS') ?? false;
    const tasks: Task[] = [];
    for (const record of new Map(found.map((r) => [r.arn, r])).values()) {
      tasks.push(await this.view(record, withTags));
    }
    return { tasks, failures };
  }

  async list(input: ListTasksRequest): Promise<ListTasksResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const limit = pageSize(input.maxResults);
    const token = decodeToken(input.nextToken);
    const [afterId] = token ?? [];
    if (token !== undefined && (token.length !== 1 || typeof afterId !== 'string')) {
      throw invalidParameter('Invalid nextToken: it must be a token returned by a previous call.');
    }
    // ECS: filtering on a desired status of PENDING returns nothing (no task is desired PENDING).
    if (input.desiredStatus === 'PENDING') return { taskArns: [] };
    if (input.family !== undefined && input.serviceName !== undefined) {
      throw invalidParameter('family and serviceName cannot be used together.');
    }
    let instanceArn: string | undefined;
    if (input.containerInstance !== undefined) {
      const parsed = parseContainerInstanceRef(input.containerInstance, this.deps.scope);
      instanceArn = containerInstanceArn(this.deps.scope, parsed.cluster ?? cluster.name, parsed.id);
    }
    const rows = await this.deps.store.tasks.list({
      cluster: cluster.name,
      desiredStatus: input.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      ...(instanceArn !== undefined ? { containerInstanceArn: instanceArn } : {}),
      ...(input.family !== undefined ? { family: input.family } : {}),
      ...(input.startedBy !== undefined ? { startedBy: input.startedBy } : {}),
      ...(input.serviceName !== undefined ? { group: `service:${input.serviceName}` } : {}),
      ...(input.launchType !== undefined ? { launchType: input.launchType } : {}),
      ...(typeof afterId === 'string' ? { afterId } : {}),
      limit: limit + 1,
    });
    const { items, nextToken } = page(rows, limit, (r) => [r.id]);
    return { taskArns: items.map((r) => r.arn), ...(nextToken ? { nextToken } : {}) };
  }

  /**
   * StopTask: the task's desired status becomes STOPPED (stopCode UserInitiated). A task its agent
   * has not reported on yet goes straight to STOPPED and gives its instance's resources back in
   * the same transaction; a task with running containers — or containers the agent may be starting
   * (it has reported on the task) — stays STOPPING until its agent reports them stopped.
   */
  async stop(input: StopTaskRequest): Promise<Task> {
    const cluster = await this.clusters.require(input.cluster);
    const ref = input.task ?? '';
    if (input.reason !== undefined && input.reason.length > 255) {
      throw invalidParameter('reason can be at most 255 characters.');
    }
    const [found] = (await this.resolve(cluster.name, [ref])).found;
    if (!found) throw invalidParameter(`The referenced task was not found: '${ref}'.`);
    const stopped = await this.changeTask(found.arn, (current) => ({
      state: nextTaskState(
        current.state,
        {
          kind: 'stopRequested',
          code: 'UserInitiated',
          ...(input.reason !== undefined && input.reason !== '' ? { reason: input.reason } : {}),
        },
        this.deps.now(),
      ),
      containers: current.containers,
    }));
    return this.view(stopped, false);
  }

  /**
   * SubmitContainerStateChange (the agent's report on one container). ECS models only
   * ClientException for it, so an unknown cluster, task or container is a ClientException.
   */
  async submitContainerStateChange(
    input: SubmitContainerStateChangeRequest,
  ): Promise<SubmitContainerStateChangeResponse> {
    if (!input.containerName) throw clientFault('containerName is required.');
    const container: ContainerReport = {
      name: input.containerName,
      ...optional('status', reportedStatus(input.status, clientFault)),
      ...optional('runtimeId', input.runtimeId),
      ...optional('exitCode', input.exitCode),
      ...optional('reason', input.reason),
      ...optional('networkBindings', input.networkBindings),
    };
    await this.report(input.cluster, input.task, { containers: [container] }, clientFault);
    return { acknowledgment: 'ACK' };
  }

  /**
   * SubmitTaskStateChange (the agent's report on a task and its containers). An unknown task or
   * container is InvalidParameterException; an unknown cluster ClientException (both modelled).
   */
  async submitTaskStateChange(input: SubmitTaskStateChangeRequest): Promise<SubmitTaskStateChangeResponse> {
    const report = taskReportOf(input, invalidParameter);
    await this.report(input.cluster, input.task, report, invalidParameter);
    return { acknowledgment: 'ACK' };
  }

  /**
   * Applies an agent's container health report (BerthAgentV1.SubmitHealth; its references are
   * checked in control/agent-channel/health.ts) through `changeTask`: a new version, and since the
   * desired status does not change, the agent's held Poll is not woken.
   */
  async reportHealth(taskArn: string, health: readonly ContainerHealthReport[]): Promise<void> {
    await this.changeTask(taskArn, (current) => applyHealth(current, health, this.deps.now()));
  }

  // -------------------------------------------------------------------------------------------

  /** Commits a launch, wakes the agents of the instances that got tasks, and answers. */
  private async launch(launch: Launch, decide: Decide): Promise<RunTaskResponse> {
    const { result, placed } = await commitLaunch(this.deps, launch, decide);
    for (const arn of new Set(placed)) this.deps.notifier?.signal(arn);
    return this.answer(result);
  }

  /** The answer a call with this clientToken already got, if any. */
  private async cached(launch: Launch): Promise<RunTaskResponse | undefined> {
    if (launch.clientToken === undefined) return undefined;
    const result = await this.deps.store.tasks.tokenResult(launch.cluster, launch.clientToken);
    return result && this.answer(result);
  }

  private async answer(result: TokenResult): Promise<RunTaskResponse> {
    const records = new Map((await this.deps.store.tasks.byArns(result.taskArns)).map((r) => [r.arn, r]));
    const tasks: Task[] = [];
    for (const arn of result.taskArns) {
      const record = records.get(arn);
      if (record) tasks.push(await this.view(record, false));
    }
    return { tasks, failures: [...result.failures] };
  }

  /**
   * Changes a task's lifecycle state with its version check; when the change stops the task, its
   * instance's resources are given back in the same transaction (also version-checked). Retried
   * as a whole when either write loses.
   */
  private async changeTask(
    arn: string,
    change: (current: TaskRecord) => Pick<TaskDoc, 'state' | 'containers'>,
  ): Promise<TaskRecord> {
    const changed = await retryOnConflict(
      async () => {
        try {
          return await this.deps.store.transaction(async (repos) => {
            const current = await repos.tasks.byArn(arn);
            if (!current) throw invalidParameter(`The referenced task was not found: '${arn}'.`);
            return writeTaskChange(repos, current, change(current));
          });
        } catch (error) {
          if (error instanceof LostRace) return LOST;
          throw error;
        }
      },
      () => new Fault('ServerException', `Task '${arn}' is being changed by another request; retry.`),
    );
    // The agent is woken only for what it must act on (its own reports are news to no one there).
    if (changed.desiredVersion !== undefined && changed.desiredVersion === changed.version)
      this.deps.notifier?.signal(changed.containerInstanceArn);
    return changed;
  }

  /**
   * Applies an agent's report to a task through `changeTask` (versioned, retried; a task that
   * reaches STOPPED gives its instance's resources back once). `fault` is the code the operation
   * models for a bad reference; an unknown cluster is ClientException.
   */
  private async report(
    clusterRef: string | undefined,
    taskRef: string | undefined,
    report: TaskReport,
    fault: (message: string) => Fault,
  ): Promise<void> {
    if (!taskRef) throw fault('task is required.');
    const found = await recode(fault, async () => {
      const parsed = parseTaskRef(taskRef, this.deps.scope);
      const cluster = await this.clusters.require(clusterRef ?? parsed.cluster);
      return (await this.resolve(cluster.name, [taskRef])).found[0];
    });
    if (!found) throw fault(`The referenced task was not found: '${taskRef}'.`);
    const unknown = unknownContainer(found.containers, report);
    if (unknown !== undefined) {
      throw fault(`Container '${unknown}' is not a container of task '${found.arn}'.`);
    }
    await this.changeTask(found.arn, (current) => applyReport(current, report, this.deps.now()));
  }

  /** Resolves references; the ones naming no task of the cluster are MISSING failures. */
  private resolve(
    cluster: string,
    refs: readonly string[],
  ): Promise<{ found: TaskRecord[]; failures: Failure[] }> {
    return resolveInCluster(cluster, refs, {
      parse: (ref) => parseTaskRef(ref, this.deps.scope),
      load: (ids) => this.deps.store.tasks.byIds(cluster, ids),
      arnOf: (id) => taskArn(this.deps.scope, cluster, id),
    });
  }

  private async view(record: TaskRecord, withTags: boolean): Promise<Task> {
    const tags = withTags ? await this.deps.store.tags.list(record.arn) : undefined;
    return taskView(record, clusterArn(this.deps.scope, record.cluster), tags);
  }
}

/**
 * Inside the caller's transaction: writes the task's new lifecycle state with its version check
 * (LostRace when it moved on) and, when the change stops the task, gives its instance's resources
 * back (also version-checked). Returns the task as written, or `current` when nothing changed.
 */
export async function writeTaskChange(
  repos: Repositories,
  current: TaskRecord,
  { state, containers }: Pick<TaskDoc, 'state' | 'containers'>,
): Promise<TaskRecord> {
  if (state === current.state && containers === current.containers) return current;
  const version = current.version + 1;
  const desiredVersion =
    agentDesiredStatus(state) !== agentDesiredStatus(current.state) ? version : desiredVersionOf(current);
  const next: TaskRecord = { ...current, state, containers, version, desiredVersion };
  if (!(await repos.tasks.update(next))) throw new LostRace();
  if (current.state.lastStatus !== 'STOPPED' && state.lastStatus === 'STOPPED') await release(repos, current);
  return next;
}

/** Gives a stopped task's resources back to its instance (version-checked; a loss retries the caller). */
async function release(repos: Repositories, task: TaskRecord): Promise<void> {
  const instance = await repos.containerInstances.byArn(task.containerInstanceArn);
  if (!instance) return;
  const next: ContainerInstanceRecord = {
    ...instance,
    remainingResources: adjustRemaining(
      instance.remainingResources,
      [heldBy(task)],
      -1,
      instance.registeredResources,
    ),
    version: instance.version + 1,
  };
  if (!(await repos.containerInstances.update(next))) throw new LostRace();
}

/** Runs `work`, answering its reference faults with the operation's modelled code. */
async function recode<T>(fault: (message: string) => Fault, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof Fault)) throw error;
    if (error.code === 'ClusterNotFoundException') throw clientFault(error.message);
    if (error.code === 'InvalidParameterException' || error.code === 'ClientException') {
      throw fault(error.message);
    }
    throw error;
  }
}
