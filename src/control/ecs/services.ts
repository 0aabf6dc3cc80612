import type {
  CreateServiceRequest,
  CreateServiceResponse,
  DeleteServiceRequest,
  DeleteServiceResponse,
  DescribeServicesRequest,
  DescribeServicesResponse,
  Failure,
  ListServicesRequest,
  ListServicesResponse,
  Service,
  TaskDefinition,
  UpdateServiceRequest,
  UpdateServiceResponse,
} from '@aws-sdk/client-ecs';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { checkName } from '../../core/ecs/names.js';
import type { ServiceRecord } from '../../core/ecs/service.js';
import {
  drainingService,
  newService,
  updatedService,
  type CreateContext,
} from '../../core/ecs/service-changes.js';
import type { DeploymentIds } from '../../core/ecs/service-deployment.js';
import { checkClientToken } from '../../core/ecs/service-input.js';
import { serviceView } from '../../core/ecs/service-view.js';
import { validateTags } from '../../core/ecs/tags.js';
import { Fault, clientFault, invalidParameter } from '../../core/fault.js';
import { decodeToken, page, pageSize } from '../../core/pagination.js';
import type { Caller, ControlDeps } from '../context.js';
import { KeyedSerializer } from '../keyed-serializer.js';
import { LOST, retryOnConflict } from '../optimistic.js';
import { checkTargetGroups } from '../services/target-groups.js';
import { notFound, type ClusterOperations } from './clusters.js';
import { parseServiceRef, parseTaskDefinitionRef, serviceArn, type ServiceRef } from './refs.js';

const MAX_DESCRIBE = 10;
const LIST_DEFAULT = 10;

/**
 * ECS services: CreateService, UpdateService, DeleteService, DescribeServices, ListServices. These
 * write a service's configuration and start its deployments; running its tasks is the service
 * controller's work (it reads `store.services.byCluster`). Writes are versioned and retried when
 * another writer (a replica, the controller) got there first.
 */
export class ServiceOperations {
  /** Writers in this process queue per service, so only other replicas' writes make an attempt lose. */
  private readonly writes = new KeyedSerializer();

  constructor(
    private readonly deps: ControlDeps,
    private readonly clusters: ClusterOperations,
  ) {}

  /**
   * A new service, ACTIVE with one PRIMARY deployment IN_PROGRESS. A retry with the same
   * clientToken and the same request answers the service that call created; any other request
   * for a name that is ACTIVE or DRAINING is not idempotent (ECS's answer).
   */
  async create(input: CreateServiceRequest, caller: Caller): Promise<CreateServiceResponse> {
    const { store, scope } = this.deps;
    const cluster = await this.clusters.require(input.cluster);
    const name = checkName('Service name', input.serviceName ?? '');
    checkClientToken(input.clientToken);
    const digest = requestDigest(input);
    const earlier = await store.services.byName(cluster.name, name);
    const service =
      earlier && earlier.status !== 'INACTIVE'
        ? retried(earlier, input, digest)
        : await this.insert(input, {
            arn: serviceArn(scope, cluster.name, name),
            cluster: cluster.name,
            createdBy: caller.principalArn,
            requestDigest: digest,
            scope,
          });
    const tags = await store.tags.list(service.arn);
    return { service: serviceView(service, tags.length > 0 ? tags : undefined) };
  }

  /** Writes a new service (over an INACTIVE one of its name, if any) with its tags, in one transaction. */
  private async insert(
    input: CreateServiceRequest,
    context: Omit<CreateContext, 'ids' | 'now' | 'replacing'>,
  ): Promise<ServiceRecord> {
    const { store, now } = this.deps;
    const tags = validateTags(input.tags);
    const definition = await this.definition(input.taskDefinition);
    // Checked once before anything is written: bad input changes nothing.
    const checked = newService(input, definition, { ...context, ids: deploymentIds(), now: now() });
    await checkTargetGroups(this.deps, checked.loadBalancers, definition);
    const { cluster } = context;
    return this.writes.run(context.arn, () =>
      retryOnConflict(
        async () => {
          try {
            return await store.transaction(async (repos) => {
              // Holds the cluster row: DeleteCluster either sees this service or this sees no cluster.
              if (!(await repos.clusters.holdActive(cluster))) throw notFound(cluster);
              const existing = await repos.services.byName(cluster, input.serviceName ?? '');
              if (existing && existing.status !== 'INACTIVE')
                return retried(existing, input, context.requestDigest);
              if (
                input.clientToken !== undefined &&
                (await repos.services.byClientToken(cluster, input.clientToken))
              ) {
                throw notIdempotent();
              }
              const record = newService(input, definition, {
                ...context,
                ids: deploymentIds(),
                now: now(),
                ...(existing ? { replacing: existing } : {}),
              });
              if (existing) {
                if (!(await repos.services.recreate(record))) return LOST;
              } else {
                await repos.services.insert(record);
              }
              await repos.tags.replace(record.arn, tags);
              return record;
            });
          } catch (error) {
            if (error instanceof Fault) throw error;
            // A concurrent CreateService of the same name (or clientToken) inserted first.
            const winner = await store.services.byName(cluster, input.serviceName ?? '');
            if (winner && winner.status !== 'INACTIVE') return retried(winner, input, context.requestDigest);
            if (
              input.clientToken !== undefined &&
              (await store.services.byClientToken(cluster, input.clientToken))
            ) {
              throw notIdempotent();
            }
            throw error;
          }
        },
        () => busy(input.serviceName ?? ''),
      ),
    );
  }

