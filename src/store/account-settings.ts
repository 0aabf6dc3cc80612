import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface StoredSetting {
  readonly principalArn: string;
  readonly name: string;
  readonly value: string;
}

/** Account settings per principal; the account root's row is the account default. */
export class AccountSettingRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async put(setting: StoredSetting): Promise<void> {
    await this.db
      .insertInto('account_settings')
      .values({ principal_arn: setting.principalArn, name: setting.name, value: setting.value })
      .onConflict((oc) => oc.columns(['principal_arn', 'name']).doUpdateSet({ value: setting.value }))
      .execute();
  }

  async remove(principalArn: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('account_settings')
      .where('principal_arn', '=', principalArn)
      .where('name', '=', name)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async forPrincipals(principalArns: readonly string[]): Promise<StoredSetting[]> {
    if (principalArns.length === 0) return [];
    const rows = await this.db
      .selectFrom('account_settings')
      .selectAll()
      .where('principal_arn', 'in', [...principalArns])
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ principalArn: r.principal_arn, name: r.name, value: r.value }));
  }
}
