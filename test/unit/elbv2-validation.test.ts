import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeActions } from '../../src/core/elbv2/actions.js';
import { modifyAttributes, defaultAttributes } from '../../src/core/elbv2/attributes.js';
import { normalizeConditions } from '../../src/core/elbv2/conditions.js';
import type { ActionInput, ConditionInput, CreateTargetGroupInput } from '../../src/core/elbv2/inputs.js';
import { listenerSettings } from '../../src/core/elbv2/listeners.js';
import { checkLoadBalancerName } from '../../src/core/elbv2/names.js';
import { pageOf } from '../../src/core/elbv2/pages.js';
import { newTargetGroup } from '../../src/core/elbv2/target-groups.js';
import { healthOf } from '../../src/core/elbv2/targets.js';

/** ELBv2's input rules in core/elbv2, as tables: each row a case and the error code ELB answers. */

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

const TG = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/a/0123456789abcdef';

describe('load-balancer names', () => {
  const cases: [string, string | undefined][] = [
    ['web', undefined],
    ['a'.repeat(32), undefined],
    ['a'.repeat(33), 'ValidationError'],
    ['-web', 'ValidationError'],
    ['web-', 'ValidationError'],
    ['we_b', 'ValidationError'],
    ['internal-web', 'ValidationError'],
  ];
  for (const [name, expected] of cases) {
    it(`${expected ?? 'accepts'} for '${name.slice(0, 12)}'`, () =>
      assert.equal(
        code(() => checkLoadBalancerName(name)),
        expected,
      ));
  }
});

describe('target groups: defaults and health-check ranges', () => {
  const base: CreateTargetGroupInput = { Name: 'tg', Protocol: 'HTTP', Port: 80 };
  const cases: [string, Partial<CreateTargetGroupInput>, string | undefined][] = [
    ['plain HTTP', {}, undefined],
    ['port 0', { Port: 0 }, 'ValidationError'],
    ['unknown protocol', { Protocol: 'GENEVE' }, 'ValidationError'],
    ['lambda targets', { TargetType: 'lambda' }, 'ValidationError'],
    ['interval 4', { HealthCheckIntervalSeconds: 4 }, 'ValidationError'],
    [
      'timeout ≥ interval',
      { HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 10 },
      'ValidationError',
    ],
    ['threshold 11', { HealthyThresholdCount: 11 }, 'ValidationError'],
    ['path without /', { HealthCheckPath: 'health' }, 'ValidationError'],
    ['matcher range', { Matcher: { HttpCode: '200-299' } }, undefined],
    ['matcher 500 on ALB', { Matcher: { HttpCode: '500' } }, 'ValidationError'],
    ['TCP check on HTTP group', { HealthCheckProtocol: 'TCP' }, 'ValidationError'],
    ['checks disabled', { HealthCheckEnabled: false }, 'ValidationError'],
    ['health-check port', { HealthCheckPort: '8081' }, undefined],
    ['health-check port words', { HealthCheckPort: 'eighty' }, 'ValidationError'],
  ];
  for (const [name, change, expected] of cases) {
    it(`${expected ?? 'accepts'}: ${name}`, () =>
      assert.equal(
        code(() => newTargetGroup({ ...base, ...change }, { arn: TG, now: 0 })),
        expected,
      ));
  }

  it('refuses an instance or ip target group without a port (ValidationError)', () => {
    assert.equal(
      code(() => newTargetGroup({ Name: 'tg', Protocol: 'HTTP' }, { arn: TG, now: 0 })),
      'ValidationError',
    );
  });

  it('gives TCP groups a TCP check with a 10 s timeout and no path or matcher', () => {
    const tg = newTargetGroup({ Name: 'tcp', Protocol: 'TCP', Port: 5432 }, { arn: TG, now: 0 });
    assert.deepEqual(tg.healthCheck, {
      protocol: 'TCP',
      port: 'traffic-port',
      enabled: true,
      intervalSeconds: 30,
      timeoutSeconds: 10,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
    });
    assert.equal(tg.attributes['stickiness.type'], 'source_ip');
  });
});

