import { checkForwardTargets, forwardedTargetGroups } from '../../core/elbv2/actions.js';
import { checkArn } from '../../core/elbv2/arns.js';
import { elbFault } from '../../core/elbv2/faults.js';
import type { Action, Protocol } from '../../core/elbv2/types.js';
import type { Repositories } from '../../store/index.js';

/**
 * Inside the transaction that writes a listener's or rule's actions: the target groups they forward
 * to must exist (their rows are held until commit, so none is deleted meanwhile), fit the
 * listener's protocol and belong to no other load balancer. Answers their ARNs, to be linked.
 */
export async function checkForwarding(
  repos: Repositories,
  loadBalancerArn: string,
  listenerProtocol: Protocol,
  actions: readonly Action[],
): Promise<string[]> {
  const arns = forwardedTargetGroups(actions);
  for (const arn of arns) checkArn(arn, 'targetgroup');
  if ((await repos.loadBalancing.holdTargetGroups(arns)) !== arns.length) {
    const found = await repos.loadBalancing.targetGroups(arns);
    const missing = arns.filter((a) => !found.some((g) => g.arn === a));
    throw elbFault('TargetGroupNotFound', `Target groups '[${missing.join(', ')}]' not found`);
  }
  const groups = await repos.loadBalancing.targetGroups(arns);
  const usage = await repos.loadBalancing.usage(arns);
  checkForwardTargets(
    listenerProtocol,
    loadBalancerArn,
    groups.map((g) => ({ arn: g.arn, protocol: g.protocol, usedBy: usage.get(g.arn) ?? [] })),
  );
  return arns;
}
