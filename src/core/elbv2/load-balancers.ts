import type { Scope } from '../arn.js';
import { dnsNameOf, loadBalancerArn } from './arns.js';
import { validationError } from './faults.js';
import type { CreateLoadBalancerInput } from './inputs.js';
import { checkLoadBalancerName } from './names.js';
import type { LoadBalancerRecord, LoadBalancerType, Scheme } from './types.js';

/**
 * CreateLoadBalancer. Berth has no VPC: subnets are accepted and ignored, security groups are
 * stored and echoed (nothing enforces them), so tools that pass them keep working. A load balancer
 * is `active` as soon as it exists.
 */
export function newLoadBalancer(
  input: CreateLoadBalancerInput,
  ids: { readonly scope: Scope; readonly id: string; readonly now: number },
): LoadBalancerRecord {
  checkLoadBalancerName(input.Name);
  const type = parseType(input.Type);
  const scheme = parseScheme(input.Scheme);
  const ipAddressType = input.IpAddressType ?? 'ipv4';
  if (!['ipv4', 'dualstack'].includes(ipAddressType)) {
    throw validationError(`IP address type '${ipAddressType}' must be one of: ipv4, dualstack`);
  }
  return {
    arn: loadBalancerArn(ids.scope, type, input.Name, ids.id),
    name: input.Name,
    type,
    scheme,
    ipAddressType,
    dnsName: dnsNameOf(input.Name, ids.id, ids.scope.region, scheme === 'internal'),
    securityGroups: [...(input.SecurityGroups ?? [])],
    createdAt: ids.now,
    version: 1,
  };
}

/** Whether a repeated CreateLoadBalancer asks for what exists (ELB answers it) or for something else. */
export function sameLoadBalancer(existing: LoadBalancerRecord, input: CreateLoadBalancerInput): boolean {
  return (
    existing.type === parseType(input.Type) &&
    existing.scheme === parseScheme(input.Scheme) &&
    existing.ipAddressType === (input.IpAddressType ?? 'ipv4')
  );
}

function parseType(value: string | undefined): LoadBalancerType {
  if (value === undefined) return 'application';
  if (value === 'application' || value === 'network') return value;
  throw validationError(`Load balancer type '${value}' must be one of: application, network`);
}

function parseScheme(value: string | undefined): Scheme {
  if (value === undefined) return 'internet-facing';
  if (value === 'internet-facing' || value === 'internal') return value;
  throw validationError(`Scheme '${value}' must be one of: internet-facing, internal`);
}
