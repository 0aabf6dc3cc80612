import type { TaskDefinition, TaskDefinitionStatus } from '@aws-sdk/client-ecs';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { TaskDefinitionContent } from '../core/ecs/task-definition/register.js';
import type { Database } from './schema.js';

export interface RevisionKey {
  readonly family: string;
  readonly revision: number;
}

export interface ListRevisionsQuery {
  readonly familyPrefix?: string;
  readonly status: TaskDefinitionStatus;
  readonly descending: boolean;
  readonly after?: RevisionKey;
  readonly limit: number;
}

export interface ListFamiliesQuery {
  readonly familyPrefix?: string;
  /** ACTIVE: families with an ACTIVE revision; INACTIVE: families with none; ALL: every family. */
  readonly status: 'ACTIVE' | 'INACTIVE' | 'ALL';
  readonly after?: string;
  readonly limit: number;
}

/**
 * Task-definition revisions. `register` hands out the family's next revision and stores the
 * revision in one transaction, so revision numbers have no gaps and no duplicates, whatever
 * crashes or concurrent registrations happen.
 */
export class TaskDefinitionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async register(
    content: TaskDefinitionContent,
    meta: { arnOf: (revision: number) => string; registeredBy: string; now: number },
  ): Promise<TaskDefinition> {
    // Joins the caller's transaction (so tags commit with the revision), or opens its own.
    if (!this.db.isTransaction)
      return this.db
        .transaction()
        .execute((trx) => new TaskDefinitionRepository(trx).register(content, meta));
    const trx = this.db;
    const { last_revision: revision } = await trx
      .insertInto('task_definition_families')
      .values({ family: content.family, last_revision: 1 })
      .onConflict((oc) =>
        oc
          .column('family')
          .doUpdateSet((eb) => ({ last_revision: eb('task_definition_families.last_revision', '+', 1) })),
      )
      .returning('last_revision')
      .executeTakeFirstOrThrow();
    const arn = meta.arnOf(revision);
    const row = {
      arn,
      family: content.family,
      revision,
      status: 'ACTIVE',
      doc: JSON.stringify(content),
      registered_at: meta.now,
      registered_by: meta.registeredBy,
      deregistered_at: null,
      delete_requested_at: null,
    };
    await trx.insertInto('task_definitions').values(row).execute();
    return toTaskDefinition(row);
  }

  async get(key: RevisionKey): Promise<TaskDefinition | undefined> {
    const row = await this.db
      .selectFrom('task_definitions')
      .selectAll()
      .where('family', '=', key.family)
      .where('revision', '=', key.revision)
      .executeTakeFirst();
    return row && toTaskDefinition(row);
  }

  /** The newest ACTIVE revision of a family (what a bare family name refers to). */
  async latestActive(family: string): Promise<TaskDefinition | undefined> {
    const row = await this.db
      .selectFrom('task_definitions')
      .selectAll()
      .where('family', '=', family)
      .where('status', '=', 'ACTIVE')
      .orderBy('revision', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toTaskDefinition(row);
  }

  async setStatus(
    key: RevisionKey,
    status: TaskDefinitionStatus,
    at: number,
  ): Promise<TaskDefinition | undefined> {
    const changes =
      status === 'INACTIVE'
        ? { status, deregistered_at: at }
        : status === 'DELETE_IN_PROGRESS'
          ? { status, delete_requested_at: at }
          : { status };
    await this.db
      .updateTable('task_definitions')
      .set(changes)
      .where('family', '=', key.family)
      .where('revision', '=', key.revision)
      .execute();
    return this.get(key);
  }

  /** ARNs ordered by family then revision (numerically), keyset-paginated. */
  async listArns(q: ListRevisionsQuery): Promise<{ arn: string; family: string; revision: number }[]> {
    let query = this.db.selectFrom('task_definitions').select('arn').where('status', '=', q.status);
    query = withPrefix(query, q.familyPrefix);
    if (q.after) {
      const { family, revision } = q.after;
      const op = q.descending ? '<' : '>';
      query = query.where((eb) =>
        eb.or([eb('family', op, family), eb.and([eb('family', '=', family), eb('revision', op, revision)])]),
      );
    }
    const direction = q.descending ? 'desc' : 'asc';
    const rows = await query
      .orderBy('family', direction)
      .orderBy('revision', direction)
      .limit(q.limit)
      .execute();
    // Only the ARN is read (a covering-index scan, and a third of the values to materialise); family
    // and revision are its tail, `task-definition/<family>:<revision>`.
    return rows.map(({ arn }) => {
      const colon = arn.lastIndexOf(':');
      const slash = arn.lastIndexOf('/', colon);
      return { arn, family: arn.slice(slash + 1, colon), revision: Number(arn.slice(colon + 1)) };
    });
  }

  async listFamilies(q: ListFamiliesQuery): Promise<string[]> {
    let query = this.db.selectFrom('task_definitions').select('family').groupBy('family');
    query = withPrefix(query, q.familyPrefix);
    if (q.after !== undefined) query = query.where('family', '>', q.after);
    const active = this.db.fn.sum<number>(this.db.case().when('status', '=', 'ACTIVE').then(1).else(0).end());
    if (q.status === 'ACTIVE') query = query.having(active, '>', 0);
    if (q.status === 'INACTIVE') query = query.having(active, '=', 0);
    const rows = await query.orderBy('family').limit(q.limit).execute();
    return rows.map((r) => r.family);
  }
}

function withPrefix<O>(
  query: SelectQueryBuilder<Database, 'task_definitions', O>,
  prefix: string | undefined,
): SelectQueryBuilder<Database, 'task_definitions', O> {
  if (!prefix) return query;
  // Range instead of LIKE: no wildcard escaping, and it uses the (status, family) index.
  return query.where('family', '>=', prefix).where('family', '<', prefix + '\u{10FFFF}');
}

function toTaskDefinition(row: Database['task_definitions']): TaskDefinition {
  const content = JSON.parse(row.doc) as TaskDefinitionContent;
  return {
    taskDefinitionArn: row.arn,
    ...content,
    revision: row.revision,
    status: row.status as TaskDefinitionStatus,
    registeredAt: new Date(row.registered_at),
    registeredBy: row.registered_by,
    ...(row.deregistered_at !== null ? { deregisteredAt: new Date(row.deregistered_at) } : {}),
    ...(row.delete_requested_at !== null ? { deleteRequestedAt: new Date(row.delete_requested_at) } : {}),
  };
}
