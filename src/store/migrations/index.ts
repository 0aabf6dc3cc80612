import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectKind } from '../dialect.js';

/**
 * Versioned migrations, applied in name order at start-up by every replica (on PostgreSQL Kysely's
 * migrator takes a lock; on SQLite dialect.ts holds the write lock), so concurrent starts do not
 * race. Never edit a migration that has shipped: add one. A migration that only one dialect needs
 * checks `kind` and does nothing on the other.
 */
const migrations = (kind: DialectKind): Record<string, Migration> => ({
  '0001_initial': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('clusters')
        .addColumn('arn', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('task_definition_families')
        .addColumn('family', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('last_revision', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('task_definitions')
        .addColumn('arn', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('family', 'varchar(255)', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'bigint', (c) => c.notNull())
        .addColumn('registered_by', 'varchar(1024)', (c) => c.notNull())
        .addColumn('deregistered_at', 'bigint')
        .addColumn('delete_requested_at', 'bigint')
        .addUniqueConstraint('task_definitions_family_revision', ['family', 'revision'])
        .execute();
      await db.schema
        .createIndex('task_definitions_status_family')
        .on('task_definitions')
        .columns(['status', 'family', 'revision'])
        .execute();
      await db.schema
        .createTable('resource_tags')
        .addColumn('resource_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('key', 'varchar(128)', (c) => c.notNull())
        .addColumn('value', 'varchar(256)', (c) => c.notNull())
        .addPrimaryKeyConstraint('resource_tags_pk', ['resource_arn', 'key'])
        .execute();
      await db.schema
        .createTable('account_settings')
        .addColumn('principal_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('value', 'varchar(256)', (c) => c.notNull())
        .addPrimaryKeyConstraint('account_settings_pk', ['principal_arn', 'name'])
        .execute();
      await db.schema
        .createTable('access_keys')
        .addColumn('access_key_id', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('secret_access_key', 'varchar(128)', (c) => c.notNull())
        .addColumn('principal_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('session_token', 'text')
        .addColumn('expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '0002_byte_order_collation': {
    // Names that are sorted, keyset-paginated or prefix-matched compare in byte order, as SQLite's
    // default BINARY collation does. PostgreSQL would otherwise use the database's default collation
    // (often en_US or ICU), where 'Team' sorts after 'app', pagination order differs between the
    // dialects, and the family-prefix range ['web', 'web\u{10FFFF}') also matches 'Web-x'.
    async up(db: Kysely<unknown>): Promise<void> {
      if (kind !== 'postgres') return;
      const columns: [table: string, column: string, type: string][] = [
        ['clusters', 'name', 'varchar(255)'],
        ['task_definitions', 'family', 'varchar(255)'],
        ['task_definition_families', 'family', 'varchar(255)'],
        ['resource_tags', 'key', 'varchar(128)'],
        ['account_settings', 'name', 'varchar(128)'],
      ];
      for (const [table, column, type] of columns) {
        await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type ${sql.raw(type)} collate "C"`.execute(
          db,
        );
      }
    },
  },
  '0003_task_definition_list_index': {
    // ListTaskDefinitions reads (family, revision, arn) by status in key order: with the ARN in the
    // index the query never touches the table rows, each holding a whole definition document.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('task_definitions_status_family_arn')
        .on('task_definitions')
        .columns(['status', 'family', 'revision', 'arn'])
        .execute();
      await db.schema.dropIndex('task_definitions_status_family').execute();
    },
  },
  '0004_container_instances': {
    // Container instances (the hosts agents register) and their attributes. At most one
    // registered instance per host: a partial unique index over the rows that are not INACTIVE,
    // so a re-registering agent finds its instance and two concurrent registrations of one host
    // cannot both insert. Names that are listed or paged compare in byte order on PostgreSQL too.
    async up(db: Kysely<unknown>): Promise<void> {
      const collated = (type: string) => sql.raw(kind === 'postgres' ? `${type} collate "C"` : type);
      await db.schema
        .createTable('container_instances')
        .addColumn('arn', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('cluster', collated('varchar(255)'), (c) => c.notNull())
        .addColumn('id', collated('varchar(64)'), (c) => c.notNull())
        .addColumn('host_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('agent_connected', 'integer', (c) => c.notNull())
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addUniqueConstraint('container_instances_cluster_id', ['cluster', 'id'])
        .execute();
      await db.schema
        .createIndex('container_instances_registered_host')
        .on('container_instances')
        .column('host_id')
        .unique()
        .where(sql.ref('status'), '<>', 'INACTIVE')
        .execute();
      await db.schema
        .createTable('container_instance_attributes')
        .addColumn('instance_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('name', collated('varchar(128)'), (c) => c.notNull())
        .addColumn('value', 'varchar(128)')
        .addPrimaryKeyConstraint('container_instance_attributes_pk', ['instance_arn', 'name'])
        .execute();
      await db.schema
        .createIndex('container_instance_attributes_name')
        .on('container_instance_attributes')
        .columns(['name', 'value'])
        .execute();
    },
  },
  '0005_tasks': {
    // Tasks (RunTask/StartTask) and the clientTokens that make those calls idempotent. Tasks are
    // listed per cluster in id order, filtered by instance, family, startedBy, group and status.
    async up(db: Kysely<unknown>): Promise<void> {
      const collated = (type: string) => sql.raw(kind === 'postgres' ? `${type} collate "C"` : type);
      await db.schema
        .createTable('tasks')
        .addColumn('arn', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('cluster', collated('varchar(255)'), (c) => c.notNull())
        .addColumn('id', collated('varchar(64)'), (c) => c.notNull())
        .addColumn('container_instance_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('task_definition_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('family', collated('varchar(255)'), (c) => c.notNull())
        .addColumn('task_group', 'text', (c) => c.notNull())
        .addColumn('started_by', 'text')
        .addColumn('desired_status', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_status', 'varchar(32)', (c) => c.notNull())
        .addColumn('launch_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('client_token', 'text')
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addUniqueConstraint('tasks_cluster_id', ['cluster', 'id'])
        .execute();
      await db.schema
        .createIndex('tasks_cluster_desired')
        .on('tasks')
        .columns(['cluster', 'desired_status', 'id'])
        .execute();
      await db.schema
        .createIndex('tasks_instance_status')
        .on('tasks')
        .columns(['container_instance_arn', 'last_status'])
        .execute();
      await db.schema
        .createIndex('tasks_cluster_family')
        .on('tasks')
        .columns(['cluster', 'family'])
        .execute();
      await db.schema
        .createTable('run_task_tokens')
        .addColumn('cluster', 'varchar(255)', (c) => c.notNull())
        .addColumn('client_token', 'varchar(64)', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_task_tokens_pk', ['cluster', 'client_token'])
        .execute();
    },
  },
  '0006_task_stopped_at': {
    // When a task reached STOPPED, as a column: stopped tasks are kept for a retention period and
    // then removed, found by this index. Rows stopped before this migration have none (null);
    // retention falls back to their creation time.
    async up(db) {
      await db.schema.alterTable('tasks').addColumn('stopped_at', 'bigint').execute();
      await db.schema
        .createIndex('tasks_status_stopped_at')
        .on('tasks')
        .columns(['last_status', 'stopped_at'])
        .execute();
    },
  },
  '0007_services': {
    // ECS services and every deployment of them. A service is one row per (cluster, name): a
    // deleted one stays INACTIVE (describable) until a service of that name is created again,
    // which takes the row over. ListServices reads ACTIVE names in byte order per cluster; a
    // clientToken names one service of a cluster until it is INACTIVE (partial unique index).
    // Deployments are rows so their history stays listable without growing the service's document;
    // the live ones (not INACTIVE) are read with their service.
    async up(db) {
      const collated = (type: string) => sql.raw(kind === 'postgres' ? `${type} collate "C"` : type);
      await db.schema
        .createTable('services')
        .addColumn('arn', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('cluster', collated('varchar(255)'), (c) => c.notNull())
        .addColumn('name', collated('varchar(255)'), (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('scheduling_strategy', 'varchar(32)', (c) => c.notNull())
        .addColumn('launch_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('client_token', 'varchar(64)')
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addUniqueConstraint('services_cluster_name', ['cluster', 'name'])
        .execute();
      await db.schema
        .createIndex('services_cluster_status_name')
        .on('services')
        .columns(['cluster', 'status', 'name'])
        .execute();
      await db.schema
        .createIndex('services_live_client_token')
        .on('services')
        .columns(['cluster', 'client_token'])
        .unique()
        .where(sql.ref('status'), '<>', 'INACTIVE')
        .execute();
      await db.schema
        .createTable('service_deployments')
        .addColumn('arn', collated('varchar(1024)'), (c) => c.primaryKey())
        .addColumn('service_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('deployment_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('deployment_status', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('doc', 'text', (c) => c.notNull())
        .addUniqueConstraint('service_deployments_service_id', ['service_arn', 'deployment_id'])
        .execute();
      await db.schema
        .createIndex('service_deployments_service_status')
        .on('service_deployments')
        .columns(['service_arn', 'status'])
        .execute();
      await db.schema
        .createIndex('service_deployments_service_created')
        .on('service_deployments')
        .columns(['service_arn', 'created_at', 'arn'])
        .execute();
    },
  },
  '0008_leases_and_service_tasks': {
    // Leases name the replica that runs a singleton (the service scheduler); a service's tasks are
    // read by (cluster, group) on every scheduler run.
    async up(db) {
      await db.schema
        .createTable('leases')
        .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('holder', 'varchar(255)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('tasks_cluster_group')
        .on('tasks')
        .columns(['cluster', 'task_group'])
        .execute();
    },
  },
  '0009_load_balancing': {
    // ELBv2's control-plane model (docs/load-balancing.md). Names sort in byte order on both engines.
    async up(db) {
      const collated = (type: string) => sql.raw(kind === 'postgres' ? `${type} collate "C"` : type);
      await db.schema
        .createTable('elb_load_balancers')
        .addColumn('arn', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('name', collated('varchar(32)'), (c) => c.notNull().unique())
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('elb_target_groups')
        .addColumn('arn', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('name', collated('varchar(32)'), (c) => c.notNull().unique())
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('elb_listeners')
        .addColumn('arn', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('load_balancer_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull().unique())
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('elb_listeners_load_balancer')
        .on('elb_listeners')
        .column('load_balancer_arn')
        .execute();
      await db.schema
        .createTable('elb_rules')
        .addColumn('arn', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('listener_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('priority', 'integer')
        .addColumn('is_default', 'integer', (c) => c.notNull())
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        // NULL (the default rule, or a rule between two steps of SetRulePriorities) never collides.
        .addUniqueConstraint('elb_rules_listener_priority', ['listener_arn', 'priority'])
        .execute();
      await db.schema
        .createTable('elb_rule_target_groups')
        .addColumn('rule_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('target_group_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('load_balancer_arn', 'varchar(1024)', (c) => c.notNull())
        .addPrimaryKeyConstraint('elb_rule_target_groups_pk', ['rule_arn', 'target_group_arn'])
        .execute();
      await db.schema
        .createIndex('elb_rule_target_groups_target_group')
        .on('elb_rule_target_groups')
        .columns(['target_group_arn', 'load_balancer_arn'])
        .execute();
      await db.schema
        .createTable('elb_targets')
        .addColumn('target_group_arn', 'varchar(1024)', (c) => c.notNull())
        .addColumn('target_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('availability_zone', 'varchar(64)')
        .addColumn('registered_at', 'bigint', (c) => c.notNull())
        .addColumn('deregistered_at', 'bigint')
        .addColumn('drain_until', 'bigint')
        .addColumn('health_state', 'varchar(32)')
        .addColumn('health_reason', 'varchar(64)')
        .addColumn('health_description', 'varchar(1024)')
        .addPrimaryKeyConstraint('elb_targets_pk', ['target_group_arn', 'target_id', 'port'])
        .execute();
    },
  },
  '0010_certificates': {
    // ACM's imported certificates (docs/certificates.md); tags live in resource_tags.
    async up(db) {
      await db.schema
        .createTable('acm_certificates')
        .addColumn('arn', 'varchar(2048)', (c) => c.primaryKey())
        .addColumn('certificate_pem', 'text', (c) => c.notNull())
        .addColumn('private_key_pem', 'text', (c) => c.notNull())
        .addColumn('chain_pem', 'text')
        .addColumn('doc', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('imported_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '0011_task_desired_version': {
    // The version of a task the agent tracks (`desiredVersion`, else `version`), as a column: an
    // agent's Poll compares it with what the agent holds without reading every task's document,
    // and reads in full only the tasks it must send. Rows written before are filled from their
    // documents; the covering index answers the Poll from the index alone (and replaces the
    // (instance, status) index it starts with).
    async up(db) {
      await db.schema
        .alterTable('tasks')
        .addColumn('desired_version', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      const fromDoc =
        kind === 'postgres'
          ? sql`coalesce(((doc::json)->>'desiredVersion')::integer, version)`
          : sql`coalesce(json_extract(doc, '$.desiredVersion'), version)`;
      await sql`update tasks set desired_version = ${fromDoc}`.execute(db);
      await db.schema
        .createIndex('tasks_instance_status_versions')
        .on('tasks')
        .columns(['container_instance_arn', 'last_status', 'arn', 'desired_version'])
        .execute();
      // Its first two columns are the old index's: one index fewer to write per task change.
      await db.schema.dropIndex('tasks_instance_status').execute();
    },
  },
});

/** The migrations for one dialect (the same names on both, so either can be inspected alike). */
export function migrationProvider(kind: DialectKind): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(kind)) };
}
