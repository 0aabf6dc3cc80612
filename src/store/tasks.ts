import type { Failure } from '@aws-sdk/client-ecs';
import type { Kysely } from 'kysely';
import { desiredVersionOf, type TaskDoc, type TaskRecord } from '../core/ecs/task.js';
import type { InstanceChanged } from './instance-writes.js';
import type { Database } from './schema.js';

/** ListTasks: which tasks of a cluster, in id order, after `afterId`. */
export interface ListTasksQuery {
  readonly cluster: string;
  readonly containerInstanceArn?: string;
  readonly family?: string;
  readonly startedBy?: string;
  readonly group?: string;
  /** RUNNING: tasks whose desired status is RUNNING; STOPPED: those that must stop or have. */
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly launchType?: string;
  readonly afterId?: string;
  readonly limit: number;
}

/** What a RunTask/StartTask call with a clientToken answered. */
export interface TokenResult {
  readonly taskArns: readonly string[];
  readonly failures: readonly Failure[];
}

/** Tasks of each status, per key (cluster name or instance ARN). */
export type StatusCounts = Map<string, Map<string, number>>;

/**
 * Tasks. Rows are written with a version check (a stale version updates nothing); the lifecycle
 * state lives in the document, with `last_status`/`desired_status` as columns for the listings
 * and counts.
 */
