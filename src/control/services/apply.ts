import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { randomBytes, randomUUID } from 'node:crypto';
import type { DeploymentRecord } from '../../core/ecs/service-deployment.js';
import type { ServiceEvent, ServiceRecord } from '../../core/ecs/service.js';
import type { ResourceTag } from '../../core/ecs/tags.js';
import { nextTaskState } from '../../core/ecs/task-lifecycle.js';
import { taskDemand, type TaskRecord } from '../../core/ecs/task.js';
import { combineConstraints } from '../../core/placement/constraints.js';
import { place } from '../../core/placement/place.js';
import type { PlacementFailure } from '../../core/placement/types.js';
import { recordPlacement } from '../../core/services/placement-outcome.js';
import type { SchedulerMemo, SchedulerPlan, StartTasks } from '../../core/services/types.js';
import type { Repositories } from '../../store/index.js';
import type { ControlDeps } from '../context.js';
import { parseTaskDefinitionRef } from '../ecs/refs.js';
import { LostRace, placeTasks, type Launch } from '../ecs/task-launch.js';
import { writeTaskChange } from '../ecs/tasks.js';
import { schedulerDeployment, serviceGroup } from './input.js';

/**
 * Carries out one scheduler plan inside the caller's transaction: starts (placed with the
 * service's strategies and constraints, through the same commit path as RunTask), then stops
 * (desired STOPPED, stopCode ServiceSchedulerInitiated, the scheduler's reason), then the
 * service's own write — deployments, counts, events, the scheduler's memo — with its version
 * check. A lost check anywhere throws LostRace and the whole run is rolled back: two schedulers
 * (a deposed leader and its successor) can never both launch for the same service state.
 *
 * Returns the instances whose agents must hear of the change (after the commit).
 */
export async function applyPlan(
  deps: ControlDeps,
  repos: Repositories,
  service: ServiceRecord,
  plan: SchedulerPlan,
  now: number,
): Promise<{ readonly touched: readonly string[]; readonly service: ServiceRecord }> {
  const touched = new Set<string>();
  const messages: string[] = [...plan.events];
  let memo: SchedulerMemo = plan.memo;
  const failed = new Map<string, number>();
  const deployments = new Map(service.deployments.map((d) => [d.id, applyChange(d, plan, now)]));

  for (const start of plan.start) {
    const deployment = deployments.get(start.deploymentId);
    if (deployment === undefined) continue;
    const outcome = await startTasks(deps, repos, service, start);
    for (const r of outcome.records) touched.add(r.containerInstanceArn);
    const recorded = recordPlacement({
      service: service.name,
      request: start,
      deployment: schedulerDeployment(deployment),
      placed: outcome.records.map((r) => r.arn),
      ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
      memo,
      now,
    });
    messages.push(...recorded.events);
    memo = recorded.memo;
    failed.set(start.deploymentId, recorded.failedTasks);
  }

  for (const stop of plan.stop) {
    const current = await repos.tasks.byArn(stop.arn);
    if (current === undefined || current.state.desiredStatus === 'STOPPED') continue;
    const state = nextTaskState(
      current.state,
      { kind: 'stopRequested', code: 'ServiceSchedulerInitiated', reason: stop.reason },
      now,
    );
    await writeTaskChange(repos, current, { state, containers: current.containers });
    touched.add(current.containerInstanceArn);
  }

  const events: ServiceEvent[] = messages.map((message) => ({ id: randomUUID(), createdAt: now, message }));
  const primary = [...deployments.values()].find((d) => d.status === 'PRIMARY');
  const next: ServiceRecord = {
    ...service,
    // A rollback makes an earlier deployment PRIMARY again: the service runs its revision.
    ...(primary !== undefined && primary.revision.taskDefinition !== service.taskDefinition
      ? primary.revision
      : {}),
    desiredCount: plan.service.desiredCount,
    deployments: [...deployments.values()].map((d) =>
      failed.has(d.id) ? { ...d, failedTasks: failed.get(d.id) as number } : d,
    ),
    events: [...events.reverse(), ...service.events].slice(0, 100),
    schedulerMemo: memo,
    updatedAt: now,
    version: service.version + 1,
  };
  if (!(await repos.services.update(next))) throw new LostRace();
  return { touched: [...touched], service: next };
}

/** The deployment with what the plan changed of it (counts, rollout, status, rollback). */
function applyChange(d: DeploymentRecord, plan: SchedulerPlan, now: number): DeploymentRecord {
  const change = plan.deployments.find((c) => c.id === d.id);
  if (change === undefined) return d;
  const rolledBackTo = plan.rollback?.from === d.id ? plan.rollback.to : undefined;
  return {
    ...d,
    ...serviceDeploymentStatus(d, change.rolloutState, rolledBackTo !== undefined, now),
    status: change.status,
    rolloutState: change.rolloutState,
    rolloutStateReason: change.rolloutStateReason,
    failedTasks: change.failedTasks,
    desiredCount: change.desiredCount,
    runningCount: change.runningCount,
    pendingCount: change.pendingCount,
    updatedAt: now,
    ...(rolledBackTo !== undefined
      ? { rollback: { reason: change.rolloutStateReason, startedAt: now, deploymentId: rolledBackTo } }
      : {}),
  };
}

