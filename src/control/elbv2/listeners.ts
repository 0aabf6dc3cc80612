import { parseArn } from '../../core/arn.js';
import { normalizeActions } from '../../core/elbv2/actions.js';
import { checkArn, listenerArn, ruleArn } from '../../core/elbv2/arns.js';
import { elbFault } from '../../core/elbv2/faults.js';
import type { CreateListenerInput, ModifyListenerInput } from '../../core/elbv2/inputs.js';
import { MAX_LISTENERS_PER_LOAD_BALANCER, listenerSettings } from '../../core/elbv2/listeners.js';
import { atMostOne, pageOf } from '../../core/elbv2/pages.js';
import type { Action, Certificate, ListenerRecord, LoadBalancerRecord } from '../../core/elbv2/types.js';
import { listenerView } from '../../core/elbv2/views.js';
import type { Repositories } from '../../store/index.js';
import type { ControlDeps } from '../context.js';
import { LOST, retryOnConflict } from '../optimistic.js';
import { busy, checkedTags, dropTags, newId, writeTags } from './common.js';
import { checkForwarding } from './forwarding.js';

const listenerNotFound = (arn: string): Error => elbFault('ListenerNotFound', `Listener '${arn}' not found`);

/**
 * CreateListener, ModifyListener, DeleteListener, DescribeListeners. A listener's default actions
 * are stored as its default rule (DescribeRules lists it with IsDefault). One listener is one port
 * on the host, so a port is unique across all load balancers, not only within one as on ELB.
 */
export class ListenerOperations {
  constructor(private readonly deps: ControlDeps) {}

  async create(input: CreateListenerInput): Promise<object> {
    checkArn(input.LoadBalancerArn, 'loadbalancer');
    const { store, scope } = this.deps;
    const lb = await this.loadBalancer(input.LoadBalancerArn);
    const settings = listenerSettings(lb.type, input);
    const actions = normalizeActions(input.DefaultActions, lb.type);
    const tags = checkedTags(input.Tags);
    const record: ListenerRecord = {
      arn: listenerArn(scope, lb.arn, newId()),
      loadBalancerArn: lb.arn,
      ...settings,
      version: 1,
    };
    return store.transaction(async (repos) => {
      const repo = repos.loadBalancing;
      if (!(await repo.holdLoadBalancer(lb.arn))) {
        throw elbFault('LoadBalancerNotFound', `Load balancer '${lb.arn}' not found`);
      }
      await holdCertificates(repos, settings.certificates);
      const onPort = await repo.listenerOnPort(settings.port);
      if (onPort) {
        // ELB is idempotent here: the same listener again answers the existing one.
        const existing = await this.view(repos, onPort);
        if (
          onPort.loadBalancerArn === lb.arn &&
          sameListener(onPort, record, existing.DefaultActions, actions)
        ) {
          return { Listeners: [existing] };
        }
        throw duplicate(settings.port, onPort.loadBalancerArn !== lb.arn);
      }
      if ((await repo.listeners(lb.arn)).length >= MAX_LISTENERS_PER_LOAD_BALANCER) {
        throw elbFault(
          'TooManyListeners',
          `A load balancer can have at most ${MAX_LISTENERS_PER_LOAD_BALANCER} listeners`,
        );
      }
      const targetGroups = await checkForwarding(repos, lb.arn, settings.protocol, actions);
      if (!(await repo.insertListener(record))) throw duplicate(settings.port, true);
      const defaultRule = {
        arn: ruleArn(scope, record.arn, newId()),
        listenerArn: record.arn,
        conditions: [],
        actions,
        version: 1,
      };
      await repo.insertRule(defaultRule, lb.arn, targetGroups);
      await writeTags(repos, record.arn, tags);
      return { Listeners: [listenerView(record, actions)] };
    });
  }

  async modify(input: ModifyListenerInput): Promise<object> {
    checkArn(input.ListenerArn, 'listener');
    const { store } = this.deps;
    const view = await retryOnConflict(async () => {
      const current = await store.loadBalancing.listener(input.ListenerArn);
      if (!current) throw listenerNotFound(input.ListenerArn);
      const lb = await this.loadBalancer(current.loadBalancerArn);
      const settings = listenerSettings(lb.type, input, current);
      const given =
        input.DefaultActions !== undefined ? normalizeActions(input.DefaultActions, lb.type) : undefined;
      const next: ListenerRecord = {
        arn: current.arn,
        loadBalancerArn: current.loadBalancerArn,
        ...settings,
        version: current.version + 1,
      };
      return store.transaction(async (repos) => {
        const repo = repos.loadBalancing;
        await holdCertificates(repos, settings.certificates);
        if (settings.port !== current.port) {
          const onPort = await repo.listenerOnPort(settings.port);
          if (onPort) throw duplicate(settings.port, onPort.loadBalancerArn !== lb.arn);
        }
        const defaultRule = (await repo.rules(current.arn)).find((r) => r.priority === undefined);
        if (!defaultRule) throw listenerNotFound(current.arn);
        const actions = given ?? defaultRule.actions;
        // A new protocol must still fit the target groups the default actions forward to.
        const targetGroups = await checkForwarding(repos, lb.arn, settings.protocol, actions);
        if (!(await repo.updateListener(next))) return LOST;
        const rule = { ...defaultRule, actions, version: defaultRule.version + 1 };
        if (!(await repo.updateRule(rule, lb.arn, targetGroups))) throw busy();
        return listenerView(next, actions);
      });
    }, busy);
    return { Listeners: [view] };
  }

