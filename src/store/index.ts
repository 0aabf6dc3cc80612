import type { Kysely } from 'kysely';
import { AccessKeyRepository } from './access-keys.js';
import { AccountSettingRepository } from './account-settings.js';
import { CertificateRepository } from './certificates.js';
import { ClusterRepository } from './clusters.js';
import { ContainerInstanceRepository } from './container-instances.js';
import { openDatabase, type DialectKind } from './dialect.js';
import { GroupCommit, type Bound } from './group-commit.js';
import { InstanceWrites, type InstanceChanged, type InstanceWriteListener } from './instance-writes.js';
import type { Database } from './schema.js';
import { LeaseRepository } from './leases.js';
import { LoadBalancingRepository } from './load-balancers.js';
import { ServiceRepository } from './services.js';
import { TagRepository } from './tags.js';
import { TaskDefinitionRepository } from './task-definitions.js';
import { TaskRepository } from './tasks.js';

/** The repositories over one database (or one transaction on it). */
export interface Repositories {
  readonly clusters: ClusterRepository;
  readonly taskDefinitions: TaskDefinitionRepository;
  readonly tags: TagRepository;
  readonly accountSettings: AccountSettingRepository;
  readonly accessKeys: AccessKeyRepository;
  readonly containerInstances: ContainerInstanceRepository;
  readonly tasks: TaskRepository;
  readonly services: ServiceRepository;
  readonly leases: LeaseRepository;
  /** ELBv2: load balancers, listeners, rules, target groups, targets. */
  readonly loadBalancing: LoadBalancingRepository;
  /** ACM: imported certificates and their keys. */
  readonly certificates: CertificateRepository;
}

export interface Store extends Repositories {
  readonly kind: DialectKind;
  /**
   * Runs `work` in one transaction: all of its writes commit together or none do. On SQLite, works
   * asked for together share one COMMIT (group-commit.ts); the promise settles after it. A work
   * must use only `repos`, never the store itself: that would wait for the connection it holds.
   */
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  /** Hears every write that changes what placement sees of an instance (instance-writes.ts). */
  onInstanceWrite(listener: InstanceWriteListener): void;
  close(): Promise<void>;
}

function repositories(db: Kysely<Database>, kind: DialectKind, changed: InstanceChanged): Repositories {
  return {
    clusters: new ClusterRepository(db),
    taskDefinitions: new TaskDefinitionRepository(db),
    tags: new TagRepository(db, kind),
    accountSettings: new AccountSettingRepository(db),
    accessKeys: new AccessKeyRepository(db),
    containerInstances: new ContainerInstanceRepository(db, kind, changed),
    tasks: new TaskRepository(db, changed),
    services: new ServiceRepository(db),
    leases: new LeaseRepository(db),
    loadBalancing: new LoadBalancingRepository(db),
    certificates: new CertificateRepository(db),
  };
}

/** Opens (and migrates) the store at `location`: a SQLite file path or a postgres:// URL. */
export async function openStore(location: string): Promise<Store> {
  const { kind, db } = await openDatabase(location);
  const writes = new InstanceWrites();
  return {
    kind,
    ...repositories(db, kind, (arn) => writes.changed(arn)),
    transaction: kind === 'postgres' ? pgTransaction(db, kind, writes) : sqliteTransaction(db, kind, writes),
    onInstanceWrite: (listener) => writes.listen(listener),
    close: () => db.destroy(),
  };
}

/** PostgreSQL: one database transaction per call, on the pool's connections (they run concurrently). */
function pgTransaction(
  db: Kysely<Database>,
  kind: DialectKind,
  writes: InstanceWrites,
): Store['transaction'] {
  return async (work) => {
    const touched = new Set<string>();
    try {
      return await db
        .transaction()
        .execute((trx) => work(repositories(trx, kind, (arn) => writes.changed(arn, touched))));
    } finally {
      for (const arn of touched) writes.changed(arn);
    }
  };
}

/** SQLite: calls made together share one transaction and its COMMIT, each in a savepoint (group-commit.ts). */
function sqliteTransaction(
  db: Kysely<Database>,
  kind: DialectKind,
  writes: InstanceWrites,
): Store['transaction'] {
  const group = new GroupCommit(db, (trx): Bound<Repositories> => {
    const touched = new Set<string>();
    return {
      repos: repositories(trx, kind, (arn) => writes.changed(arn, touched)),
      // Told again once the batch has committed or rolled back (instance-writes.ts), this work's
      // writes included even when only its savepoint was rolled back.
      ended: () => {
        for (const arn of touched) writes.changed(arn);
      },
    };
  });
  return (work) => group.run(work);
}

export type { AccessKey } from './access-keys.js';
export type { ListAttributesQuery, ListInstancesQuery, TargetAttribute } from './container-instances.js';
export type { StoredSetting } from './account-settings.js';
export type { ListDeploymentsQuery, ListServicesQuery } from './services.js';
export type { ListTasksQuery, StatusCounts, TokenResult } from './tasks.js';
export type { ListFamiliesQuery, ListRevisionsQuery, RevisionKey } from './task-definitions.js';
