import type {
  Attribute,
  ContainerInstance,
  ContainerInstanceField,
  DeleteAttributesRequest,
  DeleteAttributesResponse,
  DeregisterContainerInstanceRequest,
  DescribeContainerInstancesRequest,
  DescribeContainerInstancesResponse,
  DiscoverPollEndpointRequest,
  DiscoverPollEndpointResponse,
  Failure,
  ListAttributesRequest,
  ListAttributesResponse,
  ListContainerInstancesRequest,
  ListContainerInstancesResponse,
  PutAttributesRequest,
  PutAttributesResponse,
  RegisterContainerInstanceRequest,
  UpdateContainerInstancesStateRequest,
  UpdateContainerInstancesStateResponse,
} from '@aws-sdk/client-ecs';
import { randomBytes } from 'node:crypto';
import {
  MAX_CUSTOM_ATTRIBUTES,
  TARGET_TYPE,
  checkAttribute,
  checkCustomCount,
  checkPlatformDevices,
  checkRegistrationAttributes,
  checkTotalResources,
  containerInstanceView,
  identityAttributes,
  initialRemaining,
  parseIdentityDocument,
  parseInstanceFilter,
  registrationAttributes,
  transition,
  withPlatformGpus,
  type ContainerInstanceRecord,
  type InstanceAttribute,
} from '../../core/ecs/container-instance.js';
import { validateTags } from '../../core/ecs/tags.js';
import {
  adjustRemaining,
  heldBy,
  instanceSnapshot,
  taskCounts,
  withInstanceTasks,
} from '../../core/ecs/task.js';
import type { QueryPredicate } from '../../core/placement/query-eval.js';
import { Fault, clientFault, invalidParameter } from '../../core/fault.js';
import { decodeToken, page, pageSize } from '../../core/pagination.js';
import type { ControlDeps } from '../context.js';
import { LOST, MAX_ATTEMPTS, retryOnConflict } from '../optimistic.js';
import type { ClusterOperations } from './clusters.js';
import { clusterName, containerInstanceArn, parseContainerInstanceRef, resolveInCluster } from './refs.js';

const MAX_DESCRIBE = 100;
/** Instances read per step while a ListContainerInstances filter looks for matches. */
const FILTER_CHUNK = 500;
const MAX_UPDATE_STATE = 10;

/** A versioned write that lost its race: the attempt is retried. */
class LostRace extends Error {}

/**
 * Container instances: registration (what an agent calls), deregistration, describe/list,
 * draining, and their attributes. Instance rows are written with a version check and retried;
 * attribute rows are upserted and deleted in transactions.
 */
export class ContainerInstanceOperations {
  constructor(
    private readonly deps: ControlDeps,
    private readonly clusters: ClusterOperations,
  ) {}

  /**
   * DiscoverPollEndpoint: where the agent polls for work and sends telemetry. Berth serves both on
   * its API endpoint, so the answer is the URL the caller reached (`endpoint`). The cluster must
   * exist (ClientException, the code ECS models, otherwise); the instance is not checked, as the
   * agent asks before it registers.
   */
  async discoverPollEndpoint(
    input: DiscoverPollEndpointRequest,
    endpoint: string,
  ): Promise<DiscoverPollEndpointResponse> {
    try {
      await this.clusters.require(input.cluster);
    } catch (error) {
      if (error instanceof Fault) throw clientFault(error.message);
      throw error;
    }
    return { endpoint, telemetryEndpoint: endpoint };
  }

