import { arn, parseArn, type Scope } from '../arn.js';
import { validationError } from './faults.js';
import type { LoadBalancerType, ResourceKind } from './types.js';

/**
 * ELBv2's ARNs, resource part by resource:
 *   loadbalancer/app/<name>/<id>                 (net/ for network load balancers)
 *   targetgroup/<name>/<id>
 *   listener/app/<lb-name>/<lb-id>/<id>
 *   listener-rule/app/<lb-name>/<lb-id>/<listener-id>/<id>
 * Ids are 16 lowercase hex digits, made by the caller (core/ takes no randomness).
 */
export const ELB_SERVICE = 'elasticloadbalancing';

const TYPE_SEGMENT: Record<LoadBalancerType, string> = { application: 'app', network: 'net' };

export function loadBalancerArn(scope: Scope, type: LoadBalancerType, name: string, id: string): string {
  return arn(scope, ELB_SERVICE, `loadbalancer/${TYPE_SEGMENT[type]}/${name}/${id}`);
}

export function targetGroupArn(scope: Scope, name: string, id: string): string {
  return arn(scope, ELB_SERVICE, `targetgroup/${name}/${id}`);
}

/** `app/<name>/<id>` of a load balancer ARN: what its listeners' and rules' ARNs repeat. */
function loadBalancerPath(lbArn: string): string {
  return (parseArn(lbArn)?.resource ?? '').replace(/^loadbalancer\//, '');
}

export function listenerArn(scope: Scope, lbArn: string, id: string): string {
  return arn(scope, ELB_SERVICE, `listener/${loadBalancerPath(lbArn)}/${id}`);
}

export function ruleArn(scope: Scope, listener: string, id: string): string {
  const path = (parseArn(listener)?.resource ?? '').replace(/^listener\//, '');
  return arn(scope, ELB_SERVICE, `listener-rule/${path}/${id}`);
}

/** Which kind of ELB resource an ARN names (for tags and for "not found" errors), if any. */
export function resourceKindOf(value: string): ResourceKind | undefined {
  const parsed = parseArn(value);
  if (parsed?.service !== ELB_SERVICE) return undefined;
  const kind = parsed.resource.split('/')[0];
  return RESOURCE_KINDS.find((k) => k === kind);
}

const RESOURCE_KINDS: readonly ResourceKind[] = ['loadbalancer', 'targetgroup', 'listener', 'listener-rule'];

/** The DNS name Berth gives a load balancer (ELB's shape, under `elb.localhost`). */
export function dnsNameOf(name: string, id: string, region: string, internal: boolean): string {
  return `${internal ? 'internal-' : ''}${name}-${id.slice(0, 10)}.${region}.elb.localhost`;
}

/**
 * Berth serves its own DNS zone, not Route 53's: one fixed hosted-zone id per load-balancer type, so
 * alias records made by tools that copy it stay stable. (ELB's are per region and type.)
 */
export const CANONICAL_HOSTED_ZONE_ID: Record<LoadBalancerType, string> = {
  application: 'ZBERTHELBAPP01',
  network: 'ZBERTHELBNET01',
};

const KIND_WORDS: Record<ResourceKind, string> = {
  loadbalancer: 'load balancer',
  targetgroup: 'target group',
  listener: 'listener',
  'listener-rule': 'rule',
};

/** An ARN of the wrong shape is the client's ValidationError before anything is looked up. */
export function checkArn(value: string, kind: ResourceKind): void {
  if (resourceKindOf(value) !== kind) {
    throw validationError(`'${value}' is not a valid ${KIND_WORDS[kind]} ARN`);
  }
}
