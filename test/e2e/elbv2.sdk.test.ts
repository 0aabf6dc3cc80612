import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  RemoveTagsCommand,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ImportCertificateCommand } from '@aws-sdk/client-acm';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { loadBalancingModel, reportTargetHealth } from '../../src/control/elbv2/model.js';
import { acmClient, scratch, selfSigned } from '../support/acm.js';
import { aws } from '../support/berth-process.js';
import { createShop, elbClient, fixed404, forwardTo, path, rejects } from '../support/elbv2.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The ELBv2 control plane through @aws-sdk/client-elastic-load-balancing-v2 (awsQuery, XML): issue
 * 6's two-rule application load balancer, weighted forwarding, targets and their pre-check health,
 * and every bad input answered with ELB's error while nothing changes.
 */

describe('ELBv2 control plane through the AWS SDK', () => {
  let berth: TestServer;
  let elb: ElasticLoadBalancingV2Client;
  let lbArn: string;
  let listenerArn: string;
  let tgA: string;
  let tgB: string;
  let userRule: string;
  let orderRule: string;

  before(async () => {
    berth = await startTestServer({ serviceScheduler: { run: false } });
    elb = elbClient(berth);
    ({ lbArn, listenerArn, tgA, tgB, userRule, orderRule } = await createShop(elb));
  });
  after(async () => {
    elb.destroy();
    await berth.close();
  });

  const rules = async () =>
    (await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? [];

  it('creates an active application load balancer with ELB-shaped ARN and DNS name', async () => {
    const [lb] = (await elb.send(new DescribeLoadBalancersCommand({ Names: ['shop'] }))).LoadBalancers ?? [];
    assert.match(
      lb?.LoadBalancerArn ?? '',
      /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/shop\/[0-9a-f]{16}$/,
    );
    assert.match(lb?.DNSName ?? '', /^shop-[0-9a-f]+\.us-east-1\.elb\.localhost$/);
    assert.equal(lb?.State?.Code, 'active');
    assert.equal(lb?.Type, 'application');
    assert.equal(lb?.Scheme, 'internet-facing');
    assert.ok(lb?.CanonicalHostedZoneId);
  });

  it('routes /api/user/* and /api/order/* by rule and answers 404 by default, the default rule listed last', async () => {
    const listed = await rules();
    assert.deepEqual(
      listed.map((r) => [r.Priority, r.IsDefault, r.Conditions?.[0]?.PathPatternConfig?.Values?.[0]]),
      [
        ['10', false, '/api/user/*'],
        ['20', false, '/api/order/*'],
        ['default', true, undefined],
      ],
    );
    assert.equal(listed[0]?.Actions?.[0]?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn, tgA);
    assert.deepEqual(listed[2]?.Actions?.[0]?.FixedResponseConfig, fixed404.FixedResponseConfig);
    const groups = await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn }));
    assert.deepEqual(
      groups.TargetGroups?.map((g) => [g.TargetGroupName, g.LoadBalancerArns]),
      [
        ['orders', [lbArn]],
        ['users', [lbArn]],
      ],
    );
  });

  it('fills in ELB defaults for an HTTP target group and its attributes', async () => {
    const [tg] = (await elb.send(new DescribeTargetGroupsCommand({ Names: ['users'] }))).TargetGroups ?? [];
    assert.deepEqual(
      [
        tg?.TargetType,
        tg?.HealthCheckProtocol,
        tg?.HealthCheckPort,
        tg?.HealthCheckPath,
        tg?.Matcher?.HttpCode,
      ],
      ['instance', 'HTTP', 'traffic-port', '/', '200'],
    );
    assert.deepEqual(
      [
        tg?.HealthCheckIntervalSeconds,
        tg?.HealthCheckTimeoutSeconds,
        tg?.HealthyThresholdCount,
        tg?.UnhealthyThresholdCount,
      ],
      [30, 5, 5, 2],
    );
    const attrs = await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgA }));
    const byKey = Object.fromEntries((attrs.Attributes ?? []).map((a) => [a.Key, a.Value]));
    assert.equal(byKey['deregistration_delay.timeout_seconds'], '300');
    assert.equal(byKey['load_balancing.algorithm.type'], 'round_robin');
    assert.equal(byKey['stickiness.enabled'], 'false');
  });

  it('forwards by weight across target groups', async () => {
    const modified = await elb.send(
      new ModifyListenerCommand({
        ListenerArn: listenerArn,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: tgA, Weight: 3 },
                { TargetGroupArn: tgB, Weight: 1 },
              ],
            },
          },
        ],
      }),
    );
    const [action] = modified.Listeners?.[0]?.DefaultActions ?? [];
    assert.equal(action?.TargetGroupArn, undefined);
    assert.deepEqual(
      action?.ForwardConfig?.TargetGroups?.map((t) => t.Weight),
      [3, 1],
    );
    const described = await elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
    assert.deepEqual(described.Listeners?.[0]?.DefaultActions, modified.Listeners?.[0]?.DefaultActions);
    await elb.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: [fixed404] }));
  });

  it('reports registered targets initial, unused outside a listener, draining after deregistration', async () => {
    await elb.send(
      new RegisterTargetsCommand({
        TargetGroupArn: tgA,
        Targets: [{ Id: 'i-0123456789abcdef0', Port: 32768 }, { Id: 'i-0fedcba9876543210' }],
      }),
    );
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgA }));
    assert.deepEqual(
      health.TargetHealthDescriptions?.map((d) => [
        d.Target?.Id,
        d.Target?.Port,
        d.HealthCheckPort,
        d.TargetHealth?.State,
        d.TargetHealth?.Reason,
      ]),
      [
        ['i-0123456789abcdef0', 32768, '32768', 'initial', 'Elb.RegistrationInProgress'],
        ['i-0fedcba9876543210', 8080, '8080', 'initial', 'Elb.RegistrationInProgress'],
      ],
    );
    const spare = await elb.send(
      new CreateTargetGroupCommand({ Name: 'spare', Protocol: 'HTTP', Port: 80, TargetType: 'ip' }),
    );
    const spareArn = spare.TargetGroups?.[0]?.TargetGroupArn ?? '';
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: spareArn, Targets: [{ Id: '10.0.0.7' }] }));
    const unused = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: spareArn }));
    assert.deepEqual(
      [
        unused.TargetHealthDescriptions?.[0]?.TargetHealth?.State,
        unused.TargetHealthDescriptions?.[0]?.TargetHealth?.Reason,
      ],
      ['unused', 'Target.NotInUse'],
    );
    await elb.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: tgA,
        Targets: [{ Id: 'i-0123456789abcdef0', Port: 32768 }],
      }),
    );
    const after = await elb.send(
      new DescribeTargetHealthCommand({
        TargetGroupArn: tgA,
        Targets: [{ Id: 'i-0123456789abcdef0', Port: 32768 }, { Id: 'i-nope' }],
      }),
    );
    assert.deepEqual(
      after.TargetHealthDescriptions?.map((d) => [d.TargetHealth?.State, d.TargetHealth?.Reason]),
      [
        ['draining', 'Target.DeregistrationInProgress'],
        ['unused', 'Target.NotRegistered'],
      ],
    );
    // Outside any listener, deregistration is immediate.
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: spareArn, Targets: [{ Id: '10.0.0.7' }] }));
    assert.deepEqual(
      (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: spareArn })))
        .TargetHealthDescriptions,
      [],
    );
  });

  it('hands the data plane the whole model and takes target health back', async () => {
    const model = await loadBalancingModel({ store: berth.server.store, now: () => Date.now() });
    const lb = model.loadBalancers.find((l) => l.arn === lbArn);
    assert.deepEqual(
      lb?.listeners.map((l) => [l.port, l.rules.map((r) => r.priority ?? 'default')]),
      [[18080, [10, 20, 'default']]],
    );
    const users = model.targetGroups.find((g) => g.arn === tgA);
    assert.equal(users?.deregistrationDelayMs, 300_000);
    assert.ok(users?.targets.find((t) => t.port === 32768)?.drainUntil);
    const written = await reportTargetHealth({ store: berth.server.store }, [
      { targetGroupArn: tgA, id: 'i-0fedcba9876543210', port: 8080, state: 'healthy' },
      { targetGroupArn: tgA, id: 'i-0123456789abcdef0', port: 32768, state: 'healthy' },
    ]);
    assert.deepEqual(written, [true, false]); // a draining target keeps draining
    const health = await elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: tgA, Targets: [{ Id: 'i-0fedcba9876543210' }] }),
    );
    assert.equal(health.TargetHealthDescriptions?.[0]?.TargetHealth?.State, 'healthy');
  });

  it('validates and applies target-group attributes and health checks', async () => {
    const changed = await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tgB,
        Attributes: [
          { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
          { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' },
        ],
      }),
    );
    const byKey = Object.fromEntries((changed.Attributes ?? []).map((a) => [a.Key, a.Value]));
    assert.deepEqual(
      [byKey['deregistration_delay.timeout_seconds'], byKey['load_balancing.algorithm.type']],
      ['30', 'least_outstanding_requests'],
    );
    const modified = await elb.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: tgB,
        HealthCheckPath: '/health',
        Matcher: { HttpCode: '200-299' },
      }),
    );
    assert.deepEqual(
      [modified.TargetGroups?.[0]?.HealthCheckPath, modified.TargetGroups?.[0]?.Matcher?.HttpCode],
      ['/health', '200-299'],
    );
  });

  it('tags load balancers, target groups, listeners and rules', async () => {
    const arns = [lbArn, tgA, listenerArn, userRule];
    await elb.send(
      new AddTagsCommand({
        ResourceArns: arns,
        Tags: [
          { Key: 'team', Value: 'shop' },
          { Key: 'env', Value: 'dev' },
        ],
      }),
    );
    await elb.send(new RemoveTagsCommand({ ResourceArns: [tgA], TagKeys: ['env'] }));
    const described = await elb.send(new DescribeTagsCommand({ ResourceArns: arns }));
    assert.deepEqual(
      described.TagDescriptions?.map((d) => d.Tags?.map((t) => t.Key)),
      [['env', 'team'], ['team'], ['env', 'team'], ['env', 'team']],
    );
  });

  it('pages DescribeLoadBalancers with Marker and PageSize', async () => {
    await elb.send(new CreateLoadBalancerCommand({ Name: 'edge', Type: 'network', Scheme: 'internal' }));
    const first = await elb.send(new DescribeLoadBalancersCommand({ PageSize: 1 }));
    assert.equal(first.LoadBalancers?.[0]?.LoadBalancerName, 'edge');
    assert.equal(first.LoadBalancers?.[0]?.DNSName?.startsWith('internal-edge-'), true);
    assert.ok(first.NextMarker);
    const second = await elb.send(
      new DescribeLoadBalancersCommand({ PageSize: 1, Marker: first.NextMarker }),
    );
    assert.deepEqual([second.LoadBalancers?.[0]?.LoadBalancerName, second.NextMarker], ['shop', undefined]);
  });

  it('answers aws elbv2 describe-load-balancers', async () => {
    const out = await aws<{ LoadBalancers: { LoadBalancerName: string }[] }>(berth, [
      'elbv2',
      'describe-load-balancers',
      '--names',
      'shop',
    ]);
    assert.deepEqual(
      out.LoadBalancers.map((l) => l.LoadBalancerName),
      ['shop'],
    );
  });

  describe('bad input: ELB errors, nothing half-created', () => {
    it('refuses a rule whose priority is taken (PriorityInUse)', async () => {
      const before = await rules();
      await rejects(
        elb.send(
          new CreateRuleCommand({
            ListenerArn: listenerArn,
            Priority: 10,
            Conditions: path('/x/*'),
            Actions: [fixed404],
          }),
        ),
        'PriorityInUseException',
      );
      await rejects(
        elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: orderRule, Priority: 10 }] })),
        'PriorityInUseException',
      );
      assert.deepEqual(await rules(), before);
    });

    it('swaps two priorities in one SetRulePriorities call', async () => {
      const swapped = await elb.send(
        new SetRulePrioritiesCommand({
          RulePriorities: [
            { RuleArn: userRule, Priority: 20 },
            { RuleArn: orderRule, Priority: 10 },
          ],
        }),
      );
      assert.deepEqual(
        swapped.Rules?.map((r) => r.Priority),
        ['20', '10'],
      );
      await elb.send(
        new SetRulePrioritiesCommand({
          RulePriorities: [
            { RuleArn: userRule, Priority: 10 },
            { RuleArn: orderRule, Priority: 20 },
          ],
        }),
      );
    });

    it('refuses a listener on a port another load balancer already uses (DuplicateListener)', async () => {
      const other = await elb.send(new CreateLoadBalancerCommand({ Name: 'other' }));
      const otherArn = other.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
      await rejects(
        elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: otherArn,
            Protocol: 'HTTP',
            Port: 18080,
            DefaultActions: [fixed404],
          }),
        ),
        'DuplicateListenerException',
      );
      assert.deepEqual(
        (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: otherArn }))).Listeners,
        [],
      );
    });

    it('refuses HTTPS without a certificate, or with one the certificate store does not hold', async () => {
      await rejects(
        elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: lbArn,
            Protocol: 'HTTPS',
            Port: 18443,
            DefaultActions: [fixed404],
          }),
        ),
        'ValidationError',
      );
      await rejects(
        elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: lbArn,
            Protocol: 'HTTPS',
            Port: 18443,
            Certificates: [{ CertificateArn: 'not-a-certificate' }],
            DefaultActions: [fixed404],
          }),
        ),
        'CertificateNotFoundException',
      );
      const listeners = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }));
      assert.deepEqual(
        listeners.Listeners?.map((l) => l.Port),
        [18080],
      );
      // An ACM ARN of the right shape that the certificate store does not hold is not found either.
      await rejects(
        elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: lbArn,
            Protocol: 'HTTPS',
            Port: 18443,
            Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/3f1c-77aa' }],
            DefaultActions: [fixed404],
          }),
        ),
        'CertificateNotFoundException',
      );
      const acm = acmClient(berth);
      const dir = scratch();
      const pem = selfSigned(dir, 'shop');
      rmSync(dir, { recursive: true, force: true });
      const imported = await acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(pem.certificatePem),
          PrivateKey: Buffer.from(pem.keyPem),
        }),
      );
      acm.destroy();
      const https = await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lbArn,
          Protocol: 'HTTPS',
          Port: 18443,
          Certificates: [{ CertificateArn: imported.CertificateArn }],
          DefaultActions: [fixed404],
        }),
      );
      assert.equal(https.Listeners?.[0]?.Certificates?.[0]?.CertificateArn, imported.CertificateArn);
      assert.ok(https.Listeners?.[0]?.SslPolicy);
    });

    it('refuses forwarding to a target group that does not exist, creating no listener and no rule', async () => {
      const ghost = tgA.replace(/[0-9a-f]{16}$/, '0000000000000000');
      await rejects(
        elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: lbArn,
            Protocol: 'HTTP',
            Port: 18081,
            DefaultActions: [forwardTo(ghost)],
          }),
        ),
        'TargetGroupNotFoundException',
      );
      await rejects(
        elb.send(
          new CreateRuleCommand({
            ListenerArn: listenerArn,
            Priority: 30,
            Conditions: path('/g/*'),
            Actions: [forwardTo(ghost)],
          }),
        ),
        'TargetGroupNotFoundException',
      );
      const listeners = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }));
      assert.equal(
        listeners.Listeners?.some((l) => l.Port === 18081),
        false,
      );
      assert.equal((await rules()).length, 3);
    });

    it('refuses to delete a target group a rule forwards to (ResourceInUse), or the default rule', async () => {
      await rejects(
        elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tgA })),
        'ResourceInUseException',
      );
      assert.equal(
        (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgA] }))).TargetGroups?.length,
        1,
      );
      const defaultRule = (await rules()).find((r) => r.IsDefault)?.RuleArn;
      await rejects(
        elb.send(new DeleteRuleCommand({ RuleArn: defaultRule })),
        'OperationNotPermittedException',
      );
      await rejects(
        elb.send(new ModifyRuleCommand({ RuleArn: defaultRule, Conditions: path('/y') })),
        'OperationNotPermittedException',
      );
    });

    it('refuses bad target groups, attributes and names with ValidationError, changing nothing', async () => {
      await rejects(
        elb.send(
          new CreateTargetGroupCommand({
            Name: 'slow',
            Protocol: 'HTTP',
            Port: 80,
            HealthCheckIntervalSeconds: 5,
            HealthCheckTimeoutSeconds: 6,
          }),
        ),
        'ValidationError',
      );
      await rejects(
        elb.send(new DescribeTargetGroupsCommand({ Names: ['slow'] })),
        'TargetGroupNotFoundException',
      );
      await rejects(
        elb.send(
          new ModifyTargetGroupAttributesCommand({
            TargetGroupArn: tgA,
            Attributes: [
              { Key: 'deregistration_delay.timeout_seconds', Value: '10' },
              { Key: 'stickiness.lb_cookie.duration_seconds', Value: '0' },
            ],
          }),
        ),
        'ValidationError',
      );
      const attrs = await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgA }));
      assert.equal(
        attrs.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value,
        '300',
      );
      await rejects(elb.send(new CreateLoadBalancerCommand({ Name: '-bad-' })), 'ValidationError');
      await rejects(
        elb.send(new CreateLoadBalancerCommand({ Name: 'shop', Type: 'network' })),
        'DuplicateLoadBalancerNameException',
      );
      await rejects(
        elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: lbArn,
            Protocol: 'TCP',
            Port: 19000,
            DefaultActions: [fixed404],
          }),
        ),
        'UnsupportedProtocolException',
      );
    });

    it('answers unknown resources with their NotFound errors', async () => {
      const gone = lbArn.replace(/[0-9a-f]{16}$/, '0000000000000000');
      await rejects(
        elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [gone] })),
        'LoadBalancerNotFoundException',
      );
      await rejects(
        elb.send(new DescribeListenersCommand({ LoadBalancerArn: gone })),
        'LoadBalancerNotFoundException',
      );
      await rejects(
        elb.send(
          new DescribeRulesCommand({ RuleArns: [userRule.replace(/[0-9a-f]{16}$/, '0000000000000000')] }),
        ),
        'RuleNotFoundException',
      );
    });
  });

  it('deletes a load balancer with its listeners and rules, freeing its target groups', async () => {
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
    await rejects(
      elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] })),
      'ListenerNotFoundException',
    );
    await rejects(elb.send(new DescribeRulesCommand({ RuleArns: [userRule] })), 'RuleNotFoundException');
    const [a] =
      (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgA] }))).TargetGroups ?? [];
    assert.deepEqual(a?.LoadBalancerArns, []);
    await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tgA }));
    await rejects(
      elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgA] })),
      'TargetGroupNotFoundException',
    );
    // Deleting what is gone is no error, as on ELB.
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
  });
});
