import type { Kysely } from 'kysely';
import type {
  HealthReport,
  ListenerRecord,
  LoadBalancerRecord,
  RuleRecord,
  TargetGroupRecord,
  TargetRecord,
} from '../core/elbv2/types.js';
import type { Database } from './schema.js';

/**
 * ELBv2's model: load balancers, listeners, rules (a listener's default actions are its default
 * rule), target groups and their targets. Records are written with a version check (a stale version
 * writes nothing and answers false). Uniqueness is the database's: load-balancer and target-group
 * names, listener ports across all load balancers, rule priorities per listener — an insert that
 * would break one answers false. Which target groups each rule forwards to is kept as rows written
 * with the rule, so "is this target group in use, and by which load balancer" is one indexed read.
 * Callers that write several rows run them in one store.transaction.
 */
export class LoadBalancingRepository {
  constructor(private readonly db: Kysely<Database>) {}

  // --- load balancers ---

  async insertLoadBalancer(record: LoadBalancerRecord): Promise<boolean> {
    const { arn, name, createdAt, version, ...doc } = record;
    const result = await this.db
      .insertInto('elb_load_balancers')
      .values({ arn, name, created_at: createdAt, version, doc: JSON.stringify(doc) })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  async loadBalancers(): Promise<LoadBalancerRecord[]> {
    const rows = await this.db.selectFrom('elb_load_balancers').selectAll().orderBy('name').execute();
    return rows.map(toLoadBalancer);
  }

  async loadBalancer(arn: string): Promise<LoadBalancerRecord | undefined> {
    const row = await this.db
      .selectFrom('elb_load_balancers')
      .selectAll()
      .where('arn', '=', arn)
      .executeTakeFirst();
    return row && toLoadBalancer(row);
  }

  async loadBalancerNamed(name: string): Promise<LoadBalancerRecord | undefined> {
    const row = await this.db
      .selectFrom('elb_load_balancers')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toLoadBalancer(row);
  }

  /**
   * Inside a transaction: confirms the load balancer exists and holds its row (an update that
   * changes nothing still locks it on PostgreSQL), so a concurrent DeleteLoadBalancer either waits
   * and deletes what this transaction adds, or deleted first and this answers false.
   */
  async holdLoadBalancer(arn: string): Promise<boolean> {
    const result = await this.db
      .updateTable('elb_load_balancers')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('arn', '=', arn)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Deletes a load balancer with its listeners and their rules; answers every ARN that went. */
  async deleteLoadBalancer(arn: string): Promise<string[]> {
    const deleted = await this.db.deleteFrom('elb_load_balancers').where('arn', '=', arn).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) return [];
    const listeners = await this.listeners(arn);
    const gone = [arn];
    for (const listener of listeners) gone.push(...(await this.deleteListener(listener.arn)));
    return gone;
  }

  // --- listeners ---

  async insertListener(record: ListenerRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('elb_listeners')
      .values(toListenerRow(record))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  async listener(arn: string): Promise<ListenerRecord | undefined> {
    const row = await this.db
      .selectFrom('elb_listeners')
      .selectAll()
      .where('arn', '=', arn)
      .executeTakeFirst();
    return row && toListener(row);
  }

  async listenerOnPort(port: number): Promise<ListenerRecord | undefined> {
    const row = await this.db
      .selectFrom('elb_listeners')
      .selectAll()
      .where('port', '=', port)
      .executeTakeFirst();
    return row && toListener(row);
  }

  /** A load balancer's listeners (every listener, without one), by port. */
  async listeners(loadBalancerArn?: string): Promise<ListenerRecord[]> {
    let query = this.db.selectFrom('elb_listeners').selectAll();
    if (loadBalancerArn !== undefined) query = query.where('load_balancer_arn', '=', loadBalancerArn);
    const rows = await query.orderBy('port').execute();
    return rows.map(toListener);
  }

  async updateListener(record: ListenerRecord): Promise<boolean> {
    const { arn, version, ...rest } = toListenerRow(record);
    const result = await this.db
      .updateTable('elb_listeners')
      .set({ ...rest, version })
      .where('arn', '=', arn)
      .where('version', '=', version - 1)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Holds a listener's row for the transaction (see holdLoadBalancer); false when it is gone. */
  async holdListener(arn: string): Promise<boolean> {
    const result = await this.db
      .updateTable('elb_listeners')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('arn', '=', arn)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Deletes a listener and its rules; answers every ARN that went. */
  async deleteListener(arn: string): Promise<string[]> {
    const deleted = await this.db.deleteFrom('elb_listeners').where('arn', '=', arn).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) return [];
    const rules = await this.rules(arn);
    for (const rule of rules) await this.deleteRule(rule.arn);
    return [arn, ...rules.map((r) => r.arn)];
  }

  // --- rules ---

  /** Inserts a rule and its target-group links; false (nothing written) when its priority is taken. */
  async insertRule(
    record: RuleRecord,
    loadBalancerArn: string,
    targetGroupArns: readonly string[],
  ): Promise<boolean> {
    const result = await this.db
      .insertInto('elb_rules')
      .values(toRuleRow(record))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (result.numInsertedOrUpdatedRows !== 1n) return false;
    await this.link(record.arn, loadBalancerArn, targetGroupArns);
    return true;
  }

  async rule(arn: string): Promise<RuleRecord | undefined> {
    const row = await this.db.selectFrom('elb_rules').selectAll().where('arn', '=', arn).executeTakeFirst();
    return row && toRule(row);
  }

  /** A listener's rules by priority, the default rule last (as DescribeRules lists them). */
  async rules(listenerArn: string): Promise<RuleRecord[]> {
    const rows = await this.db
      .selectFrom('elb_rules')
      .selectAll()
      .where('listener_arn', '=', listenerArn)
      .execute();
    return rows.map(toRule).sort((a, b) => (a.priority ?? Infinity) - (b.priority ?? Infinity));
  }

  /** Writes a rule (and relinks its target groups) if its version is still `version - 1`. */
  async updateRule(
    record: RuleRecord,
    loadBalancerArn: string,
    targetGroupArns: readonly string[],
  ): Promise<boolean> {
    const { arn, version, ...rest } = toRuleRow(record);
    const result = await this.db
      .updateTable('elb_rules')
      .set({ ...rest, version })
      .where('arn', '=', arn)
      .where('version', '=', version - 1)
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) return false;
    await this.db.deleteFrom('elb_rule_target_groups').where('rule_arn', '=', arn).execute();
    await this.link(arn, loadBalancerArn, targetGroupArns);
    return true;
  }

  /**
   * SetRulePriorities: clears the rules' priorities, then writes the new ones, so swapping two
   * priorities never meets the unique index halfway. Every rule's version is checked; false when
   * one moved on (the caller's transaction then rolls back) or a priority is taken by another rule.
   */
  async setPriorities(records: readonly RuleRecord[]): Promise<boolean> {
    for (const r of records) {
      const cleared = await this.db
        .updateTable('elb_rules')
        .set({ priority: null })
        .where('arn', '=', r.arn)
        .where('version', '=', r.version - 1)
        .executeTakeFirst();
      if (cleared.numUpdatedRows !== 1n) return false;
    }
    for (const r of records) {
      const taken = await this.db
        .selectFrom('elb_rules')
        .select('arn')
        .where('listener_arn', '=', r.listenerArn)
        .where('priority', '=', r.priority ?? null)
        .executeTakeFirst();
      if (taken) return false;
      await this.db
        .updateTable('elb_rules')
        .set({ priority: r.priority ?? null, version: r.version })
        .where('arn', '=', r.arn)
        .execute();
    }
    return true;
  }

  async deleteRule(arn: string): Promise<boolean> {
    const deleted = await this.db.deleteFrom('elb_rules').where('arn', '=', arn).executeTakeFirst();
    await this.db.deleteFrom('elb_rule_target_groups').where('rule_arn', '=', arn).execute();
    return deleted.numDeletedRows === 1n;
  }

  private async link(
    ruleArn: string,
    loadBalancerArn: string,
    targetGroupArns: readonly string[],
  ): Promise<void> {
    if (targetGroupArns.length === 0) return;
    await this.db
      .insertInto('elb_rule_target_groups')
      .values(
        targetGroupArns.map((tg) => ({
          rule_arn: ruleArn,
          target_group_arn: tg,
          load_balancer_arn: loadBalancerArn,
        })),
      )
      .execute();
  }

  /** For each of the target groups: the load balancers whose rules forward to it. */
  async usage(targetGroupArns?: readonly string[]): Promise<Map<string, string[]>> {
    let query = this.db
      .selectFrom('elb_rule_target_groups')
      .select(['target_group_arn', 'load_balancer_arn'])
      .distinct();
    if (targetGroupArns !== undefined) {
      if (targetGroupArns.length === 0) return new Map();
      query = query.where('target_group_arn', 'in', [...targetGroupArns]);
    }
    const used = new Map<string, string[]>();
    for (const row of await query.execute()) {
      used.set(row.target_group_arn, [...(used.get(row.target_group_arn) ?? []), row.load_balancer_arn]);
    }
    return used;
  }

  /** The target groups a load balancer's rules forward to. */
  async targetGroupsUsedBy(loadBalancerArn: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('elb_rule_target_groups')
      .select('target_group_arn')
      .distinct()
      .where('load_balancer_arn', '=', loadBalancerArn)
      .execute();
    return rows.map((r) => r.target_group_arn);
  }

  // --- target groups ---

  async insertTargetGroup(record: TargetGroupRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('elb_target_groups')
      .values(toTargetGroupRow(record))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  async targetGroups(arns?: readonly string[]): Promise<TargetGroupRecord[]> {
    let query = this.db.selectFrom('elb_target_groups').selectAll();
    if (arns !== undefined) {
      if (arns.length === 0) return [];
      query = query.where('arn', 'in', [...arns]);
    }
    const rows = await query.orderBy('name').execute();
    return rows.map(toTargetGroup);
  }

  async targetGroupNamed(name: string): Promise<TargetGroupRecord | undefined> {
    const row = await this.db
      .selectFrom('elb_target_groups')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toTargetGroup(row);
  }

  /**
   * Inside a transaction: holds the target groups' rows (see holdLoadBalancer) and answers how many
   * exist, so a rule forwarding to them and a DeleteTargetGroup never both succeed.
   */
  async holdTargetGroups(arns: readonly string[]): Promise<number> {
    if (arns.length === 0) return 0;
    const result = await this.db
      .updateTable('elb_target_groups')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('arn', 'in', [...arns])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async updateTargetGroup(record: TargetGroupRecord): Promise<boolean> {
    const { arn, version, ...rest } = toTargetGroupRow(record);
    const result = await this.db
      .updateTable('elb_target_groups')
      .set({ ...rest, version })
      .where('arn', '=', arn)
      .where('version', '=', version - 1)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Deletes a target group and its targets; false when there was none. */
  async deleteTargetGroup(arn: string): Promise<boolean> {
    const deleted = await this.db.deleteFrom('elb_target_groups').where('arn', '=', arn).executeTakeFirst();
    await this.db.deleteFrom('elb_targets').where('target_group_arn', '=', arn).execute();
    return deleted.numDeletedRows === 1n;
  }

  // --- targets ---

  /** Every stored target of the groups (all groups without arns), drained ones included. */
  async targets(targetGroupArns?: readonly string[]): Promise<TargetRecord[]> {
    let query = this.db.selectFrom('elb_targets').selectAll();
    if (targetGroupArns !== undefined) {
      if (targetGroupArns.length === 0) return [];
      query = query.where('target_group_arn', 'in', [...targetGroupArns]);
    }
    const rows = await query.orderBy('target_group_arn').orderBy('target_id').orderBy('port').execute();
    return rows.map(toTarget);
  }

  /** Inserts or replaces a target (a re-registered one starts over: no health, not draining). */
  async putTarget(target: TargetRecord): Promise<void> {
    const row = toTargetRow(target);
    await this.db
      .insertInto('elb_targets')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['target_group_arn', 'target_id', 'port']).doUpdateSet({
          availability_zone: row.availability_zone,
          registered_at: row.registered_at,
          deregistered_at: row.deregistered_at,
          drain_until: row.drain_until,
          health_state: row.health_state,
          health_reason: row.health_reason,
          health_description: row.health_description,
        }),
      )
      .execute();
  }

  async deleteTarget(targetGroupArn: string, id: string, port: number): Promise<void> {
    await this.db
      .deleteFrom('elb_targets')
      .where('target_group_arn', '=', targetGroupArn)
      .where('target_id', '=', id)
      .where('port', '=', port)
      .execute();
  }

  /** Removes targets whose draining ended before `now`. */
  async deleteDrained(targetGroupArn: string, now: number): Promise<void> {
    await this.db
      .deleteFrom('elb_targets')
      .where('target_group_arn', '=', targetGroupArn)
      .where('drain_until', '<=', now)
      .execute();
  }

  /**
   * The data plane's health-check outcome for a registered target. A draining or unknown target is
   * left alone (false): its state is the control plane's until it is gone.
   */
  async writeHealth(
    targetGroupArn: string,
    id: string,
    port: number,
    report: HealthReport,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('elb_targets')
      .set({
        health_state: report.state,
        health_reason: report.reason ?? null,
        health_description: report.description ?? null,
      })
      .where('target_group_arn', '=', targetGroupArn)
      .where('target_id', '=', id)
      .where('port', '=', port)
      .where('deregistered_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}

type Row<T extends keyof Database> = Database[T];

function toLoadBalancer(row: Row<'elb_load_balancers'>): LoadBalancerRecord {
  const doc = JSON.parse(row.doc) as Omit<LoadBalancerRecord, 'arn' | 'name' | 'createdAt' | 'version'>;
  return { ...doc, arn: row.arn, name: row.name, createdAt: row.created_at, version: row.version };
}

function toListenerRow(record: ListenerRecord): Row<'elb_listeners'> {
  const { arn, loadBalancerArn, port, version, ...doc } = record;
  return { arn, load_balancer_arn: loadBalancerArn, port, version, doc: JSON.stringify(doc) };
}

function toListener(row: Row<'elb_listeners'>): ListenerRecord {
  const doc = JSON.parse(row.doc) as Omit<ListenerRecord, 'arn' | 'loadBalancerArn' | 'port' | 'version'>;
  return {
    ...doc,
    arn: row.arn,
    loadBalancerArn: row.load_balancer_arn,
    port: row.port,
    version: row.version,
  };
}

function toRuleRow(record: RuleRecord): Row<'elb_rules'> {
  return {
    arn: record.arn,
    listener_arn: record.listenerArn,
    priority: record.priority ?? null,
    is_default: record.priority === undefined ? 1 : 0,
    doc: JSON.stringify({ conditions: record.conditions, actions: record.actions }),
    version: record.version,
  };
}

function toRule(row: Row<'elb_rules'>): RuleRecord {
  const doc = JSON.parse(row.doc) as Pick<RuleRecord, 'conditions' | 'actions'>;
  return {
    arn: row.arn,
    listenerArn: row.listener_arn,
    ...(row.priority !== null ? { priority: row.priority } : {}),
    conditions: doc.conditions,
    actions: doc.actions,
    version: row.version,
  };
}

function toTargetGroupRow(record: TargetGroupRecord): Row<'elb_target_groups'> {
  const { arn, name, createdAt, version, ...doc } = record;
  return { arn, name, created_at: createdAt, version, doc: JSON.stringify(doc) };
}

function toTargetGroup(row: Row<'elb_target_groups'>): TargetGroupRecord {
  const doc = JSON.parse(row.doc) as Omit<TargetGroupRecord, 'arn' | 'name' | 'createdAt' | 'version'>;
  return { ...doc, arn: row.arn, name: row.name, createdAt: row.created_at, version: row.version };
}

function toTargetRow(t: TargetRecord): Row<'elb_targets'> {
  return {
    target_group_arn: t.targetGroupArn,
    target_id: t.id,
    port: t.port,
    availability_zone: t.availabilityZone ?? null,
    registered_at: t.registeredAt,
    deregistered_at: t.deregisteredAt ?? null,
    drain_until: t.drainUntil ?? null,
    health_state: t.health?.state ?? null,
    health_reason: t.health?.reason ?? null,
    health_description: t.health?.description ?? null,
  };
}

function toTarget(row: Row<'elb_targets'>): TargetRecord {
  return {
    targetGroupArn: row.target_group_arn,
    id: row.target_id,
    port: row.port,
    ...(row.availability_zone !== null ? { availabilityZone: row.availability_zone } : {}),
    registeredAt: row.registered_at,
    ...(row.deregistered_at !== null ? { deregisteredAt: row.deregistered_at } : {}),
    ...(row.drain_until !== null ? { drainUntil: row.drain_until } : {}),
    ...(row.health_state !== null
      ? {
          health: {
            state: row.health_state as HealthReport['state'],
            ...(row.health_reason !== null ? { reason: row.health_reason } : {}),
            ...(row.health_description !== null ? { description: row.health_description } : {}),
          },
        }
      : {}),
  };
}
