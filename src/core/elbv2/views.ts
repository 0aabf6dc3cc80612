import { CANONICAL_HOSTED_ZONE_ID } from './arns.js';
import type { Action, ListenerRecord, LoadBalancerRecord, RuleRecord, TargetGroupRecord } from './types.js';

/** The records as ELBv2's API shapes them (the awsQuery encoder writes these members as given). */

export function loadBalancerView(lb: LoadBalancerRecord): object {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: CANONICAL_HOSTED_ZONE_ID[lb.type],
    CreatedTime: new Date(lb.createdAt),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    State: { Code: 'active' },
    Type: lb.type,
    AvailabilityZones: [],
    ...(lb.type === 'application' ? { SecurityGroups: lb.securityGroups } : {}),
    IpAddressType: lb.ipAddressType,
  };
}

export function targetGroupView(tg: TargetGroupRecord, loadBalancerArns: readonly string[]): object {
  const hc = tg.healthCheck;
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    HealthCheckProtocol: hc.protocol,
    HealthCheckPort: hc.port,
    HealthCheckEnabled: hc.enabled,
    HealthCheckIntervalSeconds: hc.intervalSeconds,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds,
    HealthyThresholdCount: hc.healthyThreshold,
    UnhealthyThresholdCount: hc.unhealthyThreshold,
    HealthCheckPath: hc.path,
    Matcher: hc.httpCode !== undefined ? { HttpCode: hc.httpCode } : undefined,
    LoadBalancerArns: loadBalancerArns,
    TargetType: tg.targetType,
    ProtocolVersion: tg.protocolVersion,
    IpAddressType: tg.ipAddressType,
  };
}

export function listenerView(listener: ListenerRecord, defaultActions: readonly Action[]): object {
  return {
    ListenerArn: listener.arn,
    LoadBalancerArn: listener.loadBalancerArn,
    Port: listener.port,
    Protocol: listener.protocol,
    ...(listener.certificates.length > 0 ? { Certificates: listener.certificates } : {}),
    SslPolicy: listener.sslPolicy,
    DefaultActions: defaultActions,
  };
}

export function ruleView(rule: RuleRecord): object {
  return {
    RuleArn: rule.arn,
    Priority: rule.priority === undefined ? 'default' : String(rule.priority),
    Conditions: rule.conditions,
    Actions: rule.actions,
    IsDefault: rule.priority === undefined,
  };
}
