/**
 * The launch path RunTask and StartTask share: checking a call and resolving its task definition
 * (`prepareLaunch`), then placing and committing the tasks in one transaction with the chosen
 * instances' version checks (`commitLaunch`).
 */
import type {
  Failure,
  RunTaskRequest,
  StartTaskRequest,
  TaskDefinition,
  TaskOverride,
} from '@aws-sdk/client-ecs';
import { randomFillSync, randomUUID } from 'node:crypto';
import type { ContainerInstanceRecord } from '../../core/ecs/container-instance.js';
import { validateTags, type ResourceTag } from '../../core/ecs/tags.js';
import { sortableTaskId } from '../../core/ecs/task-id.js';
import {
  adjustRemaining,
  checkOverrides,
  type Held,
  MAX_TASKS_PER_CALL,
  newTaskDoc,
  taskDemand,
  type TaskRecord,
} from '../../core/ecs/task.js';
import { Fault, invalidParameter } from '../../core/fault.js';
import { combineConstraints } from '../../core/placement/constraints.js';
import { gpuAssignments } from '../../core/placement/gpus.js';
import { place } from '../../core/placement/place.js';
import type { PreparedCluster } from '../../core/placement/prepared.js';
import { checkStrategies } from '../../core/placement/strategies.js';
import type {
  InstanceSnapshot,
  PlacementPlan,
  PlacementStrategy,
  TaskDemand,
} from '../../core/placement/types.js';
import type { Repositories, TokenResult } from '../../store/index.js';
import type { ControlDeps } from '../context.js';
import type { ClusterSnapshot } from '../placement-cache.js';
import { LOST, MAX_ATTEMPTS, retryOnConflict } from '../optimistic.js';
import { notFound } from './clusters.js';
import type { TaskDefinitionOperations } from './task-definitions.js';
import { containerArn, taskArn } from './refs.js';

const MAX_CLIENT_TOKEN = 64;
const MAX_STARTED_BY = 128;
const MAX_GROUP = 255;
const MAX_REFERENCE_ID = 64;

/** A versioned write that lost its race: the whole attempt is retried. */
export class LostRace extends Error {}

/** What a RunTask/StartTask call decided, before the tasks are written. */
export interface Decision {
  /** Per placed task, the instance ARN it goes to. */
  readonly placements: readonly string[];
  readonly failures: readonly Failure[];
}

/** Everything about the tasks of one call that does not depend on where they land. */
export interface Launch {
  readonly cluster: string;
  readonly definition: TaskDefinition;
  readonly overrides: TaskOverride;
  readonly demand: TaskDemand;
  readonly group: string;
  readonly startedBy?: string;
  readonly referenceId?: string;
  readonly clientToken?: string;
  readonly tags: readonly ResourceTag[];
  /** A load-balanced service's task: registered with its target groups before it is RUNNING. */
  readonly activate?: boolean;
}

/** Checks what RunTask and StartTask share and resolves the task definition. */
export async function prepareLaunch(
  deps: ControlDeps,
  taskDefinitions: TaskDefinitionOperations,
  cluster: string,
  input: (RunTaskRequest | StartTaskRequest) & { clientToken?: string | undefined },
): Promise<Launch> {
  if (
    input.clientToken !== undefined &&
    (input.clientToken === '' || input.clientToken.length > MAX_CLIENT_TOKEN)
  ) {
    throw invalidParameter(`clientToken must be 1 to ${MAX_CLIENT_TOKEN} characters.`);
  }
  if (input.startedBy !== undefined && input.startedBy.length > MAX_STARTED_BY) {
    throw invalidParameter(`startedBy can be at most ${MAX_STARTED_BY} characters.`);
  }
  if (input.group !== undefined && (input.group === '' || input.group.length > MAX_GROUP)) {
    throw invalidParameter(`group must be 1 to ${MAX_GROUP} characters.`);
  }
  if (input.referenceId !== undefined && input.referenceId.length > MAX_REFERENCE_ID) {
    throw invalidParameter(`referenceId can be at most ${MAX_REFERENCE_ID} characters.`);
  }
  const ref = input.taskDefinition ?? '';
  const definition = await taskDefinitions.require(ref);
  if (definition.status !== 'ACTIVE') {
    // ECS's answer, word for word (RunTask on a deregistered revision: 400 InvalidParameterException).
    throw invalidParameter('TaskDefinition is inactive');
  }
  if (definition.networkMode === 'awsvpc') {
    throw invalidParameter(
      `Task definition '${definition.taskDefinitionArn ?? ref}' uses networkMode awsvpc: awsvpc arrives with its own issue. Use bridge, host or none.`,
    );
  }
  if (input.networkConfiguration !== undefined) {
    throw invalidParameter(
      `Network Configuration is not valid for the given networkMode '${definition.networkMode ?? 'bridge'}' of this task definition.`,
    );
  }
  const overrides: TaskOverride = input.overrides ?? {};
  checkOverrides(definition, overrides);
  const tags = validateTags(input.tags);
  let allTags: readonly ResourceTag[] = tags;
  if (input.propagateTags === 'TASK_DEFINITION') {
    const fromDefinition = await deps.store.tags.list(definition.taskDefinitionArn ?? '');
    const own = new Set(tags.map((t) => t.key));
    allTags = [...fromDefinition.filter((t) => !own.has(t.key)), ...tags];
    if (allTags.length > 50) throw invalidParameter('A task can have at most 50 tags.');
  } else if (input.propagateTags === 'SERVICE') {
    throw invalidParameter('propagateTags SERVICE is for tasks a service starts: this task has no service.');
  }
  const family = definition.family ?? '';
  return {
    cluster,
    definition,
    overrides,
    demand: taskDemand(definition, overrides),
    group: input.group ?? `family:${family}`,
    ...(input.startedBy !== undefined ? { startedBy: input.startedBy } : {}),
    ...(input.referenceId !== undefined ? { referenceId: input.referenceId } : {}),
    ...(input.clientToken !== undefined ? { clientToken: input.clientToken } : {}),
    tags: allTags,
  };
}