  /**
   * Changes an ACTIVE service. A new task definition, other load balancers or service registries,
   * or `forceNewDeployment` start a new PRIMARY deployment (the old PRIMARY turns ACTIVE); other
   * changes apply in place.
   */
  async update(input: UpdateServiceRequest): Promise<UpdateServiceResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const ref = parseServiceRef(input.service ?? '', this.deps.scope);
    const named =
      input.taskDefinition !== undefined ? await this.definition(input.taskDefinition) : undefined;
    const service = await this.writes.run(serviceArn(this.deps.scope, cluster.name, ref.name), () =>
      retryOnConflict(
        async () => {
          const current = await this.requireActive(cluster.name, ref);
          const definition = named ?? (await this.definitionOf(current));
          const { service: next } = updatedService(current, input, definition, {
            ids: deploymentIds(),
            now: this.deps.now(),
          });
          if (input.loadBalancers !== undefined || named !== undefined)
            await checkTargetGroups(this.deps, next.loadBalancers, definition);
          return (await this.deps.store.services.update(next)) ? next : LOST;
        },
        () => busy(ref.name),
      ),
    );
    return { service: serviceView(service) };
  }

  /**
   * DRAINING, with no tasks wanted; the controller stops its tasks and marks it INACTIVE. A
   * REPLICA service still scaled above 0 needs `force`. Deleting a DRAINING service answers it as it is.
   */
  async delete(input: DeleteServiceRequest): Promise<DeleteServiceResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const ref = parseServiceRef(input.service ?? '', this.deps.scope);
    const service = await this.writes.run(serviceArn(this.deps.scope, cluster.name, ref.name), () =>
      retryOnConflict(
        async () => {
          const current = await this.find(cluster.name, ref);
          if (!current || current.status === 'INACTIVE') throw serviceNotFound(ref.name);
          if (current.status === 'DRAINING') return current;
          if (current.schedulingStrategy === 'REPLICA' && current.desiredCount > 0 && input.force !== true) {
            // ECS's answer, word for word, then what to do about it.
            throw invalidParameter(
              'The service cannot be stopped while it is scaled above 0. Set its desiredCount to 0 with UpdateService first, or delete it with force.',
            );
          }
          const next = drainingService(current, this.deps.now());
          return (await this.deps.store.services.update(next)) ? next : LOST;
        },
        () => busy(ref.name),
      ),
    );
    return { service: serviceView(service) };
  }

  async describe(input: DescribeServicesRequest): Promise<DescribeServicesResponse> {
    const { store, scope } = this.deps;
    const cluster = await this.clusters.require(input.cluster);
    const refs = input.services ?? [];
    if (refs.length === 0 || refs.length > MAX_DESCRIBE) {
      throw invalidParameter(`services must name 1 to ${MAX_DESCRIBE} services.`);
    }
    const withTags = (input.include ?? []).includes('TAGS');
    const parsed = refs.map((ref) => ({ ref, ...parseServiceRef(ref, scope) }));
    const inCluster = parsed.filter((p) => inThisCluster(p, cluster.name));
    const found = new Map(
      (
        await store.services.byNames(
          cluster.name,
          inCluster.map((p) => p.name),
        )
      ).map((s) => [s.name, s]),
    );
    const services: Service[] = [];
    const failures: Failure[] = [];
    for (const p of parsed) {
      const record = inThisCluster(p, cluster.name) ? found.get(p.name) : undefined;
      if (record) {
        services.push(serviceView(record, withTags ? await store.tags.list(record.arn) : undefined));
      } else {
        failures.push({
          arn: p.ref.startsWith('arn:') ? p.ref : serviceArn(scope, cluster.name, p.ref),
          reason: 'MISSING',
        });
      }
    }
    return { services, failures };
  }

  /** ACTIVE services of the cluster in name order (DRAINING and INACTIVE ones are not listed, as on ECS). */
  async list(input: ListServicesRequest): Promise<ListServicesResponse> {
    const cluster = await this.clusters.require(input.cluster);
    const limit = pageSize(input.maxResults, 100, LIST_DEFAULT);
    const after = decodeToken(input.nextToken)?.[0];
    const rows = await this.deps.store.services.listActive({
      cluster: cluster.name,
      ...(input.schedulingStrategy !== undefined ? { schedulingStrategy: input.schedulingStrategy } : {}),
      ...(input.launchType !== undefined ? { launchType: input.launchType } : {}),
      ...(after !== undefined ? { afterName: String(after) } : {}),
      limit: limit + 1,
    });
    const { items, nextToken } = page(rows, limit, (s) => [s.name]);
    return { serviceArns: items.map((s) => s.arn), ...(nextToken ? { nextToken } : {}) };
  }

  /** A service by ARN, for tagging: its cluster must exist; any status but gone. */
  async requireByArn(arn: string): Promise<ServiceRecord> {
    const ref = parseServiceRef(arn, this.deps.scope);
    const cluster = await this.clusters.require(ref.cluster);
    const service = await this.deps.store.services.byName(cluster.name, ref.name);
    if (!service) throw invalidParameter(`The service '${arn}' does not exist.`);
    return service;
  }

  /** The service `ref` names in the cluster, in any status. */
  private async find(cluster: string, ref: ServiceRef): Promise<ServiceRecord | undefined> {
    if (!inThisCluster(ref, cluster)) return undefined;
    return this.deps.store.services.byName(cluster, ref.name);
  }

  private async requireActive(cluster: string, ref: ServiceRef): Promise<ServiceRecord> {
    const service = await this.find(cluster, ref);
    if (!service) throw serviceNotFound(ref.name);
    if (service.status !== 'ACTIVE') {
      throw new Fault(
        'ServiceNotActiveException',
        `Service was not ACTIVE: '${service.name}' is ${service.status} (it was deleted). Create it again to use the name.`,
      );
    }
    return service;
  }

  /** The task definition a call names (`family`, `family:revision` or ARN). */
  private async definition(ref: string | undefined): Promise<TaskDefinition> {
    if (ref === undefined) {
      throw invalidParameter('taskDefinition is required: name the task definition the service runs.');
    }
    const { family, revision } = parseTaskDefinitionRef(ref, this.deps.scope);
    const found =
      revision === undefined
        ? await this.deps.store.taskDefinitions.latestActive(family)
        : await this.deps.store.taskDefinitions.get({ family, revision });
    // ECS's answer (a ClientException), with the reference the caller gave.
    if (!found) throw clientFault(`TaskDefinition not found: '${ref}'.`);
    return found;
  }

  /** The revision the service runs now (revisions are never removed, so it is always there). */
  private async definitionOf(service: ServiceRecord): Promise<TaskDefinition> {
    const { family, revision } = parseTaskDefinitionRef(service.taskDefinition, this.deps.scope);
    const found =
      revision === undefined ? undefined : await this.deps.store.taskDefinitions.get({ family, revision });
    if (!found)
      throw new Error(`service ${service.arn} runs a revision the store lacks: ${service.taskDefinition}`);
    return found;
  }
}