/**
 * The service-deployment API's view of a rollout's end: COMPLETED is SUCCESSFUL (ROLLBACK_SUCCESSFUL
 * for a deployment that was rolled back to), FAILED is ROLLBACK_IN_PROGRESS when the service rolls
 * back from it, else STOPPED.
 */
function serviceDeploymentStatus(
  d: DeploymentRecord,
  rollout: DeploymentRecord['rolloutState'],
  rollingBack: boolean,
  now: number,
): Partial<DeploymentRecord> {
  if (rollout === d.rolloutState && !rollingBack) return {};
  if (rollout === 'COMPLETED')
    return {
      deploymentStatus: d.deploymentStatus === 'ROLLBACK_IN_PROGRESS' ? 'ROLLBACK_SUCCESSFUL' : 'SUCCESSFUL',
      finishedAt: now,
    };
  if (rollout === 'FAILED')
    return rollingBack
      ? {
          deploymentStatus: 'ROLLBACK_IN_PROGRESS',
          statusReason: 'The deployment circuit breaker tripped: rolling back.',
        }
      : {
          deploymentStatus: 'STOPPED',
          statusReason: 'The deployment circuit breaker tripped.',
          stoppedAt: now,
          finishedAt: now,
        };
  return {};
}

/** Places and inserts one start request's tasks; the failure explains those that found no instance. */
async function startTasks(
  deps: ControlDeps,
  repos: Repositories,
  service: ServiceRecord,
  start: StartTasks,
): Promise<{ records: readonly TaskRecord[]; failure?: PlacementFailure }> {
  const definition = await definitionOf(deps, repos, start.taskDefinition);
  if (definition === undefined) return { records: [] };
  const launch = await serviceLaunch(repos, service, definition, start.deploymentId);
  let failure: PlacementFailure | undefined;
  const { records } = await placeTasks(deps, repos, launch, (snapshot, prepared) => {
    // A DAEMON task goes to its instance; a REPLICA one wherever the strategies say.
    const candidates =
      start.containerInstanceArn === undefined
        ? prepared()
        : snapshot.filter((i) => i.id === start.containerInstanceArn);
    const planned = place(
      candidates,
      launch.demand,
      start.count,
      service.placementStrategy,
      randomBytes(8).toString('hex'),
    );
    failure = planned.failure;
    return { placements: planned.placements, failures: [] };
  });
  return { records, ...(failure !== undefined ? { failure } : {}) };
}

async function definitionOf(
  deps: ControlDeps,
  repos: Repositories,
  arn: string,
): Promise<TaskDefinition | undefined> {
  const ref = parseTaskDefinitionRef(arn, deps.scope);
  if (ref.revision === undefined) return repos.taskDefinitions.latestActive(ref.family);
  return repos.taskDefinitions.get({ family: ref.family, revision: ref.revision });
}

/** What the tasks of one deployment share: group, startedBy, constraints and tags. */
async function serviceLaunch(
  repos: Repositories,
  service: ServiceRecord,
  definition: TaskDefinition,
  deploymentId: string,
): Promise<Launch> {
  const constraints = combineConstraints(definition.placementConstraints ?? [], service.placementConstraints);
  return {
    cluster: service.cluster,
    definition,
    overrides: {},
    demand: { ...taskDemand(definition, {}), ...constraints },
    group: serviceGroup(service.name),
    startedBy: deploymentId,
    tags: await serviceTaskTags(repos, service, definition),
    ...(service.loadBalancers.length > 0 ? { activate: true } : {}),
  };
}

/** propagateTags (SERVICE or TASK_DEFINITION) and ECS's managed tags, as ECS puts them on the task. */
async function serviceTaskTags(
  repos: Repositories,
  service: ServiceRecord,
  definition: TaskDefinition,
): Promise<ResourceTag[]> {
  const propagated =
    service.propagateTags === 'SERVICE'
      ? await repos.tags.list(service.arn)
      : service.propagateTags === 'TASK_DEFINITION'
        ? await repos.tags.list(definition.taskDefinitionArn ?? '')
        : [];
  const managed: ResourceTag[] = service.enableECSManagedTags
    ? [
        { key: 'aws:ecs:serviceName', value: service.name },
        { key: 'aws:ecs:clusterName', value: service.cluster },
      ]
    : [];
  return [...propagated, ...managed];
}
