import type { ControlDeps } from '../context.js';
import { ListenerOperations } from './listeners.js';
import { LoadBalancerOperations } from './load-balancers.js';
import { RuleOperations } from './rules.js';
import { ElbTagOperations } from './tags.js';
import { TargetGroupOperations } from './target-groups.js';
import { TargetOperations } from './targets.js';

/** The ELBv2 control-plane operations, grouped by aggregate (the data-plane boundary is model.ts). */
export interface Elbv2Control {
  readonly loadBalancers: LoadBalancerOperations;
  readonly targetGroups: TargetGroupOperations;
  readonly listeners: ListenerOperations;
  readonly rules: RuleOperations;
  readonly targets: TargetOperations;
  readonly tags: ElbTagOperations;
}

export function createElbv2Control(deps: ControlDeps): Elbv2Control {
  return {
    loadBalancers: new LoadBalancerOperations(deps),
    targetGroups: new TargetGroupOperations(deps),
    listeners: new ListenerOperations(deps),
    rules: new RuleOperations(deps),
    targets: new TargetOperations(deps),
    tags: new ElbTagOperations(deps),
  };
}
