import { normalizeActions } from '../../core/elbv2/actions.js';
import { checkArn, ruleArn } from '../../core/elbv2/arns.js';
import { normalizeConditions } from '../../core/elbv2/conditions.js';
import { elbFault, validationError } from '../../core/elbv2/faults.js';
import type { CreateRuleInput, ModifyRuleInput } from '../../core/elbv2/inputs.js';
import { MAX_RULES_PER_LISTENER, checkPriority } from '../../core/elbv2/listeners.js';
import { atMostOne, pageOf } from '../../core/elbv2/pages.js';
import type { ListenerRecord, LoadBalancerRecord, RuleRecord } from '../../core/elbv2/types.js';
import { ruleView } from '../../core/elbv2/views.js';
import type { ControlDeps } from '../context.js';
import { LOST, retryOnConflict } from '../optimistic.js';
import { busy, checkedTags, dropTags, newId, writeTags } from './common.js';
import { checkForwarding } from './forwarding.js';

const ruleNotFound = (arn: string): Error => elbFault('RuleNotFound', `Rule '${arn}' not found`);
const priorityInUse = (priority: number): Error =>
  elbFault('PriorityInUse', `Priority '${priority}' is currently in use`);

/**
 * CreateRule, ModifyRule, SetRulePriorities, DeleteRule, DescribeRules. Rules belong to HTTP and
 * HTTPS listeners (application load balancers); the default rule carries the listener's default
 * actions: its actions may change (ModifyRule, ModifyListener), never its conditions or priority.
 */
export class RuleOperations {
  constructor(private readonly deps: ControlDeps) {}

  async create(input: CreateRuleInput): Promise<object> {
    checkArn(input.ListenerArn, 'listener');
    const { store, scope } = this.deps;
    const { listener, lb } = await this.listener(input.ListenerArn);
    if (lb.type !== 'application') {
      throw validationError(`Rules are not supported for listeners with protocol '${listener.protocol}'`);
    }
    checkPriority(input.Priority);
    const conditions = normalizeConditions(input.Conditions);
    const actions = normalizeActions(input.Actions, lb.type);
    const tags = checkedTags(input.Tags);
    const record: RuleRecord = {
      arn: ruleArn(scope, listener.arn, newId()),
      listenerArn: listener.arn,
      priority: input.Priority,
      conditions,
      actions,
      version: 1,
    };
    return store.transaction(async (repos) => {
      const repo = repos.loadBalancing;
      if (!(await repo.holdListener(listener.arn)))
        throw elbFault('ListenerNotFound', `Listener '${listener.arn}' not found`);
      const rules = await repo.rules(listener.arn);
      if (rules.some((r) => r.priority === input.Priority)) throw priorityInUse(input.Priority);
      if (rules.filter((r) => r.priority !== undefined).length >= MAX_RULES_PER_LISTENER) {
        throw elbFault('TooManyRules', `A listener can have at most ${MAX_RULES_PER_LISTENER} rules`);
      }
      const targetGroups = await checkForwarding(repos, lb.arn, listener.protocol, actions);
      if (!(await repo.insertRule(record, lb.arn, targetGroups))) throw priorityInUse(input.Priority);
      await writeTags(repos, record.arn, tags);
      return { Rules: [ruleView(record)] };
    });
  }

  async modify(input: ModifyRuleInput): Promise<object> {
    checkArn(input.RuleArn, 'listener-rule');
    const { store } = this.deps;
    const updated = await retryOnConflict(async () => {
      const current = await store.loadBalancing.rule(input.RuleArn);
      if (!current) throw ruleNotFound(input.RuleArn);
      const { listener, lb } = await this.listener(current.listenerArn);
      if (current.priority === undefined && input.Conditions !== undefined) {
        throw elbFault('OperationNotPermitted', 'The conditions of a default rule cannot be modified');
      }
      const conditions =
        input.Conditions !== undefined ? normalizeConditions(input.Conditions) : current.conditions;
      const actions =
        input.Actions !== undefined ? normalizeActions(input.Actions, lb.type) : current.actions;
      const next: RuleRecord = { ...current, conditions, actions, version: current.version + 1 };
      return store.transaction(async (repos) => {
        const targetGroups = await checkForwarding(repos, lb.arn, listener.protocol, actions);
        return (await repos.loadBalancing.updateRule(next, lb.arn, targetGroups)) ? next : LOST;
      });
    }, busy);
    return { Rules: [ruleView(updated)] };
  }

