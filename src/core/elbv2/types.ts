/**
 * The load-balancing model as Berth stores it. Actions and rule conditions keep ELB's wire shape
 * (PascalCase members), because ELB answers them as they were given, only normalized; the rest is
 * Berth's own records. Every record carries the optimistic-concurrency `version` it was read at.
 */

export type LoadBalancerType = 'application' | 'network';
export type Scheme = 'internet-facing' | 'internal';
/** The protocols Berth serves (ELB's ProtocolEnum has more: GENEVE, TCP_UDP, QUIC …). */
export type Protocol = 'HTTP' | 'HTTPS' | 'TCP' | 'TLS' | 'UDP';
export type TargetType = 'instance' | 'ip';

export interface LoadBalancerRecord {
  readonly arn: string;
  readonly name: string;
  readonly type: LoadBalancerType;
  readonly scheme: Scheme;
  readonly ipAddressType: string;
  readonly dnsName: string;
  readonly securityGroups: readonly string[];
  readonly createdAt: number;
  readonly version: number;
}

export interface HealthCheck {
  readonly protocol: Protocol;
  /** `traffic-port` or a port number as a string, as ELB answers it. */
  readonly port: string;
  readonly enabled: boolean;
  /** HTTP(S) health checks only. */
  readonly path?: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  /** HTTP(S) health checks only: `200`, `200,202`, `200-299`. */
  readonly httpCode?: string;
}

/** Target-group attributes, by ELB's keys, always complete (defaults filled in). */
export type TargetGroupAttributes = Readonly<Record<string, string>>;

export interface TargetGroupRecord {
  readonly arn: string;
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly targetType: TargetType;
  readonly protocolVersion?: string;
  readonly ipAddressType: string;
  readonly healthCheck: HealthCheck;
  readonly attributes: TargetGroupAttributes;
  readonly createdAt: number;
  readonly version: number;
}

export interface Certificate {
  readonly CertificateArn: string;
}

export interface ListenerRecord {
  readonly arn: string;
  readonly loadBalancerArn: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly sslPolicy?: string;
  readonly certificates: readonly Certificate[];
  readonly version: number;
}

// --- actions (ELB's shapes) ---

export interface TargetGroupTuple {
  readonly TargetGroupArn: string;
  readonly Weight: number;
}

export interface ForwardConfig {
  readonly TargetGroups: readonly TargetGroupTuple[];
  readonly TargetGroupStickinessConfig: { readonly Enabled: boolean; readonly DurationSeconds?: number };
}

export interface RedirectConfig {
  readonly Protocol: string;
  readonly Port: string;
  readonly Host: string;
  readonly Path: string;
  readonly Query: string;
  readonly StatusCode: 'HTTP_301' | 'HTTP_302';
}

export interface FixedResponseConfig {
  readonly StatusCode: string;
  readonly ContentType?: string;
  readonly MessageBody?: string;
}

export type Action =
  | {
      readonly Type: 'forward';
      readonly Order: number;
      /** Present when the action forwards to exactly one target group, as ELB answers it. */
      readonly TargetGroupArn?: string;
      readonly ForwardConfig: ForwardConfig;
    }
  | { readonly Type: 'redirect'; readonly Order: number; readonly RedirectConfig: RedirectConfig }
  | {
      readonly Type: 'fixed-response';
      readonly Order: number;
      readonly FixedResponseConfig: FixedResponseConfig;
    };

// --- rule conditions (ELB's shapes) ---

export type ConditionField =
  'host-header' | 'path-pattern' | 'http-header' | 'http-request-method' | 'query-string' | 'source-ip';

export interface QueryStringPair {
  readonly Key?: string;
  readonly Value: string;
}

/** A normalized condition: the `*Config` form always filled, `Values` kept for the two legacy fields. */
export interface RuleCondition {
  readonly Field: ConditionField;
  readonly Values?: readonly string[];
  readonly HostHeaderConfig?: { readonly Values: readonly string[] };
  readonly PathPatternConfig?: { readonly Values: readonly string[] };
  readonly HttpHeaderConfig?: { readonly HttpHeaderName: string; readonly Values: readonly string[] };
  readonly HttpRequestMethodConfig?: { readonly Values: readonly string[] };
  readonly QueryStringConfig?: { readonly Values: readonly QueryStringPair[] };
  readonly SourceIpConfig?: { readonly Values: readonly string[] };
}

export interface RuleRecord {
  readonly arn: string;
  readonly listenerArn: string;
  /** 1–50000; undefined for the listener's default rule. */
  readonly priority?: number;
  readonly conditions: readonly RuleCondition[];
  readonly actions: readonly Action[];
  readonly version: number;
}

// --- targets ---

export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

/** What the data plane reports of a target after a health check (written back, read by Describe). */
export interface HealthReport {
  readonly state: 'healthy' | 'unhealthy' | 'unavailable';
  readonly reason?: string;
  readonly description?: string;
}

export interface TargetRecord {
  readonly targetGroupArn: string;
  readonly id: string;
  readonly port: number;
  readonly availabilityZone?: string;
  readonly registeredAt: number;
  /** Set by DeregisterTargets: the target drains until `drainUntil`, then it is gone. */
  readonly deregisteredAt?: number;
  readonly drainUntil?: number;
  /** The last health-check outcome; undefined until the data plane has checked the target. */
  readonly health?: HealthReport;
}

/** Everything ELB tags: load balancers, target groups, listeners, rules. */
export type ResourceKind = 'loadbalancer' | 'targetgroup' | 'listener' | 'listener-rule';
