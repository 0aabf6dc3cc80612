import type { Kysely } from 'kysely';
import type { ClusterRecord, ClusterDoc } from '../core/ecs/cluster.js';
import type { Database } from './schema.js';

/** Clusters by name. Updates name the version they read; a stale version updates nothing. */
export class ClusterRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async byName(name: string): Promise<ClusterRecord | undefined> {
    const row = await this.db.selectFrom('clusters').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toRecord(row);
  }

  async byNames(names: readonly string[]): Promise<ClusterRecord[]> {
    if (names.length === 0) return [];
    const rows = await this.db
      .selectFrom('clusters')
      .selectAll()
      .where('name', 'in', [...names])
      .execute();
    return rows.map(toRecord);
  }

  /** ACTIVE clusters in name order, after `afterName`, at most `limit`. */
  async listActive(afterName: string | undefined, limit: number): Promise<ClusterRecord[]> {
    let query = this.db.selectFrom('clusters').selectAll().where('status', '=', 'ACTIVE');
    if (afterName !== undefined) query = query.where('name', '>', afterName);
    const rows = await query.orderBy('name').limit(limit).execute();
    return rows.map(toRecord);
  }

  async insert(record: ClusterRecord): Promise<void> {
    await this.db.insertInto('clusters').values(toRow(record)).execute();
  }

  /**
   * Inside a transaction: confirms the cluster is ACTIVE and holds its row until the transaction
   * ends (an update that changes nothing, which still locks the row on PostgreSQL). A concurrent
   * DeleteCluster, which updates the row and then counts what the cluster holds in its own
   * transaction, either waits for this one and sees what it added, or commits first and this
   * answers false.
   */
  async holdActive(name: string): Promise<boolean> {
    const result = await this.db
      .updateTable('clusters')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('name', '=', name)
      .where('status', '=', 'ACTIVE')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Writes `record` if the stored version is still `record.version - 1`; false when it moved on. */
  async update(record: ClusterRecord): Promise<boolean> {
    const { arn, version, ...rest } = toRow(record);
    const result = await this.db
      .updateTable('clusters')
      .set({ ...rest, version })
      .where('arn', '=', arn)
      .where('version', '=', version - 1)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}

type ClusterRow = Database['clusters'];

function toRecord(row: ClusterRow): ClusterRecord {
  return {
    arn: row.arn,
    name: row.name,
    status: row.status as ClusterRecord['status'],
    createdAt: row.created_at,
    version: row.version,
    ...(JSON.parse(row.doc) as ClusterDoc),
  };
}

function toRow(record: ClusterRecord): ClusterRow {
  const { arn, name, status, createdAt, version, ...doc } = record;
  return { arn, name, status, created_at: createdAt, version, doc: JSON.stringify(doc satisfies ClusterDoc) };
}
