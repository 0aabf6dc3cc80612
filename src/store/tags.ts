import { sql, type Kysely } from 'kysely';
import type { ResourceTag } from '../core/ecs/tags.js';
import type { DialectKind } from './dialect.js';
import type { Database } from './schema.js';

/**
 * Tags of any resource, keyed by its ARN. Callers read, merge and replace a resource's tags in one
 * store.transaction (TagResource, UntagResource); concurrent ones must not lose each other's keys.
 */
export class TagRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DialectKind,
  ) {}

  async list(resourceArn: string): Promise<ResourceTag[]> {
    await this.lock(resourceArn);
    return this.db
      .selectFrom('resource_tags')
      .select(['key', 'value'])
      .where('resource_arn', '=', resourceArn)
      .orderBy('key')
      .execute();
  }

  /** Replaces the resource's whole tag set (callers merge first, so limits are checked on the result). */
  async replace(resourceArn: string, tags: readonly ResourceTag[]): Promise<void> {
    // Delete + insert must be one unit, or two replaces interleave into a duplicate-key error.
    if (!this.db.isTransaction) {
      return this.db
        .transaction()
        .execute((trx) => new TagRepository(trx, this.kind).replace(resourceArn, tags));
    }
    await this.lock(resourceArn);
    await this.db.deleteFrom('resource_tags').where('resource_arn', '=', resourceArn).execute();
    if (tags.length === 0) return;
    await this.db
      .insertInto('resource_tags')
      .values(tags.map((t) => ({ resource_arn: resourceArn, key: t.key, value: t.value })))
      .execute();
  }

  /**
   * Inside a transaction, serialises it with every other transaction touching this resource's tags.
   * SQLite transactions already run one at a time; PostgreSQL's run concurrently at READ COMMITTED,
   * where a read-merge-write would lose keys or hit a duplicate key. The advisory lock is released
   * at commit or rollback.
   */
  private async lock(resourceArn: string): Promise<void> {
    if (this.kind !== 'postgres' || !this.db.isTransaction) return;
    await sql`select pg_advisory_xact_lock(hashtextextended(${resourceArn}, 0))`.execute(this.db);
  }
}