  /**
   * RegisterContainerInstance. Idempotent per host: a host (the identity document's `instanceId`,
   * or the instance named by `containerInstanceArn`) that is already registered in the cluster
   * gets the same instance back, with the resources, versionInfo and built-in attributes it now
   * reports. Built-in (`ecs.*`) attributes are accepted here: registering is what the agent does.
   */
  async register(input: RegisterContainerInstanceRequest): Promise<ContainerInstance> {
    const { store, scope } = this.deps;
    const name = clusterName(input.cluster, scope);
    const cluster = await store.clusters.byName(name);
    if (cluster?.status !== 'ACTIVE') throw clusterMissingForRegistration(name);

    const identity = parseIdentityDocument(input.instanceIdentityDocument);
    const reported = identityAttributes(identity, checkRegistrationAttributes(input.attributes ?? []));
    checkCustomCount(reported);
    const platformDevices = checkPlatformDevices(input.platformDevices);
    const registeredResources = withPlatformGpus(checkTotalResources(input.totalResources), platformDevices);
    const versionInfo = { ...(input.versionInfo ?? {}) };
    const tags = validateTags(input.tags);

    let hostId = identity.instanceId;
    if (input.containerInstanceArn !== undefined) {
      const ref = parseContainerInstanceRef(input.containerInstanceArn, scope);
      const [existing] =
        ref.cluster === undefined || ref.cluster === name
          ? await store.containerInstances.byIds(name, [ref.id])
          : [];
      if (!existing || existing.status === 'INACTIVE') {
        throw clientFault(
          `Container instance '${input.containerInstanceArn}' is not registered in cluster '${name}': register without containerInstanceArn.`,
        );
      }
      if (hostId !== undefined && hostId !== existing.hostId) {
        throw clientFault(
          `Container instance '${input.containerInstanceArn}' belongs to host '${existing.hostId}', not '${hostId}'.`,
        );
      }
      hostId = existing.hostId;
    }
    const host = hostId ?? `i-${randomBytes(9).toString('hex').slice(0, 17)}`;

    return retryOnConflict(
      async (attempt) => {
        try {
          return await store.transaction(async (repos) => {
            if (!(await repos.clusters.holdActive(name))) throw clusterMissingForRegistration(name);
            const existing = await repos.containerInstances.registeredOnHost(host);
            if (existing && existing.cluster !== name) {
              throw clientFault(
                `Host '${host}' is registered in cluster '${existing.cluster}': deregister it there first.`,
              );
            }
            if (existing) {
              const current =
                (await repos.containerInstances.attributesOf([existing.arn])).get(existing.arn) ?? [];
              const attributes = registrationAttributes(current, reported);
              const next: ContainerInstanceRecord = {
                ...existing,
                registeredResources,
                // What remains is what is registered minus what the instance's tasks hold.
                remainingResources: adjustRemaining(
                  initialRemaining(registeredResources),
                  (await repos.tasks.activeOnInstances([existing.arn])).map(heldBy),
                  1,
                ),
                versionInfo,
                platformDevices,
                version: existing.version + 1,
              };
              if (!(await repos.containerInstances.update(next))) throw new LostRace();
              await repos.containerInstances.replaceAttributes(next.arn, attributes);
              return containerInstanceView(next, sortAttributes(attributes));
            }
            const id = randomBytes(16).toString('hex');
            const record: ContainerInstanceRecord = {
              arn: containerInstanceArn(scope, name, id),
              id,
              cluster: name,
              hostId: host,
              status: 'ACTIVE',
              // The agent channel (the agent issue) turns this on while the agent holds a session.
              agentConnected: false,
              registeredAt: this.deps.now(),
              version: 1,
              registeredResources,
              remainingResources: initialRemaining(registeredResources),
              versionInfo,
              platformDevices,
            };
            await repos.containerInstances.insert(record);
            await repos.containerInstances.putAttributes(record.arn, reported);
            if (tags.length > 0) await repos.tags.replace(record.arn, tags);
            return containerInstanceView(record, sortAttributes(reported));
          });
        } catch (error) {
          // A lost version race, or a concurrent registration of the same host inserted first (the
          // store allows one registered instance per host): the next attempt finds it.
          if (error instanceof Fault) throw error;
          if (!(error instanceof LostRace) && attempt === MAX_ATTEMPTS - 1) throw error;
          return LOST;
        }
      },
      () => conflict(host),
    );
  }

  /** DeregisterContainerInstance: the instance becomes INACTIVE (still describable). */
  async deregister(input: DeregisterContainerInstanceRequest): Promise<ContainerInstance> {
    const cluster = await this.clusters.require(input.cluster);
    const ref = input.containerInstance ?? '';
    const found = await this.find(cluster.name, ref);
    if (!found || found.status === 'INACTIVE') throw instanceNotFound(ref, cluster.name);
    const holding = input.force ? 0 : await this.activeTasks(found.arn);
    const record = await this.modify(found.arn, (current) => {
      if (current.status === 'INACTIVE') throw instanceNotFound(ref, cluster.name);
      if (holding > 0) {
        throw invalidParameter(
          `Container instance '${ref}' still runs tasks: stop them first, or deregister with force.`,
        );
      }
      return { ...current, status: 'INACTIVE', agentConnected: false };
    });
    return this.view(record);
  }

