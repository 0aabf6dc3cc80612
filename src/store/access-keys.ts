import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface AccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly principalArn: string;
  readonly sessionToken?: string;
  readonly expiresAt?: number;
}

/** Signing keys the API accepts. Secrets are needed in clear to recompute SigV4 signatures. */
export class AccessKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(accessKeyId: string): Promise<AccessKey | undefined> {
    const row = await this.db
      .selectFrom('access_keys')
      .selectAll()
      .where('access_key_id', '=', accessKeyId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      accessKeyId: row.access_key_id,
      secretAccessKey: row.secret_access_key,
      principalArn: row.principal_arn,
      ...(row.session_token !== null ? { sessionToken: row.session_token } : {}),
      ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    };
  }

  async firstFor(principalArn: string): Promise<AccessKey | undefined> {
    const row = await this.db
      .selectFrom('access_keys')
      .select('access_key_id')
      .where('principal_arn', '=', principalArn)
      .where('session_token', 'is', null)
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    return row && this.find(row.access_key_id);
  }

  async insert(key: AccessKey, now: number): Promise<void> {
    await this.db
      .insertInto('access_keys')
      .values({
        access_key_id: key.accessKeyId,
        secret_access_key: key.secretAccessKey,
        principal_arn: key.principalArn,
        session_token: key.sessionToken ?? null,
        expires_at: key.expiresAt ?? null,
        created_at: now,
      })
      .execute();
  }
}
