import type { Kysely } from 'kysely';
import type { ServiceDoc, ServiceRecord } from '../core/ecs/service.js';
import type { DeploymentRecord } from '../core/ecs/service-deployment.js';
import type { Database } from './schema.js';

/** ListServices: ACTIVE services of a cluster in name order, after `afterName`. */
export interface ListServicesQuery {
  readonly cluster: string;
  readonly schedulingStrategy?: string;
  readonly launchType?: string;
  readonly afterName?: string;
  readonly limit: number;
}

/** ListServiceDeployments: a service's deployments, newest first, after the key `after`. */
export interface ListDeploymentsQuery {
  readonly serviceArn: string;
  /** Service-deployment statuses to keep; empty or absent: all. */
  readonly statuses?: readonly string[];
  /** Epoch ms bounds on `createdAt` (inclusive). */
  readonly createdAfter?: number;
  readonly createdBefore?: number;
  readonly after?: { readonly createdAt: number; readonly arn: string };
  readonly limit: number;
}

/**
 * Services with their deployments. A service row is written with a version check; its
 * deployments are rows of their own, written in the same transaction as the service row, so a
 * service and its deployments change together or not at all. The deployments that are not
 * INACTIVE are read back with their service (`ServiceRecord.deployments`); INACTIVE ones stay for
 * the service-deployment API.
 */
