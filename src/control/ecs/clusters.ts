import type {
  Cluster,
  ClusterField,
  CreateClusterRequest,
  DeleteClusterRequest,
  DescribeClustersRequest,
  DescribeClustersResponse,
  ListClustersRequest,
  ListClustersResponse,
  PutClusterCapacityProvidersRequest,
  UpdateClusterRequest,
  UpdateClusterSettingsRequest,
} from '@aws-sdk/client-ecs';
import type { ClusterRecord, ClusterUsage } from '../../core/ecs/cluster.js';
import {
  BUILT_IN_CAPACITY_PROVIDERS,
  EMPTY_USAGE,
  checkStrategy,
  clusterView,
  mergeSettings,
} from '../../core/ecs/cluster.js';
import { checkName } from '../../core/ecs/names.js';
import { validateTags } from '../../core/ecs/tags.js';
import { taskCounts } from '../../core/ecs/task.js';
import { Fault, invalidParameter } from '../../core/fault.js';
import { decodeToken, page, pageSize } from '../../core/pagination.js';
import type { Repositories } from '../../store/index.js';
import type { ControlDeps } from '../context.js';
import { KeyedSerializer } from '../keyed-serializer.js';
import { LOST, retryOnConflict } from '../optimistic.js';
import { clusterArn, clusterName } from './refs.js';

const MAX_DESCRIBE = 100;

export class ClusterOperations {
  /** Writers in this process queue per cluster, so only other replicas' writes make an attempt lose. */
  private readonly writes = new KeyedSerializer();

  constructor(private readonly deps: ControlDeps) {}

  /** Idempotent by name: an ACTIVE cluster of that name is returned as it is. */
  async create(input: CreateClusterRequest): Promise<Cluster> {
    const { store, scope, now } = this.deps;
    const name = checkName('Cluster name', input.clusterName ?? 'default');
    const tags = validateTags(input.tags);
    const settings = mergeSettings([{ name: 'containerInsights', value: 'disabled' }], input.settings ?? []);
    const capacityProviders = input.capacityProviders ?? [];
    checkCapacityProviders(capacityProviders);
    const strategy = input.defaultCapacityProviderStrategy ?? [];
    checkStrategy(strategy, capacityProviders);

    const existing = await store.clusters.byName(name);
    if (existing?.status === 'ACTIVE') return this.view(existing, ALL_FIELDS);
    const record: ClusterRecord = {
      arn: clusterArn(scope, name),
      name,
      status: 'ACTIVE',
      createdAt: existing?.createdAt ?? now(),
      version: (existing?.version ?? 0) + 1,
      settings,
      capacityProviders,
      defaultCapacityProviderStrategy: strategy,
      ...(input.configuration ? { configuration: input.configuration } : {}),
      ...(input.serviceConnectDefaults ? { serviceConnectDefaults: input.serviceConnectDefaults } : {}),
    };
    try {
      await store.transaction(async (repos) => {
        if (existing) {
          if (!(await repos.clusters.update(record))) throw conflict(name, 'ServerException');
        } else {
          await repos.clusters.insert(record);
        }
        await repos.tags.replace(record.arn, tags);
      });
    } catch (error) {
      // A concurrent CreateCluster of the same name inserted first (the store refuses a second
      // row for a name). Idempotent by name: the loser answers the cluster the winner created.
      const winner = existing ? undefined : await store.clusters.byName(name);
      if (winner?.status !== 'ACTIVE') throw error;
      return this.view(winner, ALL_FIELDS);
    }
    return this.view(record, ALL_FIELDS);
  }

