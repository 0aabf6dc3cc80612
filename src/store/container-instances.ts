import { sql, type Kysely } from 'kysely';
import type {
  ContainerInstanceDoc,
  ContainerInstanceRecord,
  InstanceAttribute,
} from '../core/ecs/container-instance.js';
import type { DialectKind } from './dialect.js';
import type { InstanceChanged } from './instance-writes.js';
import type { Database } from './schema.js';

/** Which instances of a cluster to list, in id order, after `afterId`. */
export interface ListInstancesQuery {
  readonly cluster: string;
  /** Only this status; absent: every status but INACTIVE. */
  readonly status?: string;
  readonly afterId?: string;
  readonly limit: number;
}

/** One attribute of one registered instance, as ListAttributes answers it. */
export interface TargetAttribute extends InstanceAttribute {
  readonly instanceArn: string;
}

export interface ListAttributesQuery {
  readonly cluster: string;
  readonly name?: string;
  readonly value?: string;
  /** Keyset: the (instance ARN, name) of the last attribute returned. */
  readonly after?: { readonly instanceArn: string; readonly name: string };
  readonly limit: number;
}

/**
 * Container instances and their attributes. Instance rows are written with a version check (a
 * stale version updates nothing); attributes are rows of their own, so PutAttributes on different
 * names never conflict. At most one non-INACTIVE instance per host (a partial unique index).
 */
