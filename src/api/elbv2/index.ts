import type * as In from '../../core/elbv2/inputs.js';
import type { Elbv2Control } from '../../control/elbv2/index.js';
import { decodeQueryInput, type StructShape } from '../protocol/query-input.js';
import type { QueryOperation, QueryService } from '../service.js';
import { ELBV2_ERRORS } from './errors.js';
import { SHAPES, type Elbv2OperationName } from './shapes.js';

/** One operation: decode the form parameters by its shape, hand the input to control/. */
function op<I>(shape: StructShape, run: (input: I) => Promise<object>): QueryOperation {
  return { run: (params) => run(decodeQueryInput(shape, params) as I) };
}

/**
 * ELBv2 on the awsQuery protocol (signing name `elasticloadbalancing`, version 2015-12-01): the
 * control plane of load balancing. Each entry decides nothing; the rules are in core/elbv2.
 */
export function elbv2Service(elb: Elbv2Control): QueryService {
  const { loadBalancers, targetGroups, listeners, rules, targets, tags } = elb;
  type Arns<K extends string> = Readonly<Record<K, readonly string[]>>;
  type Paged = { readonly Marker?: string; readonly PageSize?: number };
  const operations: Record<Elbv2OperationName, QueryOperation> = {
    CreateLoadBalancer: op(SHAPES.CreateLoadBalancer, (i: In.CreateLoadBalancerInput) =>
      loadBalancers.create(i),
    ),
    DescribeLoadBalancers: op(
      SHAPES.DescribeLoadBalancers,
      (i: Partial<Arns<'LoadBalancerArns' | 'Names'>> & Paged) => loadBalancers.describe(i),
    ),
    DeleteLoadBalancer: op(SHAPES.DeleteLoadBalancer, (i: { LoadBalancerArn: string }) =>
      loadBalancers.delete(i),
    ),
    CreateTargetGroup: op(SHAPES.CreateTargetGroup, (i: In.CreateTargetGroupInput) => targetGroups.create(i)),
    ModifyTargetGroup: op(SHAPES.ModifyTargetGroup, (i: In.ModifyTargetGroupInput) => targetGroups.modify(i)),
    DescribeTargetGroups: op(
      SHAPES.DescribeTargetGroups,
      (i: { LoadBalancerArn?: string } & Partial<Arns<'TargetGroupArns' | 'Names'>> & Paged) =>
        targetGroups.describe(i),
    ),
    DeleteTargetGroup: op(SHAPES.DeleteTargetGroup, (i: { TargetGroupArn: string }) =>
      targetGroups.delete(i),
    ),
    DescribeTargetGroupAttributes: op(SHAPES.DescribeTargetGroupAttributes, (i: { TargetGroupArn: string }) =>
      targetGroups.describeAttributes(i),
    ),
    ModifyTargetGroupAttributes: op(
      SHAPES.ModifyTargetGroupAttributes,
      (i: { TargetGroupArn: string; Attributes: In.AttributeInput[] }) => targetGroups.modifyAttributes(i),
    ),
    CreateListener: op(SHAPES.CreateListener, (i: In.CreateListenerInput) => listeners.create(i)),
    ModifyListener: op(SHAPES.ModifyListener, (i: In.ModifyListenerInput) => listeners.modify(i)),
    DeleteListener: op(SHAPES.DeleteListener, (i: { ListenerArn: string }) => listeners.delete(i)),
    DescribeListeners: op(
      SHAPES.DescribeListeners,
      (i: { LoadBalancerArn?: string } & Partial<Arns<'ListenerArns'>> & Paged) => listeners.describe(i),
    ),
    CreateRule: op(SHAPES.CreateRule, (i: In.CreateRuleInput) => rules.create(i)),
    ModifyRule: op(SHAPES.ModifyRule, (i: In.ModifyRuleInput) => rules.modify(i)),
    SetRulePriorities: op(
      SHAPES.SetRulePriorities,
      (i: { RulePriorities: { RuleArn?: string; Priority?: number }[] }) => rules.setPriorities(i),
    ),
    DeleteRule: op(SHAPES.DeleteRule, (i: { RuleArn: string }) => rules.delete(i)),
    DescribeRules: op(
      SHAPES.DescribeRules,
      (i: { ListenerArn?: string } & Partial<Arns<'RuleArns'>> & Paged) => rules.describe(i),
    ),
    RegisterTargets: op(SHAPES.RegisterTargets, (i: { TargetGroupArn: string; Targets: In.TargetInput[] }) =>
      targets.register(i),
    ),
    DeregisterTargets: op(
      SHAPES.DeregisterTargets,
      (i: { TargetGroupArn: string; Targets: In.TargetInput[] }) => targets.deregister(i),
    ),
    DescribeTargetHealth: op(
      SHAPES.DescribeTargetHealth,
      (i: { TargetGroupArn: string; Targets?: In.TargetInput[] }) => targets.describeHealth(i),
    ),
    AddTags: op(SHAPES.AddTags, (i: { ResourceArns: string[]; Tags: In.Tag[] }) => tags.add(i)),
    RemoveTags: op(SHAPES.RemoveTags, (i: { ResourceArns: string[]; TagKeys: string[] }) => tags.remove(i)),
    DescribeTags: op(SHAPES.DescribeTags, (i: { ResourceArns: string[] }) => tags.describe(i)),
  };
  return {
    protocol: 'query',
    signingName: 'elasticloadbalancing',
    xmlNamespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
    errors: ELBV2_ERRORS,
    operations,
  };
}