/** A RunTask call checked and resolved: its launch, the demand with its constraints, count and strategies. */
export interface RunPlacement {
  readonly launch: Launch;
  /** The task's demand with the definition's and the call's constraints combined. */
  readonly demand: TaskDemand;
  readonly count: number;
  readonly strategies: readonly PlacementStrategy[];
}

/**
 * RunTask's checks after the cluster is found, in RunTask's order (count, launch type, capacity
 * providers, strategies, then `prepareLaunch` and the constraints): RunTask and the placement dry
 * run (task-plan.ts) both start here, so they refuse the same input with the same errors.
 */
export async function prepareRun(
  deps: ControlDeps,
  taskDefinitions: TaskDefinitionOperations,
  cluster: string,
  input: RunTaskRequest,
): Promise<RunPlacement> {
  const count = input.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_TASKS_PER_CALL) {
    throw invalidParameter(`count must be between 1 and ${MAX_TASKS_PER_CALL}, not ${count}.`);
  }
  checkLaunchType(input.launchType);
  if ((input.capacityProviderStrategy ?? []).length > 0) {
    throw invalidParameter(
      'Berth has no capacity providers for registered instances yet: leave capacityProviderStrategy out (launch type EC2).',
    );
  }
  const strategies = (input.placementStrategy ?? []).map(
    (s) => ({ type: s.type, ...(s.field !== undefined ? { field: s.field } : {}) }) as PlacementStrategy,
  );
  checkStrategies(strategies);
  const launch = await prepareLaunch(deps, taskDefinitions, cluster, input);
  // The definition's memberOf constraints and the call's memberOf/distinctInstance, together.
  const constraints = combineConstraints(
    launch.definition.placementConstraints ?? [],
    input.placementConstraints ?? [],
  );
  return { launch, demand: { ...launch.demand, ...constraints }, count, strategies };
}

/**
 * Plans on the cluster's snapshot; `prepared` (from the placement cache) gives the same snapshot as
 * the engine's kept columns, so a call costs what changed since the group's last one.
 */
export type Decide = (snapshot: InstanceSnapshot[], prepared: () => PreparedCluster) => Decision;

/** RunTask's decision on a snapshot: the plan, and the placements and failures RunTask answers. */
export function decideRun(
  snapshot: readonly InstanceSnapshot[],
  run: RunPlacement,
  seed: string,
  prepared?: () => PreparedCluster,
): { plan: PlacementPlan; decision: Decision } {
  if (snapshot.length === 0) throw invalidParameter('No Container Instances were found in your cluster.');
  const plan = place(prepared?.() ?? snapshot, run.demand, run.count, run.strategies, seed);
  const failures: Failure[] = [];
  if (plan.failure) {
    for (const r of plan.failure.rejections) {
      failures.push({ arn: r.instanceId, reason: r.reason, detail: plan.failure.detail });
    }
  }
  return { plan, decision: { placements: plan.placements, failures } };
}

function checkLaunchType(launchType: string | undefined): void {
  if (launchType === undefined || launchType === 'EC2') return;
  throw invalidParameter(
    `Launch type ${launchType} is not available: Berth runs tasks on registered container instances, launch type EC2 (the only one it has).`,
  );
}

/**
 * Places and writes, in one transaction: the cluster row is held (DeleteCluster sees the tasks
 * or this sees the cluster gone), the ACTIVE/DRAINING instances are read, `decide` plans, each
 * chosen instance's remaining resources are reduced with its version check, and the tasks are
 * inserted. A lost version check rolls everything back and the whole placement is retried on a
 * fresh snapshot, so an instance is never over-committed.
 */