export class ContainerInstanceRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DialectKind,
    /** Told the ARN of every instance written (its row or its attributes). */
    private readonly changed: InstanceChanged = () => undefined,
  ) {}

  async byArn(arn: string): Promise<ContainerInstanceRecord | undefined> {
    const row = await this.db
      .selectFrom('container_instances')
      .selectAll()
      .where('arn', '=', arn)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** The instances of `cluster` with these ids (whatever their status), in no particular order. */
  async byIds(cluster: string, ids: readonly string[]): Promise<ContainerInstanceRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('container_instances')
      .selectAll()
      .where('cluster', '=', cluster)
      .where('id', 'in', [...new Set(ids)])
      .execute();
    return rows.map(toRecord);
  }

  /** The instances with these ARNs (whatever their status), in no particular order. */
  async byArns(arns: readonly string[]): Promise<ContainerInstanceRecord[]> {
    if (arns.length === 0) return [];
    const rows = await this.db
      .selectFrom('container_instances')
      .selectAll()
      .where('arn', 'in', [...new Set(arns)])
      .execute();
    return rows.map(toRecord);
  }

  /** The host's registered (non-INACTIVE) instance, in any cluster. */
  async registeredOnHost(hostId: string): Promise<ContainerInstanceRecord | undefined> {
    const row = await this.db
      .selectFrom('container_instances')
      .selectAll()
      .where('host_id', '=', hostId)
      .where('status', '<>', 'INACTIVE')
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Fails when the ARN or (cluster, id) exists, or the host already has a registered instance. */
  async insert(record: ContainerInstanceRecord): Promise<void> {
    this.changed(record.arn);
    await this.db.insertInto('container_instances').values(toRow(record)).execute();
  }

  /** Writes `record` if the stored version is still `record.version - 1`; false when it moved on. */
  async update(record: ContainerInstanceRecord): Promise<boolean> {
    const { arn, version, ...rest } = toRow(record);
    this.changed(arn);
    const result = await this.db
      .updateTable('container_instances')
      .set({ ...rest, version })
      .where('arn', '=', arn)
      .where('version', '=', version - 1)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async list(q: ListInstancesQuery): Promise<ContainerInstanceRecord[]> {
    let query = this.db
      .selectFrom('container_instances as ci')
      .selectAll('ci')
      .where('ci.cluster', '=', q.cluster);
    query =
      q.status === undefined
        ? query.where('ci.status', '<>', 'INACTIVE')
        : query.where('ci.status', '=', q.status);
    if (q.afterId !== undefined) query = query.where('ci.id', '>', q.afterId);
    const rows = await query.orderBy('ci.id').limit(q.limit).execute();
    return rows.map(toRecord);
  }

  /** Registered (non-INACTIVE) instances per cluster name; clusters with none are absent. */
  async countRegistered(clusters: readonly string[]): Promise<Map<string, number>> {
    if (clusters.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('container_instances')
      .select(['cluster', (eb) => eb.fn.countAll<number | string | bigint>().as('count')])
      .where('cluster', 'in', [...new Set(clusters)])
      .where('status', '<>', 'INACTIVE')
      .groupBy('cluster')
      .execute();
    return new Map(rows.map((r) => [r.cluster, Number(r.count)]));
  }

  // -------------------------------------------------------------------------------------------
  // Attributes

  /**
   * The attributes of each instance, by ARN, in name order (instances without any map to []).
   * In a PostgreSQL transaction the instances' attribute locks are taken first (`lock`), unless
   * `forUpdate` is false: a reader that writes no attributes (placement) need not wait for them.
   */
  async attributesOf(
    instanceArns: readonly string[],
    { forUpdate = true }: { readonly forUpdate?: boolean } = {},
  ): Promise<Map<string, InstanceAttribute[]>> {
    const out = new Map<string, InstanceAttribute[]>(instanceArns.map((arn) => [arn, []]));
    if (instanceArns.length === 0) return out;
    if (forUpdate) await this.lock(instanceArns);
    const rows = await this.db
      .selectFrom('container_instance_attributes')
      .selectAll()
      .where('instance_arn', 'in', [...new Set(instanceArns)])
      .orderBy('instance_arn')
      .orderBy('name')
      .execute();
    for (const row of rows) out.get(row.instance_arn)?.push(toAttribute(row));
    return out;
  }

  /** Sets attributes of one instance (an existing name takes the new value). */
  async putAttributes(instanceArn: string, attributes: readonly InstanceAttribute[]): Promise<void> {
    if (attributes.length === 0) return;
    await this.lock([instanceArn]);
    this.changed(instanceArn);
    await this.db
      .insertInto('container_instance_attributes')
      .values(attributes.map((a) => ({ instance_arn: instanceArn, name: a.name, value: a.value ?? null })))
      .onConflict((oc) =>
        oc.columns(['instance_arn', 'name']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
      )
      .execute();
  }

  /** Removes attributes of one instance by name; names it does not have are ignored. */
  async deleteAttributes(instanceArn: string, names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.lock([instanceArn]);
    this.changed(instanceArn);
    await this.db
      .deleteFrom('container_instance_attributes')
      .where('instance_arn', '=', instanceArn)
      .where('name', 'in', [...new Set(names)])
      .execute();
  }

  /** Replaces the whole attribute set of one instance. */
  async replaceAttributes(instanceArn: string, attributes: readonly InstanceAttribute[]): Promise<void> {
    if (!this.db.isTransaction) {
      await this.db
        .transaction()
        .execute((trx) =>
          new ContainerInstanceRepository(trx, this.kind, this.changed).replaceAttributes(
            instanceArn,
            attributes,
          ),
        );
      this.changed(instanceArn); // again after the commit (instance-writes.ts)
      return;
    }
    await this.lock([instanceArn]);
    this.changed(instanceArn);
    await this.db
      .deleteFrom('container_instance_attributes')
      .where('instance_arn', '=', instanceArn)
      .execute();
    await this.putAttributes(instanceArn, attributes);
  }

  /**
   * Attributes of the cluster's registered (non-INACTIVE) instances, optionally of one name (and
   * value), in (instance ARN, name) order, after `q.after`.
   */
  async listAttributes(q: ListAttributesQuery): Promise<TargetAttribute[]> {
    let query = this.db
      .selectFrom('container_instance_attributes as a')
      .innerJoin('container_instances as ci', 'ci.arn', 'a.instance_arn')
      .select(['a.instance_arn', 'a.name', 'a.value'])
      .where('ci.cluster', '=', q.cluster)
      .where('ci.status', '<>', 'INACTIVE');
    if (q.name !== undefined) query = query.where('a.name', '=', q.name);
    if (q.value !== undefined) query = query.where('a.value', '=', q.value);
    const after = q.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('a.instance_arn', '>', after.instanceArn),
          eb.and([eb('a.instance_arn', '=', after.instanceArn), eb('a.name', '>', after.name)]),
        ]),
      );
    }
    const rows = await query.orderBy('a.instance_arn').orderBy('a.name').limit(q.limit).execute();
    return rows.map((r) => ({ instanceArn: r.instance_arn, ...toAttribute(r) }));
  }

  /**
   * Inside a transaction on PostgreSQL, serialises it with every other transaction changing these
   * instances' attributes (a read-count-write of the custom-attribute limit must not interleave).
   * SQLite transactions already run one at a time. Locks are taken in ARN order.
   */
  private async lock(instanceArns: readonly string[]): Promise<void> {
    if (this.kind !== 'postgres' || !this.db.isTransaction) return;
    for (const arn of [...new Set(instanceArns)].sort()) {
      await sql`select pg_advisory_xact_lock(hashtextextended(${'attributes:' + arn}, 0))`.execute(this.db);
    }
  }
}

type InstanceRow = Database['container_instances'];

function toAttribute(row: { name: string; value: string | null }): InstanceAttribute {
  return row.value === null ? { name: row.name } : { name: row.name, value: row.value };
}

function toRecord(row: InstanceRow): ContainerInstanceRecord {
  return {
    arn: row.arn,
    id: row.id,
    cluster: row.cluster,
    hostId: row.host_id,
    status: row.status as ContainerInstanceRecord['status'],
    agentConnected: Number(row.agent_connected) === 1,
    registeredAt: row.registered_at,
    version: row.version,
    ...(JSON.parse(row.doc) as ContainerInstanceDoc),
  };
}

function toRow(record: ContainerInstanceRecord): InstanceRow {
  const { arn, id, cluster, hostId, status, agentConnected, registeredAt, version, ...doc } = record;
  return {
    arn,
    id,
    cluster,
    host_id: hostId,
    status,
    agent_connected: agentConnected ? 1 : 0,
    registered_at: registeredAt,
    version,
    doc: JSON.stringify(doc satisfies ContainerInstanceDoc),
  };
}
