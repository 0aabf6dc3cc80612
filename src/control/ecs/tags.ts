import type {
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  TagResourceRequest,
  UntagResourceRequest,
} from '@aws-sdk/client-ecs';
import { parseArn } from '../../core/arn.js';
import { mergeTags, validateTags } from '../../core/ecs/tags.js';
import { Fault, invalidParameter } from '../../core/fault.js';
import type { ControlDeps } from '../context.js';
import type { ClusterOperations } from './clusters.js';
import type { ContainerInstanceOperations } from './container-instances.js';
import type { ServiceOperations } from './services.js';
import type { TaskDefinitionOperations } from './task-definitions.js';

/** Tagging any taggable ECS resource by ARN. The resource must exist. */
export class TagOperations {
  constructor(
    private readonly deps: ControlDeps,
    private readonly clusters: ClusterOperations,
    private readonly taskDefinitions: TaskDefinitionOperations,
    private readonly containerInstances: ContainerInstanceOperations,
    private readonly services: ServiceOperations,
  ) {}

  async tag(input: TagResourceRequest): Promise<void> {
    const arn = await this.requireResource(input.resourceArn ?? '');
    const added = validateTags(input.tags);
    if (added.length === 0) throw invalidParameter('TagResource needs at least one tag.');
    await this.deps.store.transaction(async (repos) => {
      await repos.tags.replace(arn, mergeTags(await repos.tags.list(arn), added));
    });
  }

  async untag(input: UntagResourceRequest): Promise<void> {
    const arn = await this.requireResource(input.resourceArn ?? '');
    const removed = new Set(input.tagKeys ?? []);
    await this.deps.store.transaction(async (repos) => {
      const kept = (await repos.tags.list(arn)).filter((t) => !removed.has(t.key));
      await repos.tags.replace(arn, kept);
    });
  }

  async list(input: ListTagsForResourceRequest): Promise<ListTagsForResourceResponse> {
    const arn = await this.requireResource(input.resourceArn ?? '');
    return { tags: await this.deps.store.tags.list(arn) };
  }

  private async requireResource(resourceArn: string): Promise<string> {
    const parsed = parseArn(resourceArn);
    if (!parsed || parsed.service !== 'ecs') {
      throw invalidParameter(`'${resourceArn}' is not an ECS resource ARN.`);
    }
    const type = parsed.resource.split('/')[0] ?? '';
    if (type === 'cluster') return (await this.clusters.require(resourceArn)).arn;
    if (type === 'task-definition') {
      return (await this.taskDefinitions.require(resourceArn)).taskDefinitionArn ?? resourceArn;
    }
    if (type === 'container-instance') return (await this.containerInstances.requireByArn(resourceArn)).arn;
    if (type === 'service') return (await this.services.requireByArn(resourceArn)).arn;
    if (type === 'task') {
      const task = await this.deps.store.tasks.byArn(resourceArn);
      if (!task) throw invalidParameter(`The task '${resourceArn}' does not exist.`);
      return task.arn;
    }
    throw new Fault('InvalidParameterException', `Berth cannot tag ECS resources of type '${type}' yet.`);
  }
}
