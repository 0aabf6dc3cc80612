/**
 * The tables, as Kysely sees them. Documents (settings, task-definition bodies) are JSON text so the
 * same schema works on SQLite and PostgreSQL; timestamps are epoch milliseconds.
 */
export interface Database {
  clusters: ClusterTable;
  task_definitions: TaskDefinitionTable;
  task_definition_families: TaskDefinitionFamilyTable;
  resource_tags: ResourceTagTable;
  account_settings: AccountSettingTable;
  access_keys: AccessKeyTable;
}

export interface ClusterTable {
  arn: string;
  name: string;
  status: string;
  /** JSON: settings, configuration, capacity providers, default strategy, service connect defaults. */
  doc: string;
  created_at: number;
  /** Optimistic concurrency: every update must name the version it read. */
  version: number;
}

export interface TaskDefinitionTable {
  arn: string;
  family: string;
  revision: number;
  status: string;
  /** JSON: the revision's content (containers, volumes, …) with ECS's defaults applied. */
  doc: string;
  registered_at: number;
  registered_by: string;
  deregistered_at: number | null;
  delete_requested_at: number | null;
}

/** The last revision handed out per family; revisions are never reused, even after deletion. */
export interface TaskDefinitionFamilyTable {
  family: string;
  last_revision: number;
}

export interface ResourceTagTable {
  resource_arn: string;
  key: string;
  value: string;
}

export interface AccountSettingTable {
  /** An IAM principal ARN, or the account root ARN for account defaults. */
  principal_arn: string;
  name: string;
  value: string;
}

export interface AccessKeyTable {
  access_key_id: string;
  secret_access_key: string;
  principal_arn: string;
  /** Set for temporary credentials: requests must carry it as X-Amz-Security-Token. */
  session_token: string | null;
  expires_at: number | null;
  created_at: number;
}
