import { list, struct, type StructShape } from '../protocol/query-input.js';

/**
 * The ELBv2 (2015-12-01) input members Berth reads, by the API model's names, for the awsQuery
 * decoder. Members Berth ignores (SubnetMappings, MutualAuthentication, …) are left out and so
 * never reach an operation.
 */
const tag = struct({ Key: 'string', Value: 'string' }, ['Key']);
const tags = list(tag);
const strings = list('string');
const target = struct({ Id: 'string', Port: 'integer', AvailabilityZone: 'string' }, ['Id']);
const matcher = struct({ HttpCode: 'string', GrpcCode: 'string' });
const values = struct({ Values: strings });

const action = struct(
  {
    Type: 'string',
    TargetGroupArn: 'string',
    Order: 'integer',
    ForwardConfig: struct({
      TargetGroups: list(struct({ TargetGroupArn: 'string', Weight: 'integer' })),
      TargetGroupStickinessConfig: struct({ Enabled: 'boolean', DurationSeconds: 'integer' }),
    }),
    RedirectConfig: struct(
      {
        Protocol: 'string',
        Port: 'string',
        Host: 'string',
        Path: 'string',
        Query: 'string',
        StatusCode: 'string',
      },
      ['StatusCode'],
    ),
    FixedResponseConfig: struct({ MessageBody: 'string', StatusCode: 'string', ContentType: 'string' }, [
      'StatusCode',
    ]),
    // Decoded only so that such an action is refused by name (Berth has no authentication actions).
    AuthenticateOidcConfig: struct({ Issuer: 'string', ClientId: 'string' }),
    AuthenticateCognitoConfig: struct({ UserPoolArn: 'string', UserPoolClientId: 'string' }),
  },
  ['Type'],
);
const actions = list(action);

const condition = struct({
  Field: 'string',
  Values: strings,
  HostHeaderConfig: values,
  PathPatternConfig: values,
  HttpHeaderConfig: struct({ HttpHeaderName: 'string', Values: strings }),
  HttpRequestMethodConfig: values,
  QueryStringConfig: struct({ Values: list(struct({ Key: 'string', Value: 'string' })) }),
  SourceIpConfig: values,
});
const certificates = list(struct({ CertificateArn: 'string', IsDefault: 'boolean' }));

const healthCheck = {
  HealthCheckProtocol: 'string',
  HealthCheckPort: 'string',
  HealthCheckEnabled: 'boolean',
  HealthCheckPath: 'string',
  HealthCheckIntervalSeconds: 'integer',
  HealthCheckTimeoutSeconds: 'integer',
  HealthyThresholdCount: 'integer',
  UnhealthyThresholdCount: 'integer',
  Matcher: matcher,
} as const;
const paging = { Marker: 'string', PageSize: 'integer' } as const;

export const SHAPES = {
  CreateLoadBalancer: struct(
    {
      Name: 'string',
      Subnets: strings,
      SecurityGroups: strings,
      Scheme: 'string',
      Tags: tags,
      Type: 'string',
      IpAddressType: 'string',
    },
    ['Name'],
  ),
  DescribeLoadBalancers: struct({ LoadBalancerArns: strings, Names: strings, ...paging }),
  DeleteLoadBalancer: struct({ LoadBalancerArn: 'string' }, ['LoadBalancerArn']),
  CreateTargetGroup: struct(
    {
      Name: 'string',
      Protocol: 'string',
      ProtocolVersion: 'string',
      Port: 'integer',
      VpcId: 'string',
      ...healthCheck,
      TargetType: 'string',
      Tags: tags,
      IpAddressType: 'string',
    },
    ['Name'],
  ),
  ModifyTargetGroup: struct({ TargetGroupArn: 'string', ...healthCheck }, ['TargetGroupArn']),
  DescribeTargetGroups: struct({
    LoadBalancerArn: 'string',
    TargetGroupArns: strings,
    Names: strings,
    ...paging,
  }),
  DeleteTargetGroup: struct({ TargetGroupArn: 'string' }, ['TargetGroupArn']),
  DescribeTargetGroupAttributes: struct({ TargetGroupArn: 'string' }, ['TargetGroupArn']),
  ModifyTargetGroupAttributes: struct(
    { TargetGroupArn: 'string', Attributes: list(struct({ Key: 'string', Value: 'string' })) },
    ['TargetGroupArn', 'Attributes'],
  ),
  CreateListener: struct(
    {
      LoadBalancerArn: 'string',
      Protocol: 'string',
      Port: 'integer',
      SslPolicy: 'string',
      Certificates: certificates,
      DefaultActions: actions,
      Tags: tags,
    },
    ['LoadBalancerArn', 'DefaultActions'],
  ),
  ModifyListener: struct(
    {
      ListenerArn: 'string',
      Port: 'integer',
      Protocol: 'string',
      SslPolicy: 'string',
      Certificates: certificates,
      DefaultActions: actions,
    },
    ['ListenerArn'],
  ),
  DeleteListener: struct({ ListenerArn: 'string' }, ['ListenerArn']),
  DescribeListeners: struct({ LoadBalancerArn: 'string', ListenerArns: strings, ...paging }),
  CreateRule: struct(
    { ListenerArn: 'string', Conditions: list(condition), Priority: 'integer', Actions: actions, Tags: tags },
    ['ListenerArn', 'Conditions', 'Priority', 'Actions'],
  ),
  ModifyRule: struct({ RuleArn: 'string', Conditions: list(condition), Actions: actions }, ['RuleArn']),
  SetRulePriorities: struct({ RulePriorities: list(struct({ RuleArn: 'string', Priority: 'integer' })) }, [
    'RulePriorities',
  ]),
  DeleteRule: struct({ RuleArn: 'string' }, ['RuleArn']),
  DescribeRules: struct({ ListenerArn: 'string', RuleArns: strings, ...paging }),
  RegisterTargets: struct({ TargetGroupArn: 'string', Targets: list(target) }, ['TargetGroupArn', 'Targets']),
  DeregisterTargets: struct({ TargetGroupArn: 'string', Targets: list(target) }, [
    'TargetGroupArn',
    'Targets',
  ]),
  DescribeTargetHealth: struct({ TargetGroupArn: 'string', Targets: list(target) }, ['TargetGroupArn']),
  AddTags: struct({ ResourceArns: strings, Tags: tags }, ['ResourceArns', 'Tags']),
  RemoveTags: struct({ ResourceArns: strings, TagKeys: strings }, ['ResourceArns', 'TagKeys']),
  DescribeTags: struct({ ResourceArns: strings }, ['ResourceArns']),
} as const satisfies Record<string, StructShape>;

export type Elbv2OperationName = keyof typeof SHAPES;
