import type { Kysely } from 'kysely';
import type { ResourceTag } from '../core/ecs/tags.js';
import type { Database } from './schema.js';

/** Tags of any resource, keyed by its ARN. */
export class TagRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(resourceArn: string): Promise<ResourceTag[]> {
    return this.db
      .selectFrom('resource_tags')
      .select(['key', 'value'])
      .where('resource_arn', '=', resourceArn)
      .orderBy('key')
      .execute();
  }

  /** Replaces the resource's whole tag set (callers merge first, so limits are checked on the result). */
  async replace(resourceArn: string, tags: readonly ResourceTag[]): Promise<void> {
    await this.db.deleteFrom('resource_tags').where('resource_arn', '=', resourceArn).execute();
    if (tags.length === 0) return;
    await this.db
      .insertInto('resource_tags')
      .values(tags.map((t) => ({ resource_arn: resourceArn, key: t.key, value: t.value })))
      .execute();
  }
}
