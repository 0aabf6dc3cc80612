import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import type { TestServer } from './server.js';

/** ELBv2 through the AWS SDK against a test server: a client, issue 6's two-rule shop, error checks. */

export function elbClient(berth: TestServer): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({
    endpoint: berth.endpoint,
    region: berth.region,
    credentials: berth.credentials,
    maxAttempts: 1,
  });
}

/** An SDK call fails with the error shape `name` (e.g. PriorityInUseException) and `status`. */
export async function rejects(promise: Promise<unknown>, name: string, status = 400): Promise<void> {
  await assert.rejects(promise, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name, err.message);
    assert.equal(err.$metadata?.httpStatusCode, status);
    return true;
  });
}

export const fixed404: Action = {
  Type: 'fixed-response',
  FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no route' },
};
export const forwardTo = (arn: string): Action => ({ Type: 'forward', TargetGroupArn: arn });
export const path = (pattern: string) => [
  { Field: 'path-pattern', PathPatternConfig: { Values: [pattern] } },
];

export interface Shop {
  readonly lbArn: string;
  readonly listenerArn: string;
  readonly tgA: string;
  readonly tgB: string;
  readonly userRule: string;
  readonly orderRule: string;
}

/**
 * Issue 6's example: an application load balancer `shop` with an HTTP listener on 18080 answering
 * a fixed 404 by default, `/api/user/*` → target group `users` (priority 10) and `/api/order/*`
 * → `orders` (priority 20).
 */
export async function createShop(elb: ElasticLoadBalancingV2Client): Promise<Shop> {
  const lb = await elb.send(
    new CreateLoadBalancerCommand({ Name: 'shop', Subnets: ['subnet-1', 'subnet-2'] }),
  );
  const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const a = await elb.send(new CreateTargetGroupCommand({ Name: 'users', Protocol: 'HTTP', Port: 8080 }));
  const b = await elb.send(new CreateTargetGroupCommand({ Name: 'orders', Protocol: 'HTTP', Port: 8081 }));
  const tgA = a.TargetGroups?.[0]?.TargetGroupArn ?? '';
  const tgB = b.TargetGroups?.[0]?.TargetGroupArn ?? '';
  const listener = await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: 'HTTP',
      Port: 18080,
      DefaultActions: [fixed404],
    }),
  );
  const listenerArn = listener.Listeners?.[0]?.ListenerArn ?? '';
  const rule = async (priority: number, pattern: string, tg: string) =>
    (
      await elb.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: priority,
          Conditions: path(pattern),
          Actions: [forwardTo(tg)],
        }),
      )
    ).Rules?.[0]?.RuleArn ?? '';
  const userRule = await rule(10, '/api/user/*', tgA);
  const orderRule = await rule(20, '/api/order/*', tgB);
  return { lbArn, listenerArn, tgA, tgB, userRule, orderRule };
}

let nextListenerPort = 21000 + Math.floor(Math.random() * 2000);

/**
 * A new `instance` target group (HTTP, port 80) with a load balancer whose HTTP listener forwards
 * to it — what ECS requires of a service's target group. Names are unique; the listener port is
 * unique in this test process (a test server without a data plane binds nothing).
 */
export async function forwardedTargetGroup(
  elb: ElasticLoadBalancingV2Client,
  prefix = 'svc',
  options: { readonly targetType?: 'instance' | 'ip'; readonly port?: number } = {},
): Promise<{ targetGroupArn: string; loadBalancerArn: string; listenerArn: string; port: number }> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const lb = await elb.send(new CreateLoadBalancerCommand({ Name: `${prefix}-${suffix}` }));
  const loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const tg = await elb.send(
    new CreateTargetGroupCommand({
      Name: `${prefix}-${suffix}`,
      Protocol: 'HTTP',
      Port: 80,
      TargetType: options.targetType ?? 'instance',
    }),
  );
  const targetGroupArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
  const port = options.port ?? nextListenerPort++;
  const listener = await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Protocol: 'HTTP',
      Port: port,
      DefaultActions: [forwardTo(targetGroupArn)],
    }),
  );
  return { targetGroupArn, loadBalancerArn, listenerArn: listener.Listeners?.[0]?.ListenerArn ?? '', port };
}
