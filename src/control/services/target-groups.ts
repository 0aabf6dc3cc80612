import type { LoadBalancer, TaskDefinition } from '@aws-sdk/client-ecs';
import { invalidParameter } from '../../core/fault.js';
import type { ControlDeps } from '../context.js';

/**
 * What ECS checks of a service's target groups against the ELB store, before anything is written:
 * each exists, has a load balancer (a listener or rule forwards to it), and its target type fits
 * the task definition's network mode (`ip` for awsvpc, `instance` otherwise), in ECS's words.
 */
export async function checkTargetGroups(
  deps: Pick<ControlDeps, 'store'>,
  loadBalancers: readonly LoadBalancer[],
  definition: TaskDefinition,
): Promise<void> {
  if (loadBalancers.length === 0) return;
  const arns = loadBalancers.map((lb) => lb.targetGroupArn ?? '');
  const groups = new Map((await deps.store.loadBalancing.targetGroups(arns)).map((g) => [g.arn, g]));
  const usage = await deps.store.loadBalancing.usage(arns);
  const networkMode = definition.networkMode ?? 'bridge';
  for (const arn of arns) {
    const group = groups.get(arn);
    if (group === undefined) {
      throw invalidParameter(`The target group with targetGroupArn ${arn} does not exist.`);
    }
    if ((usage.get(arn) ?? []).length === 0) {
      throw invalidParameter(
        `The target group with targetGroupArn ${arn} does not have an associated load balancer.`,
      );
    }
    const wanted = networkMode === 'awsvpc' ? 'ip' : 'instance';
    if (group.targetType !== wanted) {
      throw invalidParameter(
        `The provided target group ${arn} has target type ${group.targetType}, which is incompatible with the ${networkMode} network mode specified in the task definition.`,
      );
    }
  }
}