  async describe(input: DescribeClustersRequest): Promise<DescribeClustersResponse> {
    const refs = input.clusters && input.clusters.length > 0 ? input.clusters : ['default'];
    if (refs.length > MAX_DESCRIBE)
      throw invalidParameter(`At most ${MAX_DESCRIBE} clusters can be described at once.`);
    const include = new Set<ClusterField>(input.include ?? []);
    const names = refs.map((ref) => clusterName(ref, this.deps.scope));
    const found = new Map((await this.deps.store.clusters.byNames(names)).map((c) => [c.name, c]));
    const usages = await usagesOf(this.deps.store, [...found.keys()]);
    const clusters: Cluster[] = [];
    const failures = [];
    for (const [i, name] of names.entries()) {
      const record = found.get(name);
      if (record) clusters.push(await this.view(record, include, usages.get(name)));
      else
        failures.push({
          arn: refs[i]?.startsWith('arn:') ? refs[i] : clusterArn(this.deps.scope, name),
          reason: 'MISSING',
        });
    }
    return { clusters, failures };
  }

  async list(input: ListClustersRequest): Promise<ListClustersResponse> {
    const limit = pageSize(input.maxResults);
    const after = decodeToken(input.nextToken)?.[0];
    const rows = await this.deps.store.clusters.listActive(
      after === undefined ? undefined : String(after),
      limit + 1,
    );
    const { items, nextToken } = page(rows, limit, (c) => [c.name]);
    return { clusterArns: items.map((c) => c.arn), ...(nextToken ? { nextToken } : {}) };
  }

  async update(input: UpdateClusterRequest): Promise<Cluster> {
    const record = await this.modify(input.cluster, 'ServerException', (current) => ({
      ...current,
      ...(input.settings ? { settings: mergeSettings(current.settings, input.settings) } : {}),
      ...(input.configuration ? { configuration: input.configuration } : {}),
      ...(input.serviceConnectDefaults ? { serviceConnectDefaults: input.serviceConnectDefaults } : {}),
    }));
    return this.view(record, ALL_FIELDS);
  }

  async updateSettings(input: UpdateClusterSettingsRequest): Promise<Cluster> {
    const record = await this.modify(input.cluster, 'ServerException', (current) => ({
      ...current,
      settings: mergeSettings(current.settings, input.settings ?? []),
    }));
    return this.view(record, new Set<ClusterField>(['SETTINGS']));
  }

  async putCapacityProviders(input: PutClusterCapacityProvidersRequest): Promise<Cluster> {
    const providers = input.capacityProviders ?? [];
    const strategy = input.defaultCapacityProviderStrategy ?? [];
    checkCapacityProviders(providers);
    checkStrategy(strategy, providers);
    const record = await this.modify(input.cluster, 'UpdateInProgressException', (current) => ({
      ...current,
      capacityProviders: providers,
      defaultCapacityProviderStrategy: strategy,
    }));
    return this.view(record, ALL_FIELDS);
  }

  /**
   * Marks the cluster INACTIVE; it stays describable. Refuses while it still holds anything: what
   * it holds is counted in the transaction that marks it, after the row is written, so an instance
   * registering at the same moment is either counted or finds the cluster INACTIVE.
   */
  async delete(input: DeleteClusterRequest): Promise<Cluster> {
    const record = await this.modify(
      input.cluster,
      'UpdateInProgressException',
      (current) => ({ ...current, status: 'INACTIVE' }),
      async (repos, current) => {
        const usage = await usageOf(repos, current);
        if (usage.activeServicesCount > 0) {
          throw new Fault(
            'ClusterContainsServicesException',
            `Cluster '${current.name}' still has ${usage.activeServicesCount} active service(s): delete them first (DeleteService).`,
          );
        }
        if (usage.runningTasksCount + usage.pendingTasksCount > 0) {
          throw new Fault(
            'ClusterContainsTasksException',
            `Cluster '${current.name}' still has ${usage.runningTasksCount + usage.pendingTasksCount} task(s) that are not STOPPED: stop them first.`,
          );
        }
        if (usage.registeredContainerInstancesCount > 0) {
          throw new Fault(
            'ClusterContainsContainerInstancesException',
            `Cluster '${current.name}' still has ${usage.registeredContainerInstancesCount} registered container instance(s): deregister them first.`,
          );
        }
      },
    );
    return this.view(record, ALL_FIELDS);
  }