export async function commitLaunch(
  deps: ControlDeps,
  launch: Launch,
  decide: Decide,
): Promise<{ result: TokenResult; placed: readonly string[] }> {
  const { store } = deps;
  let placed: readonly string[] = [];
  const result = await retryOnConflict(
    async (attempt) => {
      try {
        return await store.transaction(async (repos) => {
          if (!(await repos.clusters.holdActive(launch.cluster))) throw notFound(launch.cluster);
          if (launch.clientToken !== undefined) {
            const earlier = await repos.tasks.tokenResult(launch.cluster, launch.clientToken);
            if (earlier) return earlier;
          }
          const { records, decision } = await placeTasks(deps, repos, launch, decide);
          placed = decision.placements;
          const now = deps.now();
          const result: TokenResult = { taskArns: records.map((r) => r.arn), failures: decision.failures };
          if (launch.clientToken !== undefined) {
            await repos.tasks.recordToken(launch.cluster, launch.clientToken, result, now);
          }
          return result;
        });
      } catch (error) {
        // A lost version check, or a concurrent call with the same clientToken recorded it first
        // (the next attempt answers what that call placed).
        if (error instanceof Fault) throw error;
        if (!(error instanceof LostRace) && attempt === MAX_ATTEMPTS - 1) throw error;
        return LOST;
      }
    },
    () => new Fault('ServerException', `Cluster '${launch.cluster}' is busy placing other tasks; retry.`),
  );
  return { result, placed };
}

/**
 * Inside the caller's transaction: reads the snapshot, lets `decide` plan, takes the chosen
 * instances' resources with their version checks (a lost one throws LostRace: roll back and
 * re-plan) and inserts the tasks with their tags. RunTask/StartTask (`commitLaunch`) and the
 * service scheduler, which commits a service's tasks with the service's own versioned write,
 * both launch through it.
 */
export async function placeTasks(
  deps: ControlDeps,
  repos: Repositories,
  launch: Launch,
  decide: Decide,
): Promise<{ records: readonly TaskRecord[]; decision: Decision }> {
  const { scope } = deps;
  const view = await readSnapshot(deps, repos, launch.cluster, launch.group);
  const decision = decide(view.snapshot, view.prepared);
  // Each task's GPU ids, as the plan reserved them on the snapshot it was made from.
  const gpuIds = gpuAssignments(view.snapshot, decision.placements, launch.demand);
  const perInstance = new Map<string, Held[]>();
  decision.placements.forEach((arn, k) => {
    const held: Held = { ...launch.demand, gpuIds: gpuIds[k] ?? [] };
    perInstance.set(arn, [...(perInstance.get(arn) ?? []), held]);
  });
  for (const [arn, held] of perInstance) {
    const current = view.record(arn) as ContainerInstanceRecord;
    const next: ContainerInstanceRecord = {
      ...current,
      remainingResources: adjustRemaining(current.remainingResources, held, 1),
      version: current.version + 1,
    };
    if (!(await repos.containerInstances.update(next))) throw new LostRace();
  }
  const now = deps.now();
  const records = decision.placements.map((instanceArn, k): TaskRecord => {
    const id = sortableTaskId(now, pooledRandom(10));
    const zone = view.attributes(instanceArn).find((a) => a.name === 'ecs.availability-zone');
    return {
      arn: taskArn(scope, launch.cluster, id),
      id,
      cluster: launch.cluster,
      containerInstanceArn: instanceArn,
      taskDefinitionArn: launch.definition.taskDefinitionArn ?? '',
      family: launch.definition.family ?? '',
      group: launch.group,
      ...(launch.startedBy !== undefined ? { startedBy: launch.startedBy } : {}),
      launchType: 'EC2',
      ...(launch.clientToken !== undefined ? { clientToken: launch.clientToken } : {}),
      createdAt: now,
      version: 1,
      ...newTaskDoc(
        launch.definition,
        launch.overrides,
        () => containerArn(scope, launch.cluster, id, randomUUID()),
        {
          ...(launch.referenceId !== undefined ? { referenceId: launch.referenceId } : {}),
          ...(zone?.value !== undefined ? { availabilityZone: zone.value } : {}),
          gpuIds: gpuIds[k] ?? [],
          ...(launch.activate === true ? { activate: true } : {}),
        },
      ),
    };
  });
  await repos.tasks.insert(records);
  if (launch.tags.length > 0) for (const r of records) await repos.tags.replace(r.arn, launch.tags);
  return { records, decision };
}

/**
 * Random bytes from a pool refilled 4 KiB at a time, as Node's randomUUID does: a `randomBytes`
 * call per task id cost 3 % of a RunTask. The view is valid until the next call.
 */
function pooledRandom(size: number): Uint8Array {
  if (randomPoolAt + size > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomPoolAt = 0;
  }
  const bytes = RANDOM_POOL.subarray(randomPoolAt, randomPoolAt + size);
  randomPoolAt += size;
  return bytes;
}
const RANDOM_POOL = new Uint8Array(4096);
let randomPoolAt = RANDOM_POOL.length;

/**
 * The snapshot placement runs on, from the control plane's placement cache (control/placement-cache.ts):
 * the cluster's registered instances with their attributes and, per instance, what its tasks tell
 * placement. Call it inside the transaction that commits (or, for a dry run, a read-only one).
 */
export function readSnapshot(
  deps: ControlDeps,
  repos: Repositories,
  cluster: string,
  group: string,
): Promise<ClusterSnapshot> {
  return deps.placementCache.read(repos, cluster, group);
}
