import { DescribeTasksCommand, ListTagsForResourceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { TagLookup } from './metadata-shapes.js';

/**
 * The tags `/taskWithTags` shows, read from the control plane through ECS's public API with the
 * agent's own credentials (as the ECS agent does with ListTagsForResource), never from its store.
 * A failure is returned, not thrown: ECS answers the task's metadata regardless and lists what it
 * could not read in `Errors`.
 */
export interface TagSource {
  task(cluster: string, taskArn: string, signal: AbortSignal): Promise<TagLookup>;
  containerInstance(signal: AbortSignal): Promise<TagLookup>;
}

export function tagSource(client: ECSClient, containerInstanceArn: () => Promise<string>): TagSource {
  return {
    async task(cluster, taskArn, signal) {
      const listed = await listTags(client, taskArn, signal);
      if ('tags' in listed) return listed;
      // The control plane may not take task ARNs in ListTagsForResource yet; DescribeTasks with
      // TAGS reads the same tags through the public API, so use it before giving up.
      try {
        const out = await client.send(
          new DescribeTasksCommand({ cluster, tasks: [taskArn], include: ['TAGS'] }),
          {
            abortSignal: signal,
          },
        );
        const task = out.tasks?.find((t) => t.taskArn === taskArn);
        return task !== undefined ? { tags: task.tags ?? [] } : listed;
      } catch {
        return listed;
      }
    },
    async containerInstance(signal) {
      return listTags(client, await containerInstanceArn(), signal);
    },
  };
}

async function listTags(client: ECSClient, resourceArn: string, signal: AbortSignal): Promise<TagLookup> {
  try {
    const out = await client.send(new ListTagsForResourceCommand({ resourceArn }), { abortSignal: signal });
    return { tags: out.tags ?? [] };
  } catch (err) {
    const e = err as {
      name?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number; requestId?: string };
    };
    return {
      error: {
        ErrorCode: e.name ?? 'Error',
        ErrorMessage: e.message ?? String(err),
        StatusCode: e.$metadata?.httpStatusCode ?? 0,
        ...(e.$metadata?.requestId !== undefined ? { RequestId: e.$metadata.requestId } : {}),
        ResourceARN: resourceArn,
      },
    };
  }
}
