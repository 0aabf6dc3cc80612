import type { Kysely } from 'kysely';
import { AccessKeyRepository } from './access-keys.js';
import { AccountSettingRepository } from './account-settings.js';
import { ClusterRepository } from './clusters.js';
import { ContainerInstanceRepository } from './container-instances.js';
import { openDatabase, type DialectKind } from './dialect.js';
import type { Database } from './schema.js';
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
}

export interface Store extends Repositories {
  readonly kind: DialectKind;
  /** Runs `work` in one transaction: all of its writes commit together or none do. */
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function repositories(db: Kysely<Database>, kind: DialectKind): Repositories {
  return {
    clusters: new ClusterRepository(db),
    taskDefinitions: new TaskDefinitionRepository(db),
    tags: new TagRepository(db, kind),
    accountSettings: new AccountSettingRepository(db),
    accessKeys: new AccessKeyRepository(db),
    containerInstances: new ContainerInstanceRepository(db, kind),
    tasks: new TaskRepository(db),
  };
}

/** Opens (and migrates) the store at `location`: a SQLite file path or a postgres:// URL. */
export async function openStore(location: string): Promise<Store> {
  const { kind, db } = await openDatabase(location);
  return {
    kind,
    ...repositories(db, kind),
    transaction: (work) => db.transaction().execute((trx) => work(repositories(trx, kind))),
    close: () => db.destroy(),
  };
}

export type { AccessKey } from './access-keys.js';
export type { ListAttributesQuery, ListInstancesQuery, TargetAttribute } from './container-instances.js';
export type { StoredSetting } from './account-settings.js';
export type { ListTasksQuery, StatusCounts, TokenResult } from './tasks.js';
export type { ListFamiliesQuery, ListRevisionsQuery, RevisionKey } from './task-definitions.js';