export class ServiceRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Inserts a new service and its deployments. Fails, writing nothing, when the cluster already
   * has a service of that name (in any status) or a live one with the same clientToken.
   */
  async insert(record: ServiceRecord): Promise<void> {
    if (!this.db.isTransaction) {
      return this.db.transaction().execute((trx) => new ServiceRepository(trx).insert(record));
    }
    await this.db.insertInto('services').values(toServiceRow(record)).execute();
    await this.writeDeployments(record);
  }

  /**
   * Writes `record` and its deployments if the stored version is still `record.version - 1`;
   * false, writing nothing, when it moved on (or the service does not exist).
   */
  async update(record: ServiceRecord): Promise<boolean> {
    if (!this.db.isTransaction) {
      return this.db.transaction().execute((trx) => new ServiceRepository(trx).update(record));
    }
    if (!(await this.writeService(record))) return false;
    await this.writeDeployments(record);
    return true;
  }

  /**
   * A service created again over the INACTIVE one of the same name (same ARN): written with the
   * version check, and the old service's deployments are dropped with it.
   */
  async recreate(record: ServiceRecord): Promise<boolean> {
    if (!this.db.isTransaction) {
      return this.db.transaction().execute((trx) => new ServiceRepository(trx).recreate(record));
    }
    if (!(await this.writeService(record))) return false;
    await this.db.deleteFrom('service_deployments').where('service_arn', '=', record.arn).execute();
    await this.writeDeployments(record);
    return true;
  }

  async byName(cluster: string, name: string): Promise<ServiceRecord | undefined> {
    return (await this.byNames(cluster, [name]))[0];
  }

  /** The services of `cluster` with these names (any status), in no particular order. */
  async byNames(cluster: string, names: readonly string[]): Promise<ServiceRecord[]> {
    if (names.length === 0) return [];
    const rows = await this.db
      .selectFrom('services')
      .selectAll()
      .where('cluster', '=', cluster)
      .where('name', 'in', [...new Set(names)])
      .execute();
    return this.withDeployments(rows);
  }

  /** The service of `cluster` that is not INACTIVE and was created with this clientToken. */
  async byClientToken(cluster: string, token: string): Promise<ServiceRecord | undefined> {
    const rows = await this.db
      .selectFrom('services')
      .selectAll()
      .where('cluster', '=', cluster)
      .where('client_token', '=', token)
      .where('status', '<>', 'INACTIVE')
      .execute();
    return (await this.withDeployments(rows))[0];
  }

  /**
   * The services of `cluster` in these statuses (default: those a controller acts on, ACTIVE and
   * DRAINING), in name order, each with its version and live deployments.
   */
  async byCluster(
    cluster: string,
    statuses: readonly ServiceRecord['status'][] = ['ACTIVE', 'DRAINING'],
  ): Promise<ServiceRecord[]> {
    if (statuses.length === 0) return [];
    const rows = await this.db
      .selectFrom('services')
      .selectAll()
      .where('cluster', '=', cluster)
      .where('status', 'in', [...statuses])
      .orderBy('name')
      .execute();
    return this.withDeployments(rows);
  }

  /** The names of the clusters that have services in these statuses (default ACTIVE and DRAINING). */
  async clusters(statuses: readonly ServiceRecord['status'][] = ['ACTIVE', 'DRAINING']): Promise<string[]> {
    if (statuses.length === 0) return [];
    const rows = await this.db
      .selectFrom('services')
      .select('cluster')
      .distinct()
      .where('status', 'in', [...statuses])
      .orderBy('cluster')
      .execute();
    return rows.map((r) => r.cluster);
  }

  /** ListServices: ACTIVE services' ARNs and names, in name order. */
  async listActive(q: ListServicesQuery): Promise<{ arn: string; name: string }[]> {
    let query = this.db
      .selectFrom('services')
      .select(['arn', 'name'])
      .where('cluster', '=', q.cluster)
      .where('status', '=', 'ACTIVE');
    if (q.schedulingStrategy !== undefined)
      query = query.where('scheduling_strategy', '=', q.schedulingStrategy);
    if (q.launchType !== undefined) query = query.where('launch_type', '=', q.launchType);
    if (q.afterName !== undefined) query = query.where('name', '>', q.afterName);
    return query.orderBy('name').limit(q.limit).execute();
  }

  /** ACTIVE services per cluster (DescribeClusters' `activeServicesCount`; DeleteCluster refuses any). */
  async countActive(clusters: readonly string[]): Promise<Map<string, number>> {
    if (clusters.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('services')
      .select(['cluster', (eb) => eb.fn.countAll<number | string | bigint>().as('count')])
      .where('cluster', 'in', [...new Set(clusters)])
      .where('status', '=', 'ACTIVE')
      .groupBy('cluster')
      .execute();
    return new Map(rows.map((r) => [r.cluster, Number(r.count)]));
  }

  /** A deployment by its service-deployment ARN, with the ARN of its service. */
  async deploymentByArn(
    arn: string,
  ): Promise<{ serviceArn: string; deployment: DeploymentRecord } | undefined> {
    const row = await this.db
      .selectFrom('service_deployments')
      .selectAll()
      .where('arn', '=', arn)
      .executeTakeFirst();
    return row && { serviceArn: row.service_arn, deployment: toDeployment(row) };
  }

  /** A deployment of the service by its id (`ecs-svc/…`). */
  async deploymentById(serviceArn: string, id: string): Promise<DeploymentRecord | undefined> {
    const row = await this.db
      .selectFrom('service_deployments')
      .selectAll()
      .where('service_arn', '=', serviceArn)
      .where('deployment_id', '=', id)
      .executeTakeFirst();
    return row && toDeployment(row);
  }

  /** ListServiceDeployments: newest first (ties by ARN), after `q.after`. */
  async listDeployments(q: ListDeploymentsQuery): Promise<DeploymentRecord[]> {
    let query = this.db.selectFrom('service_deployments').selectAll().where('service_arn', '=', q.serviceArn);
    if (q.statuses !== undefined && q.statuses.length > 0)
      query = query.where('deployment_status', 'in', [...q.statuses]);
    if (q.createdAfter !== undefined) query = query.where('created_at', '>=', q.createdAfter);
    if (q.createdBefore !== undefined) query = query.where('created_at', '<=', q.createdBefore);
    const after = q.after;
    if (after !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('arn', '<', after.arn)]),
        ]),
      );
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('arn', 'desc').limit(q.limit).execute();
    return rows.map(toDeployment);
  }

  private async writeService(record: ServiceRecord): Promise<boolean> {
    const { arn, version, ...rest } = toServiceRow(record);
    const result = await this.db
      .updateTable('services')
      .set({ ...rest, version })
      .where('arn', '=', arn)
      .where('version', '=', version - 1)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Inserts the record's deployments, or updates those already stored. */
  private async writeDeployments(record: ServiceRecord): Promise<void> {
    if (record.deployments.length === 0) return;
    await this.db
      .insertInto('service_deployments')
      .values(record.deployments.map((d) => toDeploymentRow(record.arn, d)))
      .onConflict((oc) =>
        oc.column('arn').doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          deployment_status: eb.ref('excluded.deployment_status'),
          doc: eb.ref('excluded.doc'),
        })),
      )
      .execute();
  }

  /** The records of these rows, each with its deployments that are not INACTIVE. */
  private async withDeployments(rows: readonly ServiceRow[]): Promise<ServiceRecord[]> {
    if (rows.length === 0) return [];
    const deployments = await this.db
      .selectFrom('service_deployments')
      .selectAll()
      .where(
        'service_arn',
        'in',
        rows.map((r) => r.arn),
      )
      .where('status', '<>', 'INACTIVE')
      .execute();
    const byService = new Map<string, DeploymentRecord[]>();
    for (const row of deployments) {
      const list = byService.get(row.service_arn) ?? [];
      list.push(toDeployment(row));
      byService.set(row.service_arn, list);
    }
    return rows.map((row) => toService(row, (byService.get(row.arn) ?? []).sort(deploymentOrder)));
  }
}

