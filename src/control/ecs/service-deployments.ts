import type {
  DescribeServiceDeploymentsRequest,
  DescribeServiceDeploymentsResponse,
  DescribeServiceRevisionsRequest,
  DescribeServiceRevisionsResponse,
  Failure,
  ListServiceDeploymentsRequest,
  ListServiceDeploymentsResponse,
  ServiceDeployment,
  ServiceRevision,
} from '@aws-sdk/client-ecs';
import type { ServiceRecord } from '../../core/ecs/service.js';
import type { DeploymentRecord } from '../../core/ecs/service-deployment.js';
import {
  serviceDeploymentBrief,
  serviceDeploymentView,
  serviceRevisionView,
} from '../../core/ecs/service-view.js';
import { invalidParameter } from '../../core/fault.js';
import { decodeToken, page, pageSize } from '../../core/pagination.js';
import type { ControlDeps } from '../context.js';
import { clusterName, parseServiceChildArn, parseServiceRef, serviceArn } from './refs.js';
import { serviceNotFound } from './services.js';

const MAX_DESCRIBE = 20;
const LIST_DEFAULT = 20;

/**
 * The service-deployment API: ListServiceDeployments, DescribeServiceDeployments and
 * DescribeServiceRevisions, over the deployments CreateService and UpdateService start (every one
 * is kept, INACTIVE ones too, until a service of the same name replaces a deleted one).
 */
export class ServiceDeploymentOperations {
  constructor(private readonly deps: ControlDeps) {}

  /** Newest first. A service that does not exist (or whose cluster does not) is ServiceNotFoundException. */
  async list(input: ListServiceDeploymentsRequest): Promise<ListServiceDeploymentsResponse> {
    const { store, scope } = this.deps;
    const limit = pageSize(input.maxResults, 100, LIST_DEFAULT);
    const ref = parseServiceRef(input.service ?? '', scope);
    const cluster = clusterName(input.cluster, scope);
    const service =
      ref.cluster === undefined || ref.cluster === cluster
        ? await store.services.byName(cluster, ref.name)
        : undefined;
    if (!service) throw serviceNotFound(ref.name);
    const token = decodeToken(input.nextToken);
    const [afterAt, afterArn] = token ?? [];
    if (token !== undefined && (!Number.isSafeInteger(afterAt) || typeof afterArn !== 'string')) {
      throw invalidParameter('Invalid nextToken: it must be a token returned by a previous call.');
    }
    const after = input.createdAt?.after;
    const before = input.createdAt?.before;
    const rows = await store.services.listDeployments({
      serviceArn: service.arn,
      ...(input.status !== undefined ? { statuses: input.status } : {}),
      ...(after !== undefined ? { createdAfter: epochMs(after) } : {}),
      ...(before !== undefined ? { createdBefore: epochMs(before) } : {}),
      ...(typeof afterAt === 'number' && typeof afterArn === 'string'
        ? { after: { createdAt: afterAt, arn: afterArn } }
        : {}),
      limit: limit + 1,
    });
    const { items, nextToken } = page(rows, limit, (d) => [d.createdAt, d.arn]);
    return {
      serviceDeployments: items.map((d) => serviceDeploymentBrief(service, d)),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  async describe(input: DescribeServiceDeploymentsRequest): Promise<DescribeServiceDeploymentsResponse> {
    const found = await this.resolve(input.serviceDeploymentArns ?? [], 'service-deployment', async (arn) => {
      const hit = await this.deps.store.services.deploymentByArn(arn);
      return hit?.deployment;
    });
    return {
      serviceDeployments: found.hits.map(({ service, deployment }): ServiceDeployment =>
        serviceDeploymentView(service, deployment),
      ),
      failures: found.failures,
    };
  }

  async describeRevisions(input: DescribeServiceRevisionsRequest): Promise<DescribeServiceRevisionsResponse> {
    const found = await this.resolve(input.serviceRevisionArns ?? [], 'service-revision', (_arn, child) =>
      this.deps.store.services.deploymentById(
        serviceArn(this.deps.scope, child.cluster, child.service),
        `ecs-svc/${child.id}`,
      ),
    );
    return {
      serviceRevisions: found.hits.map(({ service, deployment }): ServiceRevision =>
        serviceRevisionView(service, deployment),
      ),
      failures: found.failures,
    };
  }

  /**
   * The deployments 1 to 20 ARNs name, each with its service; ARNs that name nothing are MISSING
   * failures, ARNs that are not of `type` are refused.
   */
  private async resolve(
    arns: readonly string[],
    type: 'service-deployment' | 'service-revision',
    load: (
      arn: string,
      child: { cluster: string; service: string; id: string },
    ) => Promise<DeploymentRecord | undefined>,
  ): Promise<{ hits: { service: ServiceRecord; deployment: DeploymentRecord }[]; failures: Failure[] }> {
    if (arns.length === 0 || arns.length > MAX_DESCRIBE) {
      throw invalidParameter(`Name 1 to ${MAX_DESCRIBE} ${type} ARNs.`);
    }
    const parsed = arns.map((arn) => ({ arn, child: parseServiceChildArn(arn, type, this.deps.scope) }));
    const hits: { service: ServiceRecord; deployment: DeploymentRecord }[] = [];
    const failures: Failure[] = [];
    for (const { arn, child } of parsed) {
      const deployment = await load(arn, child);
      const service = deployment && (await this.deps.store.services.byName(child.cluster, child.service));
      if (deployment && service) hits.push({ service, deployment });
      else failures.push({ arn, reason: 'MISSING' });
    }
    return { hits, failures };
  }
}

/** A `createdAt` bound in epoch ms; one outside the range of dates is the caller's error. */
function epochMs(value: Date | number): number {
  const ms = typeof value === 'number' ? Math.round(value * 1000) : value.getTime();
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw invalidParameter('createdAt.before and createdAt.after must be dates.');
  }
  return ms;
}

/** The largest epoch ms a JavaScript Date holds. */
const MAX_DATE_MS = 8.64e15;