describe('target-group attributes', () => {
  const http = defaultAttributes('HTTP');
  const cases: [string, string, string | undefined][] = [
    ['deregistration_delay.timeout_seconds', '0', undefined],
    ['deregistration_delay.timeout_seconds', '3601', 'ValidationError'],
    ['slow_start.duration_seconds', '30', undefined],
    ['slow_start.duration_seconds', '10', 'ValidationError'],
    ['load_balancing.algorithm.type', 'least_outstanding_requests', undefined],
    ['load_balancing.algorithm.type', 'random', 'ValidationError'],
    ['stickiness.enabled', 'yes', 'ValidationError'],
    ['stickiness.type', 'source_ip', 'ValidationError'],
    ['stickiness.lb_cookie.duration_seconds', '604800', undefined],
    ['stickiness.lb_cookie.duration_seconds', '604801', 'ValidationError'],
    ['proxy_protocol_v2.enabled', 'true', 'ValidationError'],
  ];
  for (const [key, value, expected] of cases) {
    it(`${expected ?? 'accepts'}: ${key}=${value}`, () =>
      assert.equal(
        code(() => modifyAttributes(http, 'HTTP', [{ Key: key, Value: value }])),
        expected,
      ));
  }

  it('refuses slow start with least outstanding requests (InvalidConfigurationRequest)', () => {
    const change = [
      { Key: 'slow_start.duration_seconds', Value: '60' },
      { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' },
    ];
    assert.equal(
      code(() => modifyAttributes(http, 'HTTP', change)),
      'InvalidConfigurationRequest',
    );
  });

  it('has no slow start on network target groups', () => {
    const tcp = defaultAttributes('TCP');
    assert.equal(
      code(() => modifyAttributes(tcp, 'TCP', [{ Key: 'slow_start.duration_seconds', Value: '30' }])),
      'ValidationError',
    );
  });
});

describe('actions', () => {
  const cases: [string, ActionInput[], 'application' | 'network', string | undefined][] = [
    ['forward by ARN', [{ Type: 'forward', TargetGroupArn: TG }], 'application', undefined],
    ['forward without a group', [{ Type: 'forward' }], 'application', 'ValidationError'],
    [
      'weight 1000',
      [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: 1000 }] } }],
      'application',
      'ValidationError',
    ],
    [
      'same group twice',
      [
        {
          Type: 'forward',
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }, { TargetGroupArn: TG }] },
        },
      ],
      'application',
      'ValidationError',
    ],
    [
      'fixed 404',
      [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      'application',
      undefined,
    ],
    [
      'fixed 302',
      [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '302' } }],
      'application',
      'ValidationError',
    ],
    [
      'fixed on NLB',
      [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      'network',
      'InvalidLoadBalancerAction',
    ],
    [
      'redirect to itself',
      [{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301' } }],
      'application',
      'InvalidLoadBalancerAction',
    ],
    [
      'redirect to HTTPS',
      [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
      'application',
      undefined,
    ],
    ['authenticate-oidc', [{ Type: 'authenticate-oidc' }], 'application', 'InvalidLoadBalancerAction'],
    ['no action', [], 'application', 'ValidationError'],
  ];
  for (const [name, actions, type, expected] of cases) {
    it(`${expected ?? 'accepts'}: ${name}`, () =>
      assert.equal(
        code(() => normalizeActions(actions, type)),
        expected,
      ));
  }

  it('answers a single-group forward with both TargetGroupArn and ForwardConfig, as ELB does', () => {
    assert.deepEqual(normalizeActions([{ Type: 'forward', TargetGroupArn: TG }], 'application'), [
      {
        Type: 'forward',
        Order: 1,
        TargetGroupArn: TG,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: TG, Weight: 1 }],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ]);
  });
});

