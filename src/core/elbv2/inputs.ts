/**
 * The ELBv2 operation inputs Berth reads, in the API's member names. api/elbv2 decodes the awsQuery
 * form parameters into these shapes (members Berth ignores, such as Subnets, are not decoded).
 */

export interface Tag {
  readonly Key: string;
  readonly Value?: string;
}

export interface CreateLoadBalancerInput {
  readonly Name: string;
  readonly Type?: string;
  readonly Scheme?: string;
  readonly IpAddressType?: string;
  readonly Subnets?: readonly string[];
  readonly SecurityGroups?: readonly string[];
  readonly Tags?: readonly Tag[];
}

export interface MatcherInput {
  readonly HttpCode?: string;
  readonly GrpcCode?: string;
}

/** The health-check members CreateTargetGroup and ModifyTargetGroup share. */
export interface HealthCheckInput {
  readonly HealthCheckProtocol?: string;
  readonly HealthCheckPort?: string;
  readonly HealthCheckEnabled?: boolean;
  readonly HealthCheckPath?: string;
  readonly HealthCheckIntervalSeconds?: number;
  readonly HealthCheckTimeoutSeconds?: number;
  readonly HealthyThresholdCount?: number;
  readonly UnhealthyThresholdCount?: number;
  readonly Matcher?: MatcherInput;
}

export interface CreateTargetGroupInput extends HealthCheckInput {
  readonly Name: string;
  readonly Protocol?: string;
  readonly ProtocolVersion?: string;
  readonly Port?: number;
  readonly VpcId?: string;
  readonly TargetType?: string;
  readonly IpAddressType?: string;
  readonly Tags?: readonly Tag[];
}

export interface ModifyTargetGroupInput extends HealthCheckInput {
  readonly TargetGroupArn: string;
}

export interface AttributeInput {
  readonly Key?: string;
  readonly Value?: string;
}

export interface TargetGroupTupleInput {
  readonly TargetGroupArn?: string;
  readonly Weight?: number;
}

export interface ActionInput {
  readonly Type: string;
  readonly TargetGroupArn?: string;
  readonly Order?: number;
  readonly ForwardConfig?: {
    readonly TargetGroups?: readonly TargetGroupTupleInput[];
    readonly TargetGroupStickinessConfig?: { readonly Enabled?: boolean; readonly DurationSeconds?: number };
  };
  readonly RedirectConfig?: {
    readonly Protocol?: string;
    readonly Port?: string;
    readonly Host?: string;
    readonly Path?: string;
    readonly Query?: string;
    readonly StatusCode: string;
  };
  readonly FixedResponseConfig?: {
    readonly MessageBody?: string;
    readonly StatusCode: string;
    readonly ContentType?: string;
  };
  /** Present only so that a request using it is refused by name rather than silently. */
  readonly AuthenticateOidcConfig?: object;
  readonly AuthenticateCognitoConfig?: object;
}

export interface CertificateInput {
  readonly CertificateArn?: string;
  readonly IsDefault?: boolean;
}

export interface CreateListenerInput {
  readonly LoadBalancerArn: string;
  readonly Protocol?: string;
  readonly Port?: number;
  readonly SslPolicy?: string;
  readonly Certificates?: readonly CertificateInput[];
  readonly DefaultActions: readonly ActionInput[];
  readonly Tags?: readonly Tag[];
}

export interface ModifyListenerInput {
  readonly ListenerArn: string;
  readonly Protocol?: string;
  readonly Port?: number;
  readonly SslPolicy?: string;
  readonly Certificates?: readonly CertificateInput[];
  readonly DefaultActions?: readonly ActionInput[];
}

export interface ConditionInput {
  readonly Field?: string;
  readonly Values?: readonly string[];
  readonly HostHeaderConfig?: { readonly Values?: readonly string[] };
  readonly PathPatternConfig?: { readonly Values?: readonly string[] };
  readonly HttpHeaderConfig?: { readonly HttpHeaderName?: string; readonly Values?: readonly string[] };
  readonly HttpRequestMethodConfig?: { readonly Values?: readonly string[] };
  readonly QueryStringConfig?: { readonly Values?: readonly { Key?: string; Value?: string }[] };
  readonly SourceIpConfig?: { readonly Values?: readonly string[] };
}

export interface CreateRuleInput {
  readonly ListenerArn: string;
  readonly Conditions: readonly ConditionInput[];
  readonly Priority: number;
  readonly Actions: readonly ActionInput[];
  readonly Tags?: readonly Tag[];
}

export interface ModifyRuleInput {
  readonly RuleArn: string;
  readonly Conditions?: readonly ConditionInput[];
  readonly Actions?: readonly ActionInput[];
}

export interface TargetInput {
  readonly Id: string;
  readonly Port?: number;
  readonly AvailabilityZone?: string;
}
