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
  container_instances: ContainerInstanceTable;
  container_instance_attributes: ContainerInstanceAttributeTable;
  tasks: TaskTable;
  run_task_tokens: RunTaskTokenTable;
  services: ServiceTable;
  leases: LeaseTable;
  service_deployments: ServiceDeploymentTable;
  elb_load_balancers: ElbLoadBalancerTable;
  elb_target_groups: ElbTargetGroupTable;
  elb_listeners: ElbListenerTable;
  elb_rules: ElbRuleTable;
  elb_rule_target_groups: ElbRuleTargetGroupTable;
  elb_targets: ElbTargetTable;
  acm_certificates: AcmCertificateTable;
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

export interface ContainerInstanceTable {
  arn: string;
  /** The cluster's name. */
  cluster: string;
  /** The 32-hex id (the ARN's last part): the list order and page key within a cluster. */
  id: string;
  /** `ec2InstanceId`: one registered (non-INACTIVE) instance per host. */
  host_id: string;
  status: string;
  /** 0 or 1. */
  agent_connected: number;
  /** JSON: registered and remaining resources, versionInfo, platform devices, status reason. */
  doc: string;
  registered_at: number;
  /** Optimistic concurrency, and ECS's `version` of the instance. */
  version: number;
}

/** Attributes of container instances (built-in `ecs.*` ones and custom ones), one row each. */
export interface ContainerInstanceAttributeTable {
  instance_arn: string;
  name: string;
  /** Null for an attribute without a value (a marker such as a capability). */
  value: string | null;
}

export interface TaskTable {
  arn: string;
  /** The cluster's name. */
  cluster: string;
  /** The 32-hex id (the ARN's last part): the list order and page key within a cluster. */
  id: string;
  container_instance_arn: string;
  task_definition_arn: string;
  family: string;
  task_group: string;
  started_by: string | null;
  desired_status: string;
  last_status: string;
  launch_type: string;
  client_token: string | null;
  /** JSON: lifecycle state, containers, overrides, demand, cpu/memory, referenceId. */
  doc: string;
  created_at: number;
  /** Optimistic concurrency, and ECS's `version` of the task. */
  version: number;
  /** Epoch ms when it reached STOPPED (null before; also null on rows stopped before 0006). */
  stopped_at: number | null;
  /** The version the agent tracks (`desiredVersionOf`): what an agent's Poll compares. */
  desired_version: number;
}

/** RunTask/StartTask `clientToken`s: the call's answer (task ARNs, failures), per cluster. */
export interface RunTaskTokenTable {
  cluster: string;
  client_token: string;
  /** JSON: { taskArns: string[], failures: Failure[] }. */
  result: string;
  created_at: number;
}

/** ECS services; a deleted one stays as an INACTIVE row until a service of its name is created again. */
export interface ServiceTable {
  /** `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`: one row per (cluster, name). */
  arn: string;
  /** The cluster's name. */
  cluster: string;
  name: string;
  /** ACTIVE, DRAINING or INACTIVE. */
  status: string;
  scheduling_strategy: string;
  launch_type: string;
  /** CreateService's clientToken, unique per cluster among the services that carry one. */
  client_token: string | null;
  /** JSON: configuration (revision, counts, deployment configuration, placement), events. */
  doc: string;
  created_at: number;
  updated_at: number;
  /** Optimistic concurrency: every write names the version it read. */
  version: number;
}

/** Every deployment of every service: the live ones are read with their service, all are listed. */
export interface ServiceDeploymentTable {
  /** The service deployment's ARN. */
  arn: string;
  service_arn: string;
  /** `ecs-svc/<19 digits>`, unique per service. */
  deployment_id: string;
  /** PRIMARY, ACTIVE or INACTIVE. */
  status: string;
  /** The service-deployment API's status (IN_PROGRESS, SUCCESSFUL, STOPPED, …). */
  deployment_status: string;
  created_at: number;
  /** JSON: the revision, counts, rollout state, configuration, sources, rollback. */
  doc: string;
}

/** Who runs a singleton among the replicas, until when (leases.ts). */
export interface LeaseTable {
  name: string;
  holder: string;
  /** Epoch ms. */
  expires_at: number;
}

// --- load balancing (ELBv2; docs/load-balancing.md) ---

export interface ElbLoadBalancerTable {
  arn: string;
  /** Unique. */
  name: string;
  /** JSON: type, scheme, IP address type, DNS name, security groups. */
  doc: string;
  created_at: number;
  version: number;
}

export interface ElbTargetGroupTable {
  arn: string;
  /** Unique. */
  name: string;
  /** JSON: protocol, port, target type, health check, attributes. */
  doc: string;
  created_at: number;
  version: number;
}

export interface ElbListenerTable {
  arn: string;
  load_balancer_arn: string;
  /** Unique across all load balancers: one listener is one port on the host. */
  port: number;
  /** JSON: protocol, SSL policy, certificates. */
  doc: string;
  version: number;
}

/** Rules of listeners, the default rule (the listener's default actions) included. */
export interface ElbRuleTable {
  arn: string;
  listener_arn: string;
  /** Null for the default rule; unique per listener otherwise. */
  priority: number | null;
  is_default: number;
  /** JSON: conditions, actions. */
  doc: string;
  version: number;
}

/** Which target groups each rule forwards to, and for which load balancer (derived, kept with the rule). */
export interface ElbRuleTargetGroupTable {
  rule_arn: string;
  target_group_arn: string;
  load_balancer_arn: string;
}

export interface ElbTargetTable {
  target_group_arn: string;
  target_id: string;
  port: number;
  availability_zone: string | null;
  registered_at: number;
  deregistered_at: number | null;
  drain_until: number | null;
  /** Written by the data plane's health checks; null until the first check. */
  health_state: string | null;
  health_reason: string | null;
  health_description: string | null;
}

// --- certificates (ACM; docs/certificates.md) ---

export interface AcmCertificateTable {
  arn: string;
  certificate_pem: string;
  /** As imported, unencrypted: the store is private to its owner (docs/certificates.md). */
  private_key_pem: string;
  chain_pem: string | null;
  /** JSON: what DescribeCertificate answers (names, dates, algorithms, usages). */
  doc: string;
  created_at: number;
  imported_at: number;
  version: number;
}