/** PRIMARY first, then the others newest first (as DescribeServices lists them). */
function deploymentOrder(a: DeploymentRecord, b: DeploymentRecord): number {
  if ((a.status === 'PRIMARY') !== (b.status === 'PRIMARY')) return a.status === 'PRIMARY' ? -1 : 1;
  return b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

type ServiceRow = Database['services'];
type DeploymentRow = Database['service_deployments'];

/** The deployment fields kept in the row's document (the rest are columns). */
type DeploymentDoc = Omit<DeploymentRecord, 'arn' | 'id' | 'status' | 'deploymentStatus' | 'createdAt'>;

function toService(row: ServiceRow, deployments: DeploymentRecord[]): ServiceRecord {
  return {
    arn: row.arn,
    name: row.name,
    cluster: row.cluster,
    status: row.status as ServiceRecord['status'],
    schedulingStrategy: row.scheduling_strategy as ServiceRecord['schedulingStrategy'],
    launchType: row.launch_type as ServiceRecord['launchType'],
    ...(row.client_token !== null ? { clientToken: row.client_token } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
    ...(JSON.parse(row.doc) as ServiceDoc),
    deployments,
  };
}

function toServiceRow(record: ServiceRecord): ServiceRow {
  const {
    arn,
    name,
    cluster,
    status,
    schedulingStrategy,
    launchType,
    clientToken,
    createdAt,
    updatedAt,
    version,
    ...rest
  } = record;
  // The deployments are rows of their own.
  const doc: Omit<typeof rest, 'deployments'> & { deployments?: unknown } = { ...rest };
  delete doc.deployments;
  return {
    arn,
    cluster,
    name,
    status,
    scheduling_strategy: schedulingStrategy,
    launch_type: launchType,
    client_token: clientToken ?? null,
    doc: JSON.stringify(doc satisfies ServiceDoc),
    created_at: createdAt,
    updated_at: updatedAt,
    version,
  };
}

function toDeployment(row: DeploymentRow): DeploymentRecord {
  return {
    arn: row.arn,
    id: row.deployment_id,
    status: row.status as DeploymentRecord['status'],
    deploymentStatus: row.deployment_status as DeploymentRecord['deploymentStatus'],
    createdAt: row.created_at,
    ...(JSON.parse(row.doc) as DeploymentDoc),
  };
}

function toDeploymentRow(serviceArn: string, d: DeploymentRecord): DeploymentRow {
  const { arn, id, status, deploymentStatus, createdAt, ...doc } = d;
  return {
    arn,
    service_arn: serviceArn,
    deployment_id: id,
    status,
    deployment_status: deploymentStatus,
    created_at: createdAt,
    doc: JSON.stringify(doc satisfies DeploymentDoc),
  };
}
