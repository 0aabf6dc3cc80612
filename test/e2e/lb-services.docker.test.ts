import { CreateServiceCommand, DescribeTasksCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import {
  container,
  freePort,
  sh,
  startDockerHarness,
  until,
  type ClusterHarness,
  type DockerHarness,
} from '../support/docker-agent.js';
import { elbClient, fixed404, forwardTo, path } from '../support/elbv2.js';
import { dockerSkipReason, testDocker } from '../support/images.js';
import { fastDataPlane, fastHaproxyDataPlane, haproxySkipReason } from '../support/data-plane.js';
import { serviceProbes } from '../support/services.js';

/**
 * Issue 6's "Must show" with real containers: an application load balancer with two path rules in
 * front of two services of three tasks each (busybox httpd; every task answers with its own
 * hostname), every task receiving traffic; a rolling deployment and a scale-in under load from
 * `hey` with zero non-2xx responses and zero connection errors; a task whose health-check path
 * starts failing is found unhealthy and replaced.
 */
const dockerSkip = await dockerSkipReason();
const heySkip = await new Promise<string | false>((resolve) => {
  const probe = spawn('hey', ['-h']);
  probe.on('error', () => resolve('hey is not installed (apt-get install hey)'));
  probe.on('exit', () => resolve(false));
});

/** busybox httpd on port 80 serving `<path>/index.html` (its hostname) and `/health`. */
function httpd(route: string, version = 'v1'): string[] {
  return sh(
    [
      `mkdir -p /www${route}`,
      `echo "${version} $HOSTNAME" > /www${route}/index.html`,
      'echo ok > /www/health',
      'exec httpd -f -p 80 -h /www',
    ].join('; '),
  );
}

/** Both data-plane drivers put through the same: the built-in proxy, and HAProxy programmed by Berth. */
const drivers = [
  { name: 'the built-in data plane', dataPlane: fastDataPlane, skip: false as string | false },
  { name: 'the HAProxy driver', dataPlane: fastHaproxyDataPlane, skip: haproxySkipReason() },
];

for (const driver of drivers)
  describe(
    `services behind an application load balancer, on Docker (${driver.name})`,
    { skip: dockerSkip || driver.skip, timeout: 300_000 },
    () => {
      let h: DockerHarness;
      let c: ClusterHarness;
      let elb: ElasticLoadBalancingV2Client;
      let port: number;
      let users: string;
      let orders: string;
      const docker = testDocker();

      const { describeService, liveTasks, steady } = serviceProbes(
        () => c.ecs,
        () => c.cluster,
      );
      const get = async (route: string): Promise<{ status: number; body: string }> => {
        const res = await request(`http://127.0.0.1:${port}${route}`);
        return { status: res.statusCode, body: (await res.body.text()).trim() };
      };
      const healthyTargets = async (group: string): Promise<number> =>
        (
          (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: group })))
            .TargetHealthDescriptions ?? []
        ).filter((d) => d.TargetHealth?.State === 'healthy').length;

      const targetGroup = async (name: string): Promise<string> => {
        const out = await elb.send(
          new CreateTargetGroupCommand({
            Name: name,
            Protocol: 'HTTP',
            Port: 80,
            HealthCheckPath: '/health',
            HealthCheckIntervalSeconds: 5,
            HealthCheckTimeoutSeconds: 2,
            HealthyThresholdCount: 2,
            UnhealthyThresholdCount: 2,
          }),
        );
        const arn = out.TargetGroups?.[0]?.TargetGroupArn ?? '';
        await elb.send(
          new ModifyTargetGroupAttributesCommand({
            TargetGroupArn: arn,
            Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '2' }],
          }),
        );
        return arn;
      };
      const service = async (name: string, family: string, group: string, desiredCount = 3) =>
        c.ecs.send(
          new CreateServiceCommand({
            cluster: c.cluster,
            serviceName: name,
            taskDefinition: family,
            desiredCount,
            loadBalancers: [{ targetGroupArn: group, containerName: 'web', containerPort: 80 }],
            healthCheckGracePeriodSeconds: 0,
          }),
        );
      const web = (route: string, version?: string) =>
        c.register([
          container('web', httpd(route, version), { portMappings: [{ containerPort: 80, hostPort: 0 }] }),
        ]);

      before(async () => {
        h = await startDockerHarness({
          serviceScheduler: { intervalMs: 250, noHealthCheckWaitMs: 1000 },
          dataPlane: driver.dataPlane(),
        });
        c = await h.cluster('lb');
        elb = elbClient(h.berth);
        port = await freePort();
        const suffix = Math.random().toString(36).slice(2, 8);
        const lb = await elb.send(new CreateLoadBalancerCommand({ Name: `shop-${suffix}` }));
        users = await targetGroup(`users-${suffix}`);
        orders = await targetGroup(`orders-${suffix}`);
        const listener = await elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
            Protocol: 'HTTP',
            Port: port,
            DefaultActions: [fixed404],
          }),
        );
        const ListenerArn = listener.Listeners?.[0]?.ListenerArn;
        await elb.send(
          new CreateRuleCommand({
            ListenerArn,
            Priority: 10,
            Conditions: path('/api/user/*'),
            Actions: [forwardTo(users)],
          }),
        );
        await elb.send(
          new CreateRuleCommand({
            ListenerArn,
            Priority: 20,
            Conditions: path('/api/order/*'),
            Actions: [forwardTo(orders)],
          }),
        );
        await service('users', await web('/api/user'), users);
        await service('orders', await web('/api/order'), orders);
        await Promise.all([steady('users', 90_000), steady('orders', 90_000)]);
      });
      after(async () => {
        elb?.destroy();
        await h?.close();
      });

      it('routes by path to two services of three tasks each, every task receiving traffic', async () => {
        assert.equal(await healthyTargets(users), 3);
        assert.equal(await healthyTargets(orders), 3);
        const seen = { user: new Set<string>(), order: new Set<string>() };
        for (let i = 0; i < 30; i++) {
          const u = await get('/api/user/');
          const o = await get('/api/order/');
          assert.equal(u.status, 200);
          assert.equal(o.status, 200);
          seen.user.add(u.body);
          seen.order.add(o.body);
        }
        assert.equal(seen.user.size, 3, `every users task answered: ${[...seen.user].join(', ')}`);
        assert.equal(seen.order.size, 3, `every orders task answered: ${[...seen.order].join(', ')}`);
        const nothing = await get('/elsewhere');
        assert.equal(nothing.status, 404);
        assert.equal(nothing.body, 'no route');
        const s = await describeService('users');
        assert.deepEqual(s.loadBalancers, [
          { targetGroupArn: users, containerName: 'web', containerPort: 80 },
        ]);
        const registered = (s.events ?? [])
          .map((e) => /registered (\d+) targets in \(target-group (.+)\)/.exec(e.message ?? ''))
          .filter((m) => m !== null && !m[0].startsWith('de'))
          .reduce((n, m) => n + Number(m?.[1]), 0);
        assert.equal(registered, 3, 'service events say each target was registered');
      });

      it(
        'rolls a new definition out and scales in under load with no failed request',
        { skip: heySkip },
        async () => {
          const url = `http://127.0.0.1:${port}/api/user/`;
          const keepAlive = spawnHey(url, []);
          const fresh = spawnHey(url, ['-disable-keepalive']);
          await new Promise((r) => setTimeout(r, 1500));
          await c.ecs.send(
            new UpdateServiceCommand({
              cluster: c.cluster,
              service: 'users',
              taskDefinition: await web('/api/user', 'v2'),
            }),
          );
          await until(
            'the v2 deployment to start',
            async () => ((await describeService('users')).deployments?.length ?? 0) > 1 || undefined,
          );
          await steady('users');
          await c.ecs.send(
            new UpdateServiceCommand({ cluster: c.cluster, service: 'users', desiredCount: 2 }),
          );
          await until(
            'scale-in to 2',
            async () =>
              (await liveTasks('users')).filter((t) => t.desiredStatus === 'RUNNING').length === 2 ||
              undefined,
          );
          await until(
            'the stopped task to be gone from the target group',
            async () =>
              (
                (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: users })))
                  .TargetHealthDescriptions ?? []
              ).length === 2 || undefined,
            30_000,
          );
          await new Promise((r) => setTimeout(r, 1000));
          const [a, b] = await Promise.all([keepAlive.stop(), fresh.stop()]);
          for (const [which, out] of [
            ['keep-alive', a],
            ['new connections', b],
          ] as const) {
            const codes = statusCodes(out);
            assert.ok((codes.get(200) ?? 0) > 50, `${which}: hey made requests: ${out}`);
            assert.deepEqual([...codes.keys()], [200], `${which}: only 200s: ${out}`);
            assert.ok(!/Error distribution/.test(out), `${which}: no connection errors: ${out}`);
          }
          const bodies = new Set<string>();
          for (let i = 0; i < 10; i++) bodies.add((await get('/api/user/')).body.split(' ')[0] ?? '');
          assert.deepEqual([...bodies], ['v2']);
        },
      );

      it('replaces a task whose health-check path starts failing', async () => {
        const [victim] = (await liveTasks('orders')).filter((t) => t.lastStatus === 'RUNNING');
        assert.ok(victim?.taskArn);
        const [found] = await docker.listContainers({
          filters: { label: [`com.amazonaws.ecs.task-arn=${victim.taskArn}`] },
        });
        assert.ok(found, 'the victim task has a container');
        const exec = await docker.getContainer(found.Id).exec({ Cmd: ['/bin/busybox', 'rm', '/www/health'] });
        await exec.start({ Detach: true });
        const stopped = await until(
          'the unhealthy task to be stopped',
          async () => {
            const t = (
              await c.ecs.send(
                new DescribeTasksCommand({ cluster: c.cluster, tasks: [victim.taskArn ?? ''] }),
              )
            ).tasks?.[0];
            return t?.lastStatus === 'STOPPED' ? t : undefined;
          },
          60_000,
        );
        assert.match(
          stopped.stoppedReason ?? '',
          /^Task failed ELB health checks in \(target-group arn:aws:elasticloadbalancing:.*\)$/,
        );
        await until(
          'orders back to 3 healthy targets',
          async () => ((await healthyTargets(orders)) === 3 ? true : undefined),
          60_000,
        );
        const s = await describeService('orders');
        assert.equal(s.runningCount, 3);
      });
    },
  );

/** `hey` running until stopped (SIGINT makes it print its report). */
function spawnHey(url: string, extra: string[]): { stop(): Promise<string> } {
  const child = spawn('hey', ['-z', '300s', '-c', '4', '-t', '10', ...extra, url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGINT');
      await exited;
      return out;
    },
  };
}

/** hey's "Status code distribution": code → count. */
function statusCodes(report: string): Map<number, number> {
  const codes = new Map<number, number>();
  for (const m of report.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)) codes.set(Number(m[1]), Number(m[2]));
  return codes;
}