describe('rule conditions', () => {
  const cases: [string, ConditionInput[], string | undefined][] = [
    ['path pattern', [{ Field: 'path-pattern', Values: ['/api/*'] }], undefined],
    [
      'host header config',
      [{ Field: 'host-header', HostHeaderConfig: { Values: ['*.example.com'] } }],
      undefined,
    ],
    [
      'both forms',
      [{ Field: 'host-header', Values: ['a'], HostHeaderConfig: { Values: ['b'] } }],
      'ValidationError',
    ],
    [
      'two path patterns',
      [
        { Field: 'path-pattern', Values: ['/a'] },
        { Field: 'path-pattern', Values: ['/b'] },
      ],
      'ValidationError',
    ],
    [
      'six values',
      [{ Field: 'path-pattern', Values: ['/1', '/2', '/3', '/4', '/5', '/6'] }],
      'ValidationError',
    ],
    [
      'http-header',
      [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['dev'] } }],
      undefined,
    ],
    ['http-header by Values', [{ Field: 'http-header', Values: ['dev'] }], 'ValidationError'],
    [
      'method',
      [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET', 'POST'] } }],
      undefined,
    ],
    [
      'method lowercase',
      [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['get'] } }],
      'ValidationError',
    ],
    [
      'query string',
      [{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '2' }] } }],
      undefined,
    ],
    [
      'source ip',
      [{ Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8', '2001:db8::/32'] } }],
      undefined,
    ],
    [
      'source ip without mask',
      [{ Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.1'] } }],
      'ValidationError',
    ],
    ['unknown field', [{ Field: 'cookie', Values: ['x'] }], 'ValidationError'],
    ['no condition', [], 'ValidationError'],
  ];
  for (const [name, conditions, expected] of cases) {
    it(`${expected ?? 'accepts'}: ${name}`, () =>
      assert.equal(
        code(() => normalizeConditions(conditions)),
        expected,
      ));
  }
});

describe('listener settings', () => {
  const cert = [{ CertificateArn: 'arn:aws:acm:us-east-1:1:certificate/abc-123' }];
  const cases: [
    string,
    'application' | 'network',
    Parameters<typeof listenerSettings>[1],
    string | undefined,
  ][] = [
    ['HTTP on ALB', 'application', { Protocol: 'HTTP', Port: 80 }, undefined],
    ['TCP on ALB', 'application', { Protocol: 'TCP', Port: 80 }, 'UnsupportedProtocol'],
    ['HTTP on NLB', 'network', { Protocol: 'HTTP', Port: 80 }, 'UnsupportedProtocol'],
    ['UDP on NLB', 'network', { Protocol: 'UDP', Port: 53 }, undefined],
    ['HTTPS without certificate', 'application', { Protocol: 'HTTPS', Port: 443 }, 'ValidationError'],
    ['HTTPS with an ACM ARN', 'application', { Protocol: 'HTTPS', Port: 443, Certificates: cert }, undefined],
    [
      'TLS with a bad ARN',
      'network',
      { Protocol: 'TLS', Port: 443, Certificates: [{ CertificateArn: 'arn:aws:s3:::bucket' }] },
      'CertificateNotFound',
    ],
    [
      'two certificates',
      'application',
      { Protocol: 'HTTPS', Port: 443, Certificates: [...cert, ...cert] },
      'TooManyCertificates',
    ],
    [
      'HTTP with a certificate',
      'application',
      { Protocol: 'HTTP', Port: 80, Certificates: cert },
      'ValidationError',
    ],
    [
      'unknown SSL policy',
      'application',
      { Protocol: 'HTTPS', Port: 443, Certificates: cert, SslPolicy: 'modern' },
      'SSLPolicyNotFound',
    ],
    ['port 65536', 'application', { Protocol: 'HTTP', Port: 65536 }, 'ValidationError'],
  ];
  for (const [name, type, given, expected] of cases) {
    it(`${expected ?? 'accepts'}: ${name}`, () =>
      assert.equal(
        code(() => listenerSettings(type, given)),
        expected,
      ));
  }
});

describe('target health before any check', () => {
  const target = { targetGroupArn: TG, id: 'i-1', port: 80, registeredAt: 0 };
  const cases: [string, Parameters<typeof healthOf>, string, string | undefined][] = [
    ['registered, group in use', [target, true, 10], 'initial', 'Elb.RegistrationInProgress'],
    ['registered, group unused', [target, false, 10], 'unused', 'Target.NotInUse'],
    [
      'draining',
      [{ ...target, deregisteredAt: 5, drainUntil: 20 }, true, 10],
      'draining',
      'Target.DeregistrationInProgress',
    ],
    [
      'drained',
      [{ ...target, deregisteredAt: 5, drainUntil: 20 }, true, 20],
      'unused',
      'Target.NotRegistered',
    ],
    ['checked healthy', [{ ...target, health: { state: 'healthy' } }, true, 10], 'healthy', undefined],
    ['never registered', [undefined, true, 10], 'unused', 'Target.NotRegistered'],
  ];
  for (const [name, args, state, reason] of cases) {
    it(`${state}: ${name}`, () => {
      const view = healthOf(...args);
      assert.deepEqual([view.State, view.Reason], [state, reason]);
    });
  }
});

describe('Marker pagination', () => {
  const items = ['a', 'b', 'c'];
  it('pages through in order and ends without a marker', () => {
    const first = pageOf(items, (x) => x, undefined, 2);
    assert.deepEqual(first.items, ['a', 'b']);
    const second = pageOf(items, (x) => x, first.NextMarker, 2);
    assert.deepEqual([second.items, second.NextMarker], [['c'], undefined]);
  });
  it('refuses a marker it never issued and a page size over 400', () => {
    assert.equal(
      code(() => pageOf(items, (x) => x, 'garbage', 2)),
      'ValidationError',
    );
    assert.equal(
      code(() => pageOf(items, (x) => x, undefined, 401)),
      'ValidationError',
    );
  });
});
