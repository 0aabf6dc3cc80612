import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Named leases: who may run a singleton (the service scheduler) among the control-plane replicas
 * sharing this store. A holder keeps its lease by renewing it before it expires; once it has
 * expired anyone may take it. Times are the callers' clocks (epoch ms): replicas' clocks must agree
 * to well within a lease's length, which is seconds.
 */
export class LeaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Takes or renews `name` for `holder` until `now + ttlMs`: true when `holder` holds it now
   * (it held it, or it was free or expired), false when another holder's lease is still running.
   */
  async acquire(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const expiresAt = now + ttlMs;
    await this.db
      .insertInto('leases')
      .values({ name, holder, expires_at: expiresAt })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const result = await this.db
      .updateTable('leases')
      .set({ holder, expires_at: expiresAt })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<=', now)]))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Gives `name` up if `holder` has it, so another replica can take over at once. */
  async release(name: string, holder: string): Promise<void> {
    await this.db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
  }

  async holder(name: string, now: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('leases')
      .select('holder')
      .where('name', '=', name)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row?.holder;
  }
}