  async delete(input: { readonly ListenerArn: string }): Promise<object> {
    checkArn(input.ListenerArn, 'listener');
    await this.deps.store.transaction(async (repos) => {
      const gone = await repos.loadBalancing.deleteListener(input.ListenerArn);
      if (gone.length === 0) throw listenerNotFound(input.ListenerArn);
      await dropTags(repos, gone);
    });
    return {};
  }

  async describe(input: {
    readonly LoadBalancerArn?: string;
    readonly ListenerArns?: readonly string[];
    readonly Marker?: string;
    readonly PageSize?: number;
  }): Promise<object> {
    atMostOne({ LoadBalancerArn: input.LoadBalancerArn, ListenerArns: input.ListenerArns });
    const { store } = this.deps;
    let listeners: ListenerRecord[];
    if (input.LoadBalancerArn !== undefined) {
      checkArn(input.LoadBalancerArn, 'loadbalancer');
      await this.loadBalancer(input.LoadBalancerArn);
      listeners = await store.loadBalancing.listeners(input.LoadBalancerArn);
    } else if (input.ListenerArns?.length) {
      for (const arn of input.ListenerArns) checkArn(arn, 'listener');
      listeners = [];
      for (const arn of input.ListenerArns) {
        const found = await store.loadBalancing.listener(arn);
        if (!found) throw listenerNotFound(arn);
        listeners.push(found);
      }
    } else {
      throw elbFault('ValidationError', 'A load balancer ARN or listener ARNs must be specified');
    }
    const page = pageOf(listeners, (l) => `${String(l.port).padStart(5, '0')}`, input.Marker, input.PageSize);
    const views = [];
    for (const l of page.items) views.push(await this.view(store, l));
    return { Listeners: views, ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}) };
  }

  private async loadBalancer(arn: string): Promise<LoadBalancerRecord> {
    const lb = await this.deps.store.loadBalancing.loadBalancer(arn);
    if (!lb) throw elbFault('LoadBalancerNotFound', `Load balancer '${arn}' not found`);
    return lb;
  }

  private async view(
    repos: Repositories,
    listener: ListenerRecord,
  ): Promise<{ DefaultActions: readonly Action[] }> {
    const rules = await repos.loadBalancing.rules(listener.arn);
    const actions = rules.find((r) => r.priority === undefined)?.actions ?? [];
    return { ...listenerView(listener, actions), DefaultActions: actions };
  }
}

/**
 * An ACM certificate must be in the certificate store; holding its row until commit means a
 * concurrent DeleteCertificate either sees this listener or deleted first (then this answers
 * CertificateNotFound). IAM server-certificate ARNs are kept as given: Berth stores none.
 */
async function holdCertificates(repos: Repositories, certificates: readonly Certificate[]): Promise<void> {
  for (const { CertificateArn: arn } of certificates) {
    if (parseArn(arn)?.service === 'acm' && !(await repos.certificates.hold(arn))) {
      throw elbFault('CertificateNotFound', `Certificate '${arn}' not found`);
    }
  }
}

function duplicate(port: number, elsewhere: boolean): Error {
  return elbFault(
    'DuplicateListener',
    elsewhere
      ? `A listener already exists on port ${port} of another load balancer (Berth serves each listener on its own host port)`
      : `A listener already exists on this load balancer with port ${port}`,
  );
}

function sameListener(
  existing: ListenerRecord,
  wanted: ListenerRecord,
  existingActions: readonly Action[],
  wantedActions: readonly Action[],
): boolean {
  return (
    existing.protocol === wanted.protocol &&
    existing.sslPolicy === wanted.sslPolicy &&
    JSON.stringify(existing.certificates) === JSON.stringify(wanted.certificates) &&
    JSON.stringify(existingActions) === JSON.stringify(wantedActions)
  );
}
