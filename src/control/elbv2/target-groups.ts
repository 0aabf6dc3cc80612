import { checkArn, targetGroupArn } from '../../core/elbv2/arns.js';
import { modifyAttributes } from '../../core/elbv2/attributes.js';
import { elbFault } from '../../core/elbv2/faults.js';
import type {
  AttributeInput,
  CreateTargetGroupInput,
  ModifyTargetGroupInput,
} from '../../core/elbv2/inputs.js';
import { atMostOne, pageOf } from '../../core/elbv2/pages.js';
import { modifyTargetGroup, newTargetGroup } from '../../core/elbv2/target-groups.js';
import type { TargetGroupRecord } from '../../core/elbv2/types.js';
import { targetGroupView } from '../../core/elbv2/views.js';
import type { ControlDeps } from '../context.js';
import { LOST, retryOnConflict } from '../optimistic.js';
import { busy, checkedTags, dropTags, newId, writeTags } from './common.js';

const notFound = (what = 'One or more target groups not found'): Error =>
  elbFault('TargetGroupNotFound', what);

/**
 * CreateTargetGroup, ModifyTargetGroup, DescribeTargetGroups, DeleteTargetGroup and the attribute
 * operations. A target group's load balancers are derived from the rules that forward to it.
 */
export class TargetGroupOperations {
  constructor(private readonly deps: ControlDeps) {}

  /** Idempotent by name: the same settings answer the existing group, others are refused. */
  async create(input: CreateTargetGroupInput): Promise<object> {
    const { store, scope, now } = this.deps;
    const record = newTargetGroup(input, { arn: targetGroupArn(scope, input.Name, newId()), now: now() });
    const tags = checkedTags(input.Tags);
    const inserted = await store.transaction(async (repos) => {
      if (!(await repos.loadBalancing.insertTargetGroup(record))) return false;
      await writeTags(repos, record.arn, tags);
      return true;
    });
    if (inserted) return { TargetGroups: [targetGroupView(record, [])] };
    const existing = await store.loadBalancing.targetGroupNamed(input.Name);
    if (existing && sameSettings(existing, record)) {
      return { TargetGroups: await this.views([existing]) };
    }
    throw elbFault(
      'DuplicateTargetGroupName',
      `A target group with the same name '${input.Name}' exists, but with different settings`,
    );
  }

  async modify(input: ModifyTargetGroupInput): Promise<object> {
    checkArn(input.TargetGroupArn, 'targetgroup');
    const updated = await retryOnConflict(async () => {
      const current = await this.find(input.TargetGroupArn);
      const next = modifyTargetGroup(current, input);
      return (await this.deps.store.loadBalancing.updateTargetGroup(next)) ? next : LOST;
    }, busy);
    return { TargetGroups: await this.views([updated]) };
  }

  async describe(input: {
    readonly LoadBalancerArn?: string;
    readonly TargetGroupArns?: readonly string[];
    readonly Names?: readonly string[];
    readonly Marker?: string;
    readonly PageSize?: number;
  }): Promise<object> {
    atMostOne({
      LoadBalancerArn: input.LoadBalancerArn,
      TargetGroupArns: input.TargetGroupArns,
      Names: input.Names,
    });
    const repo = this.deps.store.loadBalancing;
    let groups: TargetGroupRecord[];
    if (input.LoadBalancerArn !== undefined) {
      checkArn(input.LoadBalancerArn, 'loadbalancer');
      if (!(await repo.loadBalancer(input.LoadBalancerArn))) {
        throw elbFault('LoadBalancerNotFound', `Load balancer '${input.LoadBalancerArn}' not found`);
      }
      groups = await repo.targetGroups(await repo.targetGroupsUsedBy(input.LoadBalancerArn));
    } else if (input.TargetGroupArns?.length) {
      for (const arn of input.TargetGroupArns) checkArn(arn, 'targetgroup');
      groups = await repo.targetGroups(input.TargetGroupArns);
      const missing = input.TargetGroupArns.filter((a) => !groups.some((g) => g.arn === a));
      if (missing.length > 0) throw notFound(`Target groups '[${missing.join(', ')}]' not found`);
    } else {
      groups = await repo.targetGroups();
      const names = input.Names ?? [];
      if (names.length > 0) {
        groups = groups.filter((g) => names.includes(g.name));
        const missing = names.filter((n) => !groups.some((g) => g.name === n));
        if (missing.length > 0) throw notFound(`One or more target groups not found: ${missing.join(', ')}`);
      }
    }
    const page = pageOf(groups, (g) => `${g.name}\u0000${g.arn}`, input.Marker, input.PageSize);
    return {
      TargetGroups: await this.views(page.items),
      ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}),
    };
  }

  /**
   * Refused while a listener or rule forwards to the group. The row goes first and the use is
   * counted after, in one transaction: a concurrent CreateRule holding the row either waits for
   * this one (and finds the group gone) or committed first (and this one sees its use).
   */
  async delete(input: { readonly TargetGroupArn: string }): Promise<object> {
    checkArn(input.TargetGroupArn, 'targetgroup');
    await this.deps.store.transaction(async (repos) => {
      if (!(await repos.loadBalancing.deleteTargetGroup(input.TargetGroupArn))) return;
      if ((await repos.loadBalancing.usage([input.TargetGroupArn])).size > 0) {
        throw elbFault(
          'ResourceInUse',
          `Target group '${input.TargetGroupArn}' is currently in use by a listener or a rule`,
        );
      }
      await dropTags(repos, [input.TargetGroupArn]);
    });
    return {};
  }

  async describeAttributes(input: { readonly TargetGroupArn: string }): Promise<object> {
    checkArn(input.TargetGroupArn, 'targetgroup');
    const group = await this.find(input.TargetGroupArn);
    return { Attributes: attributeList(group) };
  }

  async modifyAttributes(input: {
    readonly TargetGroupArn: string;
    readonly Attributes: readonly AttributeInput[];
  }): Promise<object> {
    checkArn(input.TargetGroupArn, 'targetgroup');
    const updated = await retryOnConflict(async () => {
      const current = await this.find(input.TargetGroupArn);
      const next: TargetGroupRecord = {
        ...current,
        attributes: modifyAttributes(current.attributes, current.protocol, input.Attributes),
        version: current.version + 1,
      };
      return (await this.deps.store.loadBalancing.updateTargetGroup(next)) ? next : LOST;
    }, busy);
    return { Attributes: attributeList(updated) };
  }

  /** The stored group, or TargetGroupNotFound. */
  async find(arn: string): Promise<TargetGroupRecord> {
    const [group] = await this.deps.store.loadBalancing.targetGroups([arn]);
    if (!group) throw notFound(`Target groups '[${arn}]' not found`);
    return group;
  }

  private async views(groups: readonly TargetGroupRecord[]): Promise<object[]> {
    const usage = await this.deps.store.loadBalancing.usage(groups.map((g) => g.arn));
    return groups.map((g) => targetGroupView(g, usage.get(g.arn) ?? []));
  }
}

function attributeList(group: TargetGroupRecord): { Key: string; Value: string }[] {
  return Object.entries(group.attributes).map(([Key, Value]) => ({ Key, Value }));
}

/** What a repeated CreateTargetGroup must match to answer the existing group. */
function sameSettings(a: TargetGroupRecord, b: TargetGroupRecord): boolean {
  return (
    a.protocol === b.protocol &&
    a.port === b.port &&
    a.targetType === b.targetType &&
    JSON.stringify(a.healthCheck) === JSON.stringify(b.healthCheck)
  );
}
