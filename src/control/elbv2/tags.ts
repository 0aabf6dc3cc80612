import { resourceKindOf } from '../../core/elbv2/arns.js';
import { elbFault, validationError, type ElbErrorCode } from '../../core/elbv2/faults.js';
import type { Tag } from '../../core/elbv2/inputs.js';
import { MAX_TAGS, checkTags } from '../../core/elbv2/names.js';
import type { ResourceKind } from '../../core/elbv2/types.js';
import type { Repositories } from '../../store/index.js';
import type { ControlDeps } from '../context.js';

const MAX_RESOURCES = 20;

const NOT_FOUND: Record<ResourceKind, ElbErrorCode> = {
  loadbalancer: 'LoadBalancerNotFound',
  targetgroup: 'TargetGroupNotFound',
  listener: 'ListenerNotFound',
  'listener-rule': 'RuleNotFound',
};

/** AddTags, RemoveTags, DescribeTags on load balancers, target groups, listeners and rules. */
export class ElbTagOperations {
  constructor(private readonly deps: ControlDeps) {}

  /** Every resource's tags change, or none does (one transaction; at most 50 tags per resource). */
  async add(input: {
    readonly ResourceArns: readonly string[];
    readonly Tags: readonly Tag[];
  }): Promise<object> {
    checkResources(input.ResourceArns);
    if (input.Tags.length === 0) throw validationError('At least one tag must be specified');
    checkTags(input.Tags);
    await this.deps.store.transaction(async (repos) => {
      for (const arn of input.ResourceArns) {
        await mustExist(repos, arn);
        const tags = new Map((await repos.tags.list(arn)).map((t) => [t.key, t.value]));
        for (const t of input.Tags) tags.set(t.Key, t.Value ?? '');
        if (tags.size > MAX_TAGS)
          throw elbFault('TooManyTags', `The resource '${arn}' would have more than ${MAX_TAGS} tags`);
        await repos.tags.replace(
          arn,
          [...tags].map(([key, value]) => ({ key, value })),
        );
      }
    });
    return {};
  }

  async remove(input: {
    readonly ResourceArns: readonly string[];
    readonly TagKeys: readonly string[];
  }): Promise<object> {
    checkResources(input.ResourceArns);
    await this.deps.store.transaction(async (repos) => {
      for (const arn of input.ResourceArns) {
        await mustExist(repos, arn);
        const kept = (await repos.tags.list(arn)).filter((t) => !input.TagKeys.includes(t.key));
        await repos.tags.replace(arn, kept);
      }
    });
    return {};
  }

  async describe(input: { readonly ResourceArns: readonly string[] }): Promise<object> {
    checkResources(input.ResourceArns);
    const { store } = this.deps;
    const descriptions = [];
    for (const arn of input.ResourceArns) {
      await mustExist(store, arn);
      const tags = await store.tags.list(arn);
      descriptions.push({ ResourceArn: arn, Tags: tags.map((t) => ({ Key: t.key, Value: t.value })) });
    }
    return { TagDescriptions: descriptions };
  }
}

function checkResources(arns: readonly string[]): void {
  if (arns.length === 0) throw validationError('At least one resource ARN must be specified');
  if (arns.length > MAX_RESOURCES)
    throw validationError(`At most ${MAX_RESOURCES} resource ARNs can be specified`);
  for (const arn of arns) {
    if (!resourceKindOf(arn))
      throw validationError(`'${arn}' is not a valid Elastic Load Balancing resource ARN`);
  }
}

async function mustExist(repos: Repositories, arn: string): Promise<void> {
  const kind = resourceKindOf(arn);
  if (!kind) return;
  const repo = repos.loadBalancing;
  const found =
    kind === 'loadbalancer'
      ? await repo.loadBalancer(arn)
      : kind === 'targetgroup'
        ? (await repo.targetGroups([arn]))[0]
        : kind === 'listener'
          ? await repo.listener(arn)
          : await repo.rule(arn);
  if (!found) throw elbFault(NOT_FOUND[kind], `Resource '${arn}' not found`);
}