const inThisCluster = (ref: ServiceRef, cluster: string): boolean =>
  ref.cluster === undefined || ref.cluster === cluster;

/** The answer to a CreateService for a name that is ACTIVE or DRAINING. */
function retried(existing: ServiceRecord, input: CreateServiceRequest, digest: string): ServiceRecord {
  if (
    input.clientToken !== undefined &&
    existing.clientToken === input.clientToken &&
    existing.requestDigest === digest
  ) {
    return existing;
  }
  throw notIdempotent();
}

// ECS's answer, word for word: the name (or clientToken) is taken by a different request.
const notIdempotent = (): Fault => invalidParameter('Creation of service was not idempotent.');

export const serviceNotFound = (name: string): Fault =>
  new Fault('ServiceNotFoundException', `Service not found: '${name}'.`);

/** Every attempt lost its version check: ServerException, which all service operations model. */
const busy = (name: string): Fault =>
  new Fault('ServerException', `Service '${name}' is being changed by another request; retry.`);

/** Fresh random names for a deployment: 19 digits (no leading zero) and 21 letters and digits. */
function deploymentIds(): DeploymentIds {
  let digits = String(randomInt(1, 10));
  while (digits.length < 19) digits += String(randomInt(0, 10));
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const serviceDeploymentId = [...randomBytes(21)].map((b) => alphabet[b % alphabet.length]).join('');
  return { digits, serviceDeploymentId };
}

/** A digest of the request with its keys in a fixed order: the same request, the same digest. */
function requestDigest(input: CreateServiceRequest): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return Object.fromEntries(
      entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]),
    );
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(input)))
    .digest('hex');
}