export class TaskRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** Told the instance ARN of every task written: its tasks are part of what placement sees. */
    private readonly changed: InstanceChanged = () => undefined,
  ) {}

  async insert(records: readonly TaskRecord[]): Promise<void> {
    if (records.length === 0) return;
    for (const arn of new Set(records.map((r) => r.containerInstanceArn))) this.changed(arn);
    await this.db.insertInto('tasks').values(records.map(toRow)).execute();
  }

  /** Writes `record` if the stored version is still `record.version - 1`; false when it moved on. */
  async update(record: TaskRecord): Promise<boolean> {
    const { arn, version, ...rest } = toRow(record);
    this.changed(record.containerInstanceArn);
    const result = await this.db
      .updateTable('tasks')
      .set({ ...rest, version })
      .where('arn', '=', arn)
      .where('version', '=', version - 1)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async byArn(arn: string): Promise<TaskRecord | undefined> {
    const row = await this.db.selectFrom('tasks').selectAll().where('arn', '=', arn).executeTakeFirst();
    return row && toRecord(row);
  }

  async byArns(arns: readonly string[]): Promise<TaskRecord[]> {
    if (arns.length === 0) return [];
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('arn', 'in', [...new Set(arns)])
      .execute();
    return rows.map(toRecord);
  }

  /** The tasks of `cluster` with these ids, in no particular order. */
  async byIds(cluster: string, ids: readonly string[]): Promise<TaskRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('cluster', '=', cluster)
      .where('id', 'in', [...new Set(ids)])
      .execute();
    return rows.map(toRecord);
  }

  async list(q: ListTasksQuery): Promise<TaskRecord[]> {
    let query = this.db.selectFrom('tasks').selectAll().where('cluster', '=', q.cluster);
    query = query.where('desired_status', '=', q.desiredStatus);
    if (q.containerInstanceArn !== undefined)
      query = query.where('container_instance_arn', '=', q.containerInstanceArn);
    if (q.family !== undefined) query = query.where('family', '=', q.family);
    if (q.startedBy !== undefined) query = query.where('started_by', '=', q.startedBy);
    if (q.group !== undefined) query = query.where('task_group', '=', q.group);
    if (q.launchType !== undefined) query = query.where('launch_type', '=', q.launchType);
    if (q.afterId !== undefined) query = query.where('id', '>', q.afterId);
    const rows = await query.orderBy('id').limit(q.limit).execute();
    return rows.map(toRecord);
  }

  /** Every task of `group` in `cluster`, STOPPED ones included (until the retention removes them). */
  async inGroup(cluster: string, group: string): Promise<TaskRecord[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('cluster', '=', cluster)
      .where('task_group', '=', group)
      .execute();
    return rows.map(toRecord);
  }

  /** Tasks on these instances that are not STOPPED (they hold the instances' resources). */
  async activeOnInstances(instanceArns: readonly string[]): Promise<TaskRecord[]> {
    if (instanceArns.length === 0) return [];
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('container_instance_arn', 'in', [...new Set(instanceArns)])
      .where('last_status', '<>', 'STOPPED')
      .execute();
    return rows.map(toRecord);
  }

  /**
   * The tasks on `instanceArn` that are not STOPPED, as ARN and the version its agent tracks
   * (`desiredVersionOf`), from an index alone: what an agent's Poll compares before it reads any
   * task in full.
   */
  async activeVersionsOn(instanceArn: string): Promise<{ arn: string; desiredVersion: number }[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .select(['arn', 'desired_version'])
      .where('container_instance_arn', '=', instanceArn)
      .where('last_status', '<>', 'STOPPED')
      .execute();
    return rows.map((r) => ({ arn: r.arn, desiredVersion: r.desired_version }));
  }

  /**
   * The tasks that are not STOPPED on these instances, or on every instance of `cluster`, counted
   * per (instance, group, last status): what placement needs of them, without reading documents.
   */
  async activeGroupCounts(on: { readonly instanceArns: readonly string[] } | { readonly cluster: string }) {
    let query = this.db
      .selectFrom('tasks')
      .select([
        'container_instance_arn',
        'task_group',
        'last_status',
        (eb) => eb.fn.countAll<number | string | bigint>().as('count'),
      ])
      .where('last_status', '<>', 'STOPPED');
    if ('cluster' in on) query = query.where('cluster', '=', on.cluster);
    else if (on.instanceArns.length === 0) return [];
    else query = query.where('container_instance_arn', 'in', [...new Set(on.instanceArns)]);
    const rows = await query.groupBy(['container_instance_arn', 'task_group', 'last_status']).execute();
    return rows.map((r) => ({
      instanceArn: r.container_instance_arn,
      group: r.task_group,
      lastStatus: r.last_status,
      count: Number(r.count),
    }));
  }

  /**
   * Removes up to `limit` tasks that reached STOPPED before `cutoff` (epoch ms; rows with no stop
   * time count from their creation), with their tags; returns their ARNs. Run in a transaction.
   */
  async deleteStoppedBefore(cutoff: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .select('arn')
      .where('last_status', '=', 'STOPPED')
      .where((eb) =>
        eb.or([
          eb('stopped_at', '<', cutoff),
          eb.and([eb('stopped_at', 'is', null), eb('created_at', '<', cutoff)]),
        ]),
      )
      .limit(limit)
      .execute();
    const arns = rows.map((r) => r.arn);
    if (arns.length === 0) return [];
    await this.db.deleteFrom('resource_tags').where('resource_arn', 'in', arns).execute();
    await this.db.deleteFrom('tasks').where('arn', 'in', arns).where('last_status', '=', 'STOPPED').execute();
    return arns;
  }

  /** Tasks that are not STOPPED, counted per cluster and last status. */
  async countByCluster(clusters: readonly string[]): Promise<StatusCounts> {
    if (clusters.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('tasks')
      .select([
        'cluster as key',
        'last_status',
        (eb) => eb.fn.countAll<number | string | bigint>().as('count'),
      ])
      .where('cluster', 'in', [...new Set(clusters)])
      .where('last_status', '<>', 'STOPPED')
      .groupBy(['cluster', 'last_status'])
      .execute();
    return counts(rows);
  }

  /** Tasks that are not STOPPED, counted per container instance and last status. */
  async countByInstance(instanceArns: readonly string[]): Promise<StatusCounts> {
    if (instanceArns.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('tasks')
      .select([
        'container_instance_arn as key',
        'last_status',
        (eb) => eb.fn.countAll<number | string | bigint>().as('count'),
      ])
      .where('container_instance_arn', 'in', [...new Set(instanceArns)])
      .where('last_status', '<>', 'STOPPED')
      .groupBy(['container_instance_arn', 'last_status'])
      .execute();
    return counts(rows);
  }

  // -------------------------------------------------------------------------------------------
  // clientToken idempotency

  async tokenResult(cluster: string, token: string): Promise<TokenResult | undefined> {
    const row = await this.db
      .selectFrom('run_task_tokens')
      .select('result')
      .where('cluster', '=', cluster)
      .where('client_token', '=', token)
      .executeTakeFirst();
    return row && (JSON.parse(row.result) as TokenResult);
  }

  /** Fails when the token is already recorded for the cluster (a concurrent call with it won). */
  async recordToken(cluster: string, token: string, result: TokenResult, now: number): Promise<void> {
    await this.db
      .insertInto('run_task_tokens')
      .values({ cluster, client_token: token, result: JSON.stringify(result), created_at: now })
      .execute();
  }
}

function counts(rows: readonly { key: string; last_status: string; count: number | string | bigint }[]) {
  const out: StatusCounts = new Map();
  for (const r of rows) {
    const byStatus = out.get(r.key) ?? new Map<string, number>();
    byStatus.set(r.last_status, Number(r.count));
    out.set(r.key, byStatus);
  }
  return out;
}

type TaskRow = Database['tasks'];

function toRecord(row: TaskRow): TaskRecord {
  return {
    arn: row.arn,
    id: row.id,
    cluster: row.cluster,
    containerInstanceArn: row.container_instance_arn,
    taskDefinitionArn: row.task_definition_arn,
    family: row.family,
    group: row.task_group,
    ...(row.started_by !== null ? { startedBy: row.started_by } : {}),
    launchType: row.launch_type as TaskRecord['launchType'],
    ...(row.client_token !== null ? { clientToken: row.client_token } : {}),
    createdAt: row.created_at,
    version: row.version,
    ...(JSON.parse(row.doc) as TaskDoc),
  };
}

function toRow(record: TaskRecord): TaskRow {
  const {
    arn,
    id,
    cluster,
    containerInstanceArn,
    taskDefinitionArn,
    family,
    group,
    startedBy,
    launchType,
    clientToken,
    createdAt,
    version,
    ...doc
  } = record;
  return {
    arn,
    id,
    cluster,
    container_instance_arn: containerInstanceArn,
    task_definition_arn: taskDefinitionArn,
    family,
    task_group: group,
    started_by: startedBy ?? null,
    desired_status: doc.state.desiredStatus,
    last_status: doc.state.lastStatus,
    launch_type: launchType,
    client_token: clientToken ?? null,
    doc: JSON.stringify(doc satisfies TaskDoc),
    created_at: createdAt,
    version,
    stopped_at: doc.state.stoppedAt ?? null,
    desired_version: desiredVersionOf(record),
  };
}