  /** All the new priorities apply together, or none does. */
  async setPriorities(input: {
    readonly RulePriorities: readonly { readonly RuleArn?: string; readonly Priority?: number }[];
  }): Promise<object> {
    if (input.RulePriorities.length === 0)
      throw validationError('At least one rule priority must be specified');
    const pairs = input.RulePriorities.map((p) => {
      if (p.RuleArn === undefined || p.Priority === undefined) {
        throw validationError('Each rule priority pair needs a RuleArn and a Priority');
      }
      checkArn(p.RuleArn, 'listener-rule');
      checkPriority(p.Priority);
      return { arn: p.RuleArn, priority: p.Priority };
    });
    if (new Set(pairs.map((p) => p.arn)).size !== pairs.length) {
      throw validationError('A rule can be given only one priority');
    }
    const { store } = this.deps;
    const updated = await retryOnConflict(async () => {
      const moved: RuleRecord[] = [];
      for (const pair of pairs) {
        const rule = await store.loadBalancing.rule(pair.arn);
        if (!rule) throw ruleNotFound(pair.arn);
        if (rule.priority === undefined)
          throw elbFault('OperationNotPermitted', 'The priority of a default rule cannot be modified');
        moved.push({ ...rule, priority: pair.priority, version: rule.version + 1 });
      }
      // Per listener, the priorities after the change (moved rules at their new place) must be unique.
      for (const listenerArn of new Set(moved.map((r) => r.listenerArn))) {
        const after = new Map<number, string>();
        for (const r of await store.loadBalancing.rules(listenerArn)) {
          const final = moved.find((m) => m.arn === r.arn) ?? r;
          if (final.priority === undefined) continue;
          if (after.has(final.priority)) throw priorityInUse(final.priority);
          after.set(final.priority, r.arn);
        }
      }
      return store.transaction(async (repos) => {
        if (!(await repos.loadBalancing.setPriorities(moved))) throw busy();
        return moved;
      });
    }, busy);
    return { Rules: updated.map(ruleView) };
  }

  async delete(input: { readonly RuleArn: string }): Promise<object> {
    checkArn(input.RuleArn, 'listener-rule');
    await this.deps.store.transaction(async (repos) => {
      const rule = await repos.loadBalancing.rule(input.RuleArn);
      if (!rule) throw ruleNotFound(input.RuleArn);
      if (rule.priority === undefined)
        throw elbFault('OperationNotPermitted', 'A default rule cannot be deleted');
      await repos.loadBalancing.deleteRule(rule.arn);
      await dropTags(repos, [rule.arn]);
    });
    return {};
  }

  async describe(input: {
    readonly ListenerArn?: string;
    readonly RuleArns?: readonly string[];
    readonly Marker?: string;
    readonly PageSize?: number;
  }): Promise<object> {
    atMostOne({ ListenerArn: input.ListenerArn, RuleArns: input.RuleArns });
    const repo = this.deps.store.loadBalancing;
    let rules: RuleRecord[];
    if (input.ListenerArn !== undefined) {
      checkArn(input.ListenerArn, 'listener');
      await this.listener(input.ListenerArn);
      rules = await repo.rules(input.ListenerArn);
    } else if (input.RuleArns?.length) {
      for (const arn of input.RuleArns) checkArn(arn, 'listener-rule');
      rules = [];
      for (const arn of input.RuleArns) {
        const rule = await repo.rule(arn);
        if (!rule) throw ruleNotFound(arn);
        rules.push(rule);
      }
    } else {
      throw validationError('A listener ARN or rule ARNs must be specified');
    }
    const key = (r: RuleRecord): string => `${String(r.priority ?? 99999).padStart(5, '0')}\u0000${r.arn}`;
    const page = pageOf(rules, key, input.Marker, input.PageSize);
    return {
      Rules: page.items.map(ruleView),
      ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}),
    };
  }

  private async listener(arn: string): Promise<{ listener: ListenerRecord; lb: LoadBalancerRecord }> {
    const repo = this.deps.store.loadBalancing;
    const listener = await repo.listener(arn);
    const lb = listener && (await repo.loadBalancer(listener.loadBalancerArn));
    if (!listener || !lb) throw elbFault('ListenerNotFound', `Listener '${arn}' not found`);
    return { listener, lb };
  }
}