  /** Finds an ACTIVE cluster or fails with ClusterNotFoundException. */
  async require(ref: string | undefined): Promise<ClusterRecord> {
    const name = clusterName(ref, this.deps.scope);
    const record = await this.deps.store.clusters.byName(name);
    if (!record || record.status !== 'ACTIVE') throw notFound(name);
    return record;
  }

  /**
   * Read, change, write with a version check; retried when another writer got there first. When
   * every attempt loses, the fault is `onConflict`: the code the operation's API model lists for it.
   */
  private async modify(
    ref: string | undefined,
    onConflict: ConflictCode,
    change: (current: ClusterRecord) => ClusterRecord,
    verify?: (repos: Repositories, current: ClusterRecord) => Promise<void>,
  ): Promise<ClusterRecord> {
    const name = clusterName(ref, this.deps.scope);
    return this.writes.run(name, () =>
      retryOnConflict(
        async () => {
          const current = await this.require(ref);
          const next = { ...change(current), version: current.version + 1 };
          if (!verify) return (await this.deps.store.clusters.update(next)) ? next : LOST;
          // The write, then the check, in one transaction: a failed check rolls the write back.
          const written = await this.deps.store.transaction(async (repos) => {
            if (!(await repos.clusters.update(next))) return false;
            await verify(repos, current);
            return true;
          });
          return written ? next : LOST;
        },
        () => conflict(name, onConflict),
      ),
    );
  }

  private async view(
    record: ClusterRecord,
    include: ReadonlySet<ClusterField | 'ALL'>,
    usage?: ClusterUsage,
  ): Promise<Cluster> {
    const tags =
      include.has('TAGS') || include.has('ALL') ? await this.deps.store.tags.list(record.arn) : undefined;
    return clusterView(record, usage ?? (await usageOf(this.deps.store, record)), include, tags);
  }
}

/**
 * Counts of what clusters hold, by name: container instances, tasks that are not STOPPED
 * (pending until RUNNING, running from then until STOPPED), and ACTIVE services.
 */
async function usagesOf(
  repos: Pick<Repositories, 'containerInstances' | 'tasks' | 'services'>,
  names: readonly string[],
): Promise<Map<string, ClusterUsage>> {
  const instances = await repos.containerInstances.countRegistered(names);
  const tasks = await repos.tasks.countByCluster(names);
  const services = await repos.services.countActive(names);
  return new Map(
    names.map((name) => [
      name,
      {
        ...EMPTY_USAGE,
        registeredContainerInstancesCount: instances.get(name) ?? 0,
        ...taskCounts(tasks.get(name)),
        activeServicesCount: services.get(name) ?? 0,
      },
    ]),
  );
}

async function usageOf(
  repos: Pick<Repositories, 'containerInstances' | 'tasks' | 'services'>,
  record: ClusterRecord,
): Promise<ClusterUsage> {
  return (await usagesOf(repos, [record.name])).get(record.name) ?? EMPTY_USAGE;
}

const ALL_FIELDS: ReadonlySet<'ALL'> = new Set(['ALL']);

function checkCapacityProviders(providers: readonly string[]): void {
  for (const name of providers) {
    if (!BUILT_IN_CAPACITY_PROVIDERS.has(name)) {
      throw invalidParameter(
        `The capacity provider '${name}' does not exist. Berth knows FARGATE and FARGATE_SPOT until capacity providers can be created.`,
      );
    }
  }
  if (new Set(providers).size !== providers.length)
    throw invalidParameter('A capacity provider is listed twice.');
}

export const notFound = (name: string): Fault =>
  new Fault('ClusterNotFoundException', `Cluster not found: '${name}'.`);

/**
 * A write that kept losing its race. DeleteCluster and PutClusterCapacityProviders model
 * UpdateInProgressException; CreateCluster, UpdateCluster and UpdateClusterSettings do not, and
 * answer ServerException (a 500, which SDKs retry).
 */
type ConflictCode = 'UpdateInProgressException' | 'ServerException';

const conflict = (name: string, code: ConflictCode): Fault =>
  new Fault(code, `Cluster '${name}' is being changed by another request; retry.`);