  async describe(input: DescribeContainerInstancesRequest): Promise<DescribeContainerInstancesResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const refs = input.containerInstances ?? [];
    if (refs.length === 0) throw invalidParameter('containerInstances must name at least one instance.');
    if (refs.length > MAX_DESCRIBE)
      throw invalidParameter(`At most ${MAX_DESCRIBE} container instances can be described at once.`);
    const include = new Set<ContainerInstanceField>(input.include ?? []);
    const { found, failures } = await this.resolve(cluster.name, refs);
    const records = [...new Map(found.map((r) => [r.arn, r])).values()];
    const attributes = await this.deps.store.containerInstances.attributesOf(records.map((r) => r.arn));
    const tasks = await this.deps.store.tasks.countByInstance(records.map((r) => r.arn));
    const containerInstances: ContainerInstance[] = [];
    for (const record of records) {
      containerInstances.push(
        containerInstanceView(record, attributes.get(record.arn) ?? [], {
          ...taskCounts(tasks.get(record.arn)),
          ...(include.has('TAGS') ? { tags: await this.deps.store.tags.list(record.arn) } : {}),
          health: include.has('CONTAINER_INSTANCE_HEALTH'),
        }),
      );
    }
    return { containerInstances, failures };
  }

  async list(input: ListContainerInstancesRequest): Promise<ListContainerInstancesResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const limit = pageSize(input.maxResults);
    const token = decodeToken(input.nextToken);
    const afterId = token === undefined ? undefined : singleString(token);
    const filter = parseInstanceFilter(input.filter);
    const query = { cluster: cluster.name, ...(input.status ? { status: input.status } : {}) };
    const rows = filter
      ? await this.matching(query, filter, afterId, limit + 1)
      : await this.deps.store.containerInstances.list({
          ...query,
          ...(afterId !== undefined ? { afterId } : {}),
          limit: limit + 1,
        });
    const { items, nextToken } = page(rows, limit, (r) => [r.id]);
    return { containerInstanceArns: items.map((r) => r.arn), ...(nextToken ? { nextToken } : {}) };
  }

  /**
   * Up to `wanted` instances after `afterId`, in id order, that the filter accepts: read in chunks,
   * each instance seen with its attributes, running task count and task groups.
   */
  private async matching(
    query: { cluster: string; status?: string },
    filter: QueryPredicate,
    afterId: string | undefined,
    wanted: number,
  ): Promise<ContainerInstanceRecord[]> {
    const { store } = this.deps;
    const matched: ContainerInstanceRecord[] = [];
    let cursor = afterId;
    for (;;) {
      const chunk = await store.containerInstances.list({
        ...query,
        ...(cursor !== undefined ? { afterId: cursor } : {}),
        limit: FILTER_CHUNK,
      });
      const arns = chunk.map((r) => r.arn);
      const [attributes, active] = await Promise.all([
        store.containerInstances.attributesOf(arns),
        store.tasks.activeOnInstances(arns),
      ]);
      for (const record of chunk) {
        const view = withInstanceTasks(
          instanceSnapshot(record, attributes.get(record.arn) ?? []),
          active.filter((t) => t.containerInstanceArn === record.arn),
        );
        if (filter(view)) matched.push(record);
        if (matched.length === wanted) return matched;
      }
      if (chunk.length < FILTER_CHUNK) return matched;
      cursor = chunk.at(-1)?.id;
    }
  }

  /** UpdateContainerInstancesState: ACTIVE ↔ DRAINING; unknown or deregistered instances are failures. */
  async updateState(
    input: UpdateContainerInstancesStateRequest,
  ): Promise<UpdateContainerInstancesStateResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const refs = input.containerInstances ?? [];
    const status = input.status ?? '';
    transition('ACTIVE', status); // refuses a target other than ACTIVE or DRAINING before anything changes
    if (refs.length === 0) throw invalidParameter('containerInstances must name at least one instance.');
    if (refs.length > MAX_UPDATE_STATE) {
      throw invalidParameter(`At most ${MAX_UPDATE_STATE} container instances can be updated at once.`);
    }
    const { found, failures } = await this.resolve(cluster.name, refs);
    const changed: ContainerInstanceRecord[] = [];
    for (const record of new Map(found.map((r) => [r.arn, r])).values()) {
      let refused: Failure | undefined;
      const next = await this.modify(record.arn, (current) => {
        const outcome = transition(current.status, status);
        if ('failure' in outcome) {
          refused = { arn: current.arn, reason: outcome.failure, detail: outcome.detail };
          return undefined;
        }
        return outcome.status === current.status ? undefined : { ...current, status: outcome.status };
      });
      if (refused) failures.push(refused);
      else changed.push(next);
    }
    const attributes = await this.deps.store.containerInstances.attributesOf(changed.map((r) => r.arn));
    return {
      containerInstances: changed.map((r) => containerInstanceView(r, attributes.get(r.arn) ?? [])),
      failures,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Attributes

  async putAttributes(input: PutAttributesRequest): Promise<PutAttributesResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const attributes = input.attributes ?? [];
    if (attributes.length === 0) throw invalidParameter('attributes must hold at least one attribute.');
    if (attributes.length > MAX_CUSTOM_ATTRIBUTES) {
      throw new Fault(
        'AttributeLimitExceededException',
        `At most ${MAX_CUSTOM_ATTRIBUTES} attributes can be put in one call; this call has ${attributes.length}.`,
      );
    }
    const targets = await this.targets(cluster.name, attributes);
    await this.deps.store.transaction(async (repos) => {
      for (const [arn, list] of targets.byArn) {
        await repos.containerInstances.putAttributes(arn, list);
        const all = (await repos.containerInstances.attributesOf([arn])).get(arn) ?? [];
        checkCustomCount(all);
      }
    });
    return { attributes: targets.echo };
  }

  async deleteAttributes(input: DeleteAttributesRequest): Promise<DeleteAttributesResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const attributes = input.attributes ?? [];
    if (attributes.length === 0) throw invalidParameter('attributes must hold at least one attribute.');
    const targets = await this.targets(cluster.name, attributes);
    await this.deps.store.transaction(async (repos) => {
      for (const [arn, list] of targets.byArn) {
        await repos.containerInstances.deleteAttributes(
          arn,
          list.map((a) => a.name),
        );
      }
    });
    return { attributes: targets.echo };
  }

  async listAttributes(input: ListAttributesRequest): Promise<ListAttributesResponse> {
    const cluster = await this.clusters.require(input.cluster);
    if (input.targetType !== TARGET_TYPE) {
      throw invalidParameter(`targetType must be '${TARGET_TYPE}'.`);
    }
    if (input.attributeValue !== undefined && input.attributeName === undefined) {
      throw invalidParameter('attributeValue can only be used together with attributeName.');
    }
    const limit = pageSize(input.maxResults);
    const token = decodeToken(input.nextToken);
    let after: { instanceArn: string; name: string } | undefined;
    if (token !== undefined) {
      const [instanceArn, name] = token;
      if (token.length !== 2 || typeof instanceArn !== 'string' || typeof name !== 'string') throw badToken();
      after = { instanceArn, name };
    }
    const rows = await this.deps.store.containerInstances.listAttributes({
      cluster: cluster.name,
      ...(input.attributeName !== undefined ? { name: input.attributeName } : {}),
      ...(input.attributeValue !== undefined ? { value: input.attributeValue } : {}),
      ...(after ? { after } : {}),
      limit: limit + 1,
    });
    const { items, nextToken } = page(rows, limit, (r) => [r.instanceArn, r.name]);
    return {
      attributes: items.map((r) => ({
        name: r.name,
        ...(r.value !== undefined ? { value: r.value } : {}),
        targetType: TARGET_TYPE,
        targetId: r.instanceArn,
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  /** A registered or deregistered instance by its full ARN (for tagging), or InvalidParameterException. */
  async requireByArn(arn: string): Promise<ContainerInstanceRecord> {
    const record = await this.deps.store.containerInstances.byArn(arn);
    if (!record) throw invalidParameter(`Container instance not found: '${arn}'.`);
    return record;
  }

  // -------------------------------------------------------------------------------------------

  /** Tasks on the instance that are not STOPPED: deregistering it without `force` is refused. */
  private async activeTasks(arn: string): Promise<number> {
    const counts = taskCounts((await this.deps.store.tasks.countByInstance([arn])).get(arn));
    return counts.pendingTasksCount + counts.runningTasksCount;
  }

  /** The instance of `cluster` a reference names (a short id or an ARN of this cluster). */
  private async find(cluster: string, ref: string): Promise<ContainerInstanceRecord | undefined> {
    const parsed = parseContainerInstanceRef(ref, this.deps.scope);
    if (parsed.cluster !== undefined && parsed.cluster !== cluster) return undefined;
    const [record] = await this.deps.store.containerInstances.byIds(cluster, [parsed.id]);
    return record;
  }

  /** Resolves references; the ones naming no instance of the cluster are MISSING failures. */
  private resolve(
    cluster: string,
    refs: readonly string[],
  ): Promise<{ found: ContainerInstanceRecord[]; failures: Failure[] }> {
    return resolveInCluster(cluster, refs, {
      parse: (ref) => parseContainerInstanceRef(ref, this.deps.scope),
      load: (ids) => this.deps.store.containerInstances.byIds(cluster, ids),
      arnOf: (id) => containerInstanceArn(this.deps.scope, cluster, id),
    });
  }

  /**
   * Checks PutAttributes/DeleteAttributes attributes (custom names only, a targetId each) and
   * resolves their targets to registered instances of the cluster (TargetNotFoundException).
   */
  private async targets(
    cluster: string,
    attributes: readonly Attribute[],
  ): Promise<{ byArn: Map<string, InstanceAttribute[]>; echo: Attribute[] }> {
    const checked = attributes.map((a) => {
      const attribute = checkAttribute(a, { agent: false });
      // targetType, when given, is 'container-instance': the validator checks the enum.
      if (!a.targetId) {
        throw invalidParameter(
          `Attribute '${attribute.name}' needs a targetId: the container instance's id or ARN.`,
        );
      }
      return { attribute, ref: a.targetId };
    });
    const byArn = new Map<string, InstanceAttribute[]>();
    const echo: Attribute[] = [];
    const resolved = new Map<string, string>();
    for (const { attribute, ref } of checked) {
      let arn = resolved.get(ref);
      if (arn === undefined) {
        const record = await this.find(cluster, ref);
        if (!record || record.status === 'INACTIVE') {
          throw new Fault(
            'TargetNotFoundException',
            `Could not find container instance '${ref}' in cluster '${cluster}'.`,
          );
        }
        arn = record.arn;
        resolved.set(ref, arn);
      }
      const list = byArn.get(arn) ?? [];
      if (list.some((a) => a.name === attribute.name)) {
        throw invalidParameter(`Attribute '${attribute.name}' appears twice for the same target.`);
      }
      list.push(attribute);
      byArn.set(arn, list);
      echo.push({ ...attribute, targetType: TARGET_TYPE, targetId: arn });
    }
    return { byArn, echo };
  }

  /**
   * Read, change, write with a version check, retried when another writer got there first.
   * `change` answering undefined means nothing to write: the current record is returned.
   */
  private async modify(
    arn: string,
    change: (current: ContainerInstanceRecord) => ContainerInstanceRecord | undefined,
  ): Promise<ContainerInstanceRecord> {
    return retryOnConflict(
      async () => {
        const current = await this.deps.store.containerInstances.byArn(arn);
        if (!current) throw invalidParameter(`Container instance not found: '${arn}'.`);
        const changed = change(current);
        if (!changed) return current;
        const next = { ...changed, version: current.version + 1 };
        return (await this.deps.store.containerInstances.update(next)) ? next : LOST;
      },
      () => conflict(arn),
    );
  }

  private async view(record: ContainerInstanceRecord): Promise<ContainerInstance> {
    const attributes = await this.deps.store.containerInstances.attributesOf([record.arn]);
    return containerInstanceView(record, attributes.get(record.arn) ?? []);
  }
}

function sortAttributes(attributes: readonly InstanceAttribute[]): InstanceAttribute[] {
  return [...attributes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function singleString(token: readonly (string | number)[]): string {
  const [first] = token;
  if (token.length !== 1 || typeof first !== 'string') throw badToken();
  return first;
}

const badToken = (): Fault =>
  invalidParameter('Invalid nextToken: it must be a token returned by a previous call.');

/** RegisterContainerInstance's model lists no ClusterNotFoundException: a missing cluster is a ClientException. */
const clusterMissingForRegistration = (name: string): Fault =>
  clientFault(`Cluster not found: '${name}'. Create it before registering container instances.`);

const instanceNotFound = (ref: string, cluster: string): Fault =>
  invalidParameter(`Container instance not found in cluster '${cluster}': '${ref}'.`);

const conflict = (what: string): Fault =>
  new Fault('ServerException', `Container instance '${what}' is being changed by another request; retry.`);
