import { ImportCertificateCommand, ListCertificatesCommand, type ACMClient } from '@aws-sdk/client-acm';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  InvalidParameterException,
  ListServicesCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { acmClient, scratch, selfSigned } from '../support/acm.js';
import { rejectsWith } from '../support/assert.js';
import { fastDataPlane } from '../support/data-plane.js';
import { elbClient, fixed404, forwardTo, path, rejects } from '../support/elbv2.js';
import { freePort } from '../support/lb-http.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

/**
 * Bad input to the load balancer, through the AWS SDKs against a test server that runs the data
 * plane: each refusal is the AWS error a user of ELB, ACM or ECS would get, and the Describe and List calls
 * afterwards show that nothing was half-created. Last, a listener whose port another program holds:
 * accepted by the API, not served, and harmless to the program and to Berth's other listeners.
 */

describe('bad input to the load balancer: AWS errors, nothing half-created', { timeout: 120_000 }, () => {
  let berth: TestServer;
  let elb: ElasticLoadBalancingV2Client;
  let acm: ACMClient;
  let ecs: ECSClient;
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  const servers: Server[] = [];

  before(async () => {
    berth = await startTestServer({ dataPlane: fastDataPlane(), serviceScheduler: { run: false } });
    elb = elbClient(berth);
    acm = acmClient(berth);
    ecs = berth.ecs();
  });
  after(async () => {
    elb?.destroy();
    acm?.destroy();
    await dispatcher.close();
    await berth?.close();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  const suffix = (): string => Math.random().toString(36).slice(2, 8);
  const loadBalancer = async (name: string): Promise<string> =>
    (await elb.send(new CreateLoadBalancerCommand({ Name: `${name}-${suffix()}`, Scheme: 'internal' })))
      .LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const targetGroup = async (name: string, targetType: 'ip' | 'instance' = 'ip'): Promise<string> =>
    (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: `${name}-${suffix()}`,
          Protocol: 'HTTP',
          Port: 80,
          TargetType: targetType,
        }),
      )
    ).TargetGroups?.[0]?.TargetGroupArn ?? '';
  const listener = async (loadBalancerArn: string, port: number, action = fixed404): Promise<string> =>
    (
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Protocol: 'HTTP',
          Port: port,
          DefaultActions: [action],
        }),
      )
    ).Listeners?.[0]?.ListenerArn ?? '';
  const listenersOf = async (loadBalancerArn: string) =>
    (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }))).Listeners ?? [];
  const get = async (port: number): Promise<{ status: number; body: string }> => {
    const res = await request(`http://127.0.0.1:${port}/`, { dispatcher });
    return { status: res.statusCode, body: await res.body.text() };
  };

  it('refuses a rule with a priority the listener already uses (PriorityInUse)', async () => {
    const listenerArn = await listener(await loadBalancer('rules'), await freePort());
    const rule = (pattern: string) =>
      elb.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: 10,
          Conditions: path(pattern),
          Actions: [fixed404],
        }),
      );
    await rule('/first/*');
    const before = (await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules;
    await rejects(rule('/second/*'), 'PriorityInUseException');
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules;
    assert.deepEqual(rules, before);
    assert.deepEqual(
      rules?.map((r) => r.Priority),
      ['10', 'default'],
    );
  });

  it('refuses a listener on a port another listener uses (DuplicateListener)', async () => {
    const port = await freePort();
    await listener(await loadBalancer('first'), port);
    const second = await loadBalancer('second');
    await rejects(listener(second, port), 'DuplicateListenerException');
    assert.deepEqual(await listenersOf(second), []);
  });

  it('refuses a garbage PEM on ImportCertificate (ValidationException), listing no new certificate', async () => {
    const list = async () =>
      (await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList?.map((c) => c.CertificateArn);
    // One good certificate first, so that "unchanged" is not merely "still empty".
    const dir = scratch();
    const pem = selfSigned(dir, 'good');
    rmSync(dir, { recursive: true, force: true });
    const good = await acm.send(
      new ImportCertificateCommand({
        Certificate: Buffer.from(pem.certificatePem),
        PrivateKey: Buffer.from(pem.keyPem),
      }),
    );
    const before = await list();
    assert.ok(before?.includes(good.CertificateArn ?? ''));
    await assert.rejects(
      acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(
            '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n',
          ),
          PrivateKey: Buffer.from('-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n'),
        }),
      ),
      (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'ValidationException', err.message);
        assert.equal(err.$metadata?.httpStatusCode, 400);
        assert.match(err.message, /certificate/i);
        return true;
      },
    );
    // A garbage key with a good certificate is refused too.
    await assert.rejects(
      acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(pem.certificatePem),
          PrivateKey: Buffer.from('-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n'),
        }),
      ),
      (err: Error) => err.name === 'ValidationException' && /key/i.test(err.message),
    );
    assert.deepEqual(await list(), before);
  });

  it('refuses an HTTPS listener naming an ACM certificate that does not exist (CertificateNotFound)', async () => {
    const lb = await loadBalancer('https');
    await rejects(
      elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb,
          Protocol: 'HTTPS',
          Port: await freePort(),
          Certificates: [
            {
              CertificateArn:
                'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
            },
          ],
          DefaultActions: [fixed404],
        }),
      ),
      'CertificateNotFoundException',
    );
    assert.deepEqual(await listenersOf(lb), []);
  });

  describe('ECS CreateService with a target group it cannot use', () => {
    let cluster: string;
    let family: string;

    before(async () => {
      cluster = uniqueName('lb-bad');
      family = uniqueName('web');
      await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          networkMode: 'bridge',
          containerDefinitions: [
            {
              name: 'web',
              image: 'busybox:1',
              memory: 64,
              portMappings: [{ containerPort: 80, hostPort: 0 }],
            },
          ],
        }),
      );
    });

    const create = (serviceName: string, targetGroupArn: string) =>
      ecs.send(
        new CreateServiceCommand({
          cluster,
          serviceName,
          taskDefinition: family,
          desiredCount: 1,
          loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 80 }],
        }),
      );
    const noServices = async () =>
      assert.deepEqual((await ecs.send(new ListServicesCommand({ cluster }))).serviceArns, []);

    it('refuses an ip target group for a bridge-mode task definition, naming both', async () => {
      const ip = await targetGroup('ipsvc', 'ip');
      await listener(await loadBalancer('ipsvc'), await freePort(), forwardTo(ip));
      await rejectsWith(
        create('web-ip', ip),
        InvalidParameterException,
        /target type ip.*bridge network mode/,
      );
      await noServices();
    });

    it('refuses a target group no listener forwards to', async () => {
      const lonely = await targetGroup('lonely', 'instance');
      await rejectsWith(
        create('web-lonely', lonely),
        InvalidParameterException,
        /does not have an associated load balancer/,
      );
      await noServices();
    });

    it('refuses a target group that does not exist', async () => {
      const ghost = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ghost/0123456789abcdef';
      await rejectsWith(
        create('web-ghost', ghost),
        InvalidParameterException,
        /ghost\/0123456789abcdef does not exist/,
      );
      await noServices();
    });
  });

  it('accepts a listener on a port another program holds, serves nothing there, and keeps the others serving', async () => {
    // ELB has no notion of host ports in use, so CreateListener succeeds; the data plane cannot
    // bind the port (EADDRINUSE), logs a listener fault, and keeps serving every other listener.
    // The other program is left alone and keeps answering on its port.
    const held = await freePort();
    const other = createServer((_req, res) => res.end('the other program'));
    servers.push(other);
    await new Promise<void>((resolve) => other.listen(held, '127.0.0.1', resolve));

    const lb = await loadBalancer('held');
    const heldListener = await listener(lb, held, {
      Type: 'fixed-response',
      FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'berth held' },
    });
    const free = await freePort();
    await listener(lb, free, {
      Type: 'fixed-response',
      FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'berth free' },
    });
    const described = await listenersOf(lb);
    assert.deepEqual(
      described.map((l) => l.Port).sort((x, y) => (x ?? 0) - (y ?? 0)),
      [held, free].sort((x, y) => x - y),
    );
    assert.ok(described.some((l) => l.ListenerArn === heldListener));
    // The free listener was created after the held one, so once it answers, the data plane has
    // applied a model with both and tried (and failed) to bind the held port.
    await until('the other listener to answer', async () => {
      const res = await get(free);
      return res.body === 'berth free' ? true : undefined;
    });
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await get(held), { status: 200, body: 'the other program' });
      assert.deepEqual(await get(free), { status: 200, body: 'berth free' });
    }
  });

  it('serves a listener once the program holding its port lets go (faulted listeners are retried)', async () => {
    const held = await freePort();
    const other = createServer((_req, res) => res.end('the other program'));
    servers.push(other);
    await new Promise<void>((resolve) => other.listen(held, '127.0.0.1', resolve));
    const lb = await loadBalancer('later');
    await listener(lb, held, {
      Type: 'fixed-response',
      FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'berth later' },
    });
    const free = await freePort();
    await listener(lb, free, {
      Type: 'fixed-response',
      FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'berth free' },
    });
    await until('the other listener to answer', async () =>
      (await get(free)).body === 'berth free' ? true : undefined,
    );
    assert.equal((await get(held)).body, 'the other program');
    other.closeAllConnections();
    await new Promise((resolve) => other.close(resolve));
    await until(
      'Berth to serve the released port',
      async () => ((await get(held)).body === 'berth later' ? true : undefined),
      5_000,
    );
  });
});
