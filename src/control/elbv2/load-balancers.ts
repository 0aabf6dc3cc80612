import { checkArn } from '../../core/elbv2/arns.js';
import { elbFault } from '../../core/elbv2/faults.js';
import type { CreateLoadBalancerInput } from '../../core/elbv2/inputs.js';
import { newLoadBalancer, sameLoadBalancer } from '../../core/elbv2/load-balancers.js';
import { atMostOne, pageOf } from '../../core/elbv2/pages.js';
import { loadBalancerView } from '../../core/elbv2/views.js';
import type { ControlDeps } from '../context.js';
import { checkedTags, dropTags, newId, writeTags } from './common.js';

/** CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer. */
export class LoadBalancerOperations {
  constructor(private readonly deps: ControlDeps) {}

  /** Idempotent by name: the same settings answer the existing load balancer, others are refused. */
  async create(input: CreateLoadBalancerInput): Promise<object> {
    const { store, scope, now } = this.deps;
    const record = newLoadBalancer(input, { scope, id: newId(), now: now() });
    const tags = checkedTags(input.Tags);
    const inserted = await store.transaction(async (repos) => {
      if (!(await repos.loadBalancing.insertLoadBalancer(record))) return false;
      await writeTags(repos, record.arn, tags);
      return true;
    });
    if (inserted) return { LoadBalancers: [loadBalancerView(record)] };
    const existing = await store.loadBalancing.loadBalancerNamed(input.Name);
    if (existing && sameLoadBalancer(existing, input)) return { LoadBalancers: [loadBalancerView(existing)] };
    throw elbFault(
      'DuplicateLoadBalancerName',
      `A load balancer with the same name '${input.Name}' exists, but with different settings`,
    );
  }

  async describe(input: {
    readonly LoadBalancerArns?: readonly string[];
    readonly Names?: readonly string[];
    readonly Marker?: string;
    readonly PageSize?: number;
  }): Promise<object> {
    atMostOne({ LoadBalancerArns: input.LoadBalancerArns, Names: input.Names });
    for (const arn of input.LoadBalancerArns ?? []) checkArn(arn, 'loadbalancer');
    let all = await this.deps.store.loadBalancing.loadBalancers();
    const wanted = input.LoadBalancerArns?.length ? input.LoadBalancerArns : input.Names;
    if (wanted?.length) {
      const byArn = wanted === input.LoadBalancerArns;
      const picked = all.filter((lb) => wanted.includes(byArn ? lb.arn : lb.name));
      const missing = wanted.filter((w) => !picked.some((lb) => (byArn ? lb.arn : lb.name) === w));
      if (missing.length > 0) {
        throw elbFault(
          'LoadBalancerNotFound',
          byArn
            ? `Load balancers '[${missing.join(', ')}]' not found`
            : `One or more load balancers not found: ${missing.join(', ')}`,
        );
      }
      all = picked;
    }
    const page = pageOf(all, (lb) => `${lb.name}\u0000${lb.arn}`, input.Marker, input.PageSize);
    return {
      LoadBalancers: page.items.map(loadBalancerView),
      ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}),
    };
  }

  /** Deletes the load balancer, its listeners and their rules; a load balancer that is gone is no error. */
  async delete(input: { readonly LoadBalancerArn: string }): Promise<object> {
    checkArn(input.LoadBalancerArn, 'loadbalancer');
    await this.deps.store.transaction(async (repos) => {
      const gone = await repos.loadBalancing.deleteLoadBalancer(input.LoadBalancerArn);
      await dropTags(repos, gone);
    });
    return {};
  }
}
