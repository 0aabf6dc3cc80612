import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup, startBerth, type BerthProcess } from '../support/berth-process.js';
import { startFakeHosts, type FakeHosts } from '../support/fake-hosts.js';
import { uniqueName } from '../support/server.js';
import { until } from '../support/until.js';

/**
 * kill -9 the control plane in the middle of a rolling deployment, then start it again on the same
 * data dir and port: the deployment finishes from the stored state, no task is started twice, and
 * the bounds hold throughout (sampled whenever the control plane answers). The hosts are simulated
 * agents in this process; `berth up` runs as a separate process.
 */
describe('a control plane killed mid-deployment', { timeout: 180_000 }, () => {
  let berth: BerthProcess | undefined;
  let hosts: FakeHosts | undefined;
  after(async () => {
    await hosts?.close();
    await berth?.stop('SIGKILL').catch(() => undefined);
    await cleanup();
  });

  it('finishes the deployment after a restart, without duplicates, within min/max', async () => {
    const flags = ['--task-health-wait', '1'];
    berth = await startBerth({ args: flags });
    const { dataDir, port } = berth;
    const cluster = uniqueName('fault');
    const family = uniqueName('fault');
    let ecs: ECSClient = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    hosts = await startFakeHosts(berth, cluster, 3);
    for (const image of ['web:1', 'web:2'])
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: [{ name: 'app', image, memory: 64 }],
        }),
      );

    const live = async (): Promise<Task[]> => {
      const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: 'web' }))).taskArns ?? [];
      return arns.length
        ? ((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [])
        : [];
    };
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: 'web',
        taskDefinition: `${family}:1`,
        desiredCount: 4,
      }),
    );
    await until('4 running tasks of revision 1', async () => {
      const tasks = await live();
      const settled = tasks.filter(
        (t) => t.lastStatus === 'RUNNING' && Date.now() - (t.startedAt?.getTime() ?? 0) > 1500,
      );
      return settled.length === 4 ? true : undefined;
    });

    // Sample the bounds (defaults 100% / 200%) whenever the control plane answers.
    let minRunning = Infinity;
    let maxLive = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const tasks = await live();
          minRunning = Math.min(minRunning, tasks.filter((t) => t.lastStatus === 'RUNNING').length);
          maxLive = Math.max(maxLive, tasks.length);
        } catch {
          // The control plane is down: nothing to sample.
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await ecs.send(new UpdateServiceCommand({ cluster, service: 'web', taskDefinition: `${family}:2` }));
    await until('the deployment to be under way', async () =>
      (await live()).some((t) => t.taskDefinitionArn?.endsWith(`${family}:2`)) ? true : undefined,
    );
    assert.equal((await berth.stop('SIGKILL')).signal, 'SIGKILL');
    berth = await startBerth({ dataDir, args: ['--port', String(port), ...flags] });
    ecs = berth.ecs();

    const done = await until(
      'the deployment to complete after the restart',
      async () => {
        const s = (await ecs.send(new DescribeServicesCommand({ cluster, services: ['web'] }))).services?.[0];
        const one = s?.deployments?.length === 1 && s.deployments[0]?.rolloutState === 'COMPLETED';
        return one && s.deployments?.[0]?.taskDefinition?.endsWith(`${family}:2`) && s.runningCount === 4
          ? s
          : undefined;
      },
      90_000,
    );
    sampling = false;
    await sampler;
    assert.equal(done.runningCount, 4);
    // Every revision-2 task ever started, stopped ones included: exactly the 4 wanted, none twice.
    const everyArn = [
      ...((await ecs.send(new ListTasksCommand({ cluster, serviceName: 'web' }))).taskArns ?? []),
      ...((await ecs.send(new ListTasksCommand({ cluster, serviceName: 'web', desiredStatus: 'STOPPED' })))
        .taskArns ?? []),
    ];
    const every = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: everyArn }))).tasks ?? [];
    assert.equal(every.filter((t) => t.taskDefinitionArn?.endsWith(`${family}:2`)).length, 4);
    assert.ok(minRunning >= 4, `running tasks fell to ${minRunning} (min healthy 100%)`);
    assert.ok(maxLive <= 8, `${maxLive} live tasks at once (max 200%)`);
  });
});
