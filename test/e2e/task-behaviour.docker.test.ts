import { RunTaskCommand, StopTaskCommand, type Container, type Task } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  container,
  describeTask,
  freePort,
  sh,
  startDockerHarness,
  until,
  type ClusterHarness,
  type DockerHarness,
} from '../support/docker-agent.js';
import { dockerSkipReason, TEST_PAGE } from '../support/images.js';

/**
 * What a user sees of real tasks on Docker, through @aws-sdk/client-ecs (issue 3's "Must show",
 * items 1, 2, 3 and 7): host ports that answer HTTP, a static port refused the second time,
 * essential and non-essential exits, and command overrides. One control plane, one in-process
 * agent on the local Docker engine; the tests run concurrently on one cluster. Skipped with the
 * reason when no Docker daemon answers.
 */

const dockerSkip = await dockerSkipReason();

function named(t: Task, name: string): Container {
  const c = t.containers?.find((x) => x.name === name);
  assert.ok(c, `container ${name} in ${describeTask(t)}`);
  return c;
}

function hostPortOf(t: Task, name: string): number {
  const port = named(t, name).networkBindings?.[0]?.hostPort;
  assert.ok(port !== undefined && port > 0, `a host port for ${name}: ${describeTask(t)}`);
  return port;
}

/** GET http://127.0.0.1:<port><path>, retried until it answers 200. */
async function httpGet(port: number, path = '/index.html'): Promise<string> {
  return until(`HTTP on 127.0.0.1:${port}${path}`, async () => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    const text = await response.text();
    return response.status === 200 ? text : undefined;
  });
}

describe(
  'tasks on Docker: ports, exits and overrides',
  { skip: dockerSkip, concurrency: true, timeout: 90_000 },
  () => {
    let h: DockerHarness;
    let c: ClusterHarness;

    before(async () => {
      h = await startDockerHarness();
      c = await h.cluster('behaviour');
    });
    after(async () => {
      await h?.close();
    });

    const web = (hostPort: number) =>
      container('web', ['httpd', '-f', '-p', '8080', '-h', '/www'], {
        portMappings: [{ containerPort: 8080, hostPort }],
      });

    it('1. runs two web tasks on different dynamic host ports, and both answer HTTP', async () => {
      const family = await c.register([web(0)]);
      const [a, b] = await Promise.all([c.run(family), c.run(family)]);
      const [ta, tb] = await Promise.all([c.waitFor(a, 'RUNNING'), c.waitFor(b, 'RUNNING')]);
      const [pa, pb] = [hostPortOf(ta, 'web'), hostPortOf(tb, 'web')];
      assert.notEqual(pa, pb, 'two tasks on one host get different host ports');
      assert.equal(named(ta, 'web').networkBindings?.[0]?.containerPort, 8080);
      assert.deepEqual(await Promise.all([httpGet(pa), httpGet(pb)]), [TEST_PAGE, TEST_PAGE]);

      await Promise.all([a, b].map((task) => c.ecs.send(new StopTaskCommand({ cluster: c.cluster, task }))));
      await Promise.all([c.waitFor(a, 'STOPPED'), c.waitFor(b, 'STOPPED')]);
      await assert.rejects(
        fetch(`http://127.0.0.1:${pa}/`, { signal: AbortSignal.timeout(2000) }),
        'nothing answers on the port once the task stopped',
      );
    });

    it('2. runs a task on a static host port and refuses a second one with RESOURCE:PORTS, starting nothing', async () => {
      const port = await freePort();
      const family = await c.register([web(port)]);
      const first = await c.run(family);
      const running = await c.waitFor(first, 'RUNNING');
      assert.equal(hostPortOf(running, 'web'), port);
      assert.equal(await httpGet(port), TEST_PAGE);

      const second = await c.ecs.send(new RunTaskCommand({ cluster: c.cluster, taskDefinition: family }));
      assert.deepEqual(second.tasks, []);
      assert.deepEqual(
        second.failures?.map((f) => [f.arn, f.reason]),
        [[c.instanceArn, 'RESOURCE:PORTS']],
      );
      const containers = await c.dockerContainers({ 'com.amazonaws.ecs.task-definition-family': family });
      assert.equal(containers.length, 1, 'only the first task has a container');

      await c.ecs.send(new StopTaskCommand({ cluster: c.cluster, task: first }));
      await c.waitFor(first, 'STOPPED');
    });

    it('3a. stops the task when an essential container exits, with its exit code and EssentialContainerExited', async () => {
      const family = await c.register([
        container('main', sh('sleep 1; exit 3')),
        container('side', ['sleep', '600'], { essential: false }),
      ]);
      const arn = await c.run(family);
      const stopped = await c.waitFor(arn, 'STOPPED');
      assert.equal(stopped.stopCode, 'EssentialContainerExited', describeTask(stopped));
      assert.ok(stopped.stoppedReason && stopped.stoppedReason.length > 0, 'a stoppedReason is given');
      assert.match(stopped.stoppedReason, /essential container/i);
      assert.equal(named(stopped, 'main').exitCode, 3);
      assert.equal(named(stopped, 'main').lastStatus, 'STOPPED');
      const side = named(stopped, 'side');
      assert.equal(side.lastStatus, 'STOPPED', 'the other containers are stopped too');
      // It was started alongside main and stopped (SIGKILL after the stop timeout) before the task
      // became STOPPED, not just marked STOPPED while Docker still ran it.
      assert.equal(side.exitCode, 137, describeTask(stopped));
      assert.equal(stopped.desiredStatus, 'STOPPED');
      // Docker's container list may lag its own die event by a moment: wait briefly for it.
      await until(
        'no container of the task running in Docker',
        async () => {
          const listed = await c.dockerContainers({ 'com.amazonaws.ecs.task-arn': arn });
          return listed.length === 2 && listed.every((x) => x.State !== 'running') ? true : undefined;
        },
        5000,
      );
    });

    it('3b. keeps the task RUNNING when a non-essential container exits, that container STOPPED with its code', async () => {
      const family = await c.register([
        container('main', ['sleep', '600']),
        container('helper', sh('sleep 1; exit 5'), { essential: false }),
      ]);
      const arn = await c.run(family);
      await c.waitFor(arn, 'RUNNING');
      const helperStopped = await until('the helper STOPPED', async () => {
        const t = await c.task(arn);
        return named(t, 'helper').lastStatus === 'STOPPED' ? t : undefined;
      });
      assert.equal(named(helperStopped, 'helper').exitCode, 5);
      // Still running a little later: the exit did not stop the task.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const later = await c.task(arn);
      assert.equal(later.lastStatus, 'RUNNING', describeTask(later));
      assert.equal(later.desiredStatus, 'RUNNING');
      assert.equal(named(later, 'main').lastStatus, 'RUNNING');
      assert.equal(named(later, 'helper').lastStatus, 'STOPPED');
      assert.equal(named(later, 'helper').exitCode, 5);

      await c.ecs.send(new StopTaskCommand({ cluster: c.cluster, task: arn }));
      await c.waitFor(arn, 'STOPPED');
    });

    it("7. runs the override's command instead of the definition's", async () => {
      const family = await c.register([
        container('web', ['httpd', '-f', '-p', '8080', '-h', '/nowhere'], {
          portMappings: [{ containerPort: 8080, hostPort: 0 }],
        }),
      ]);
      // The definition's httpd serves an empty dir; the override's serves the test page.
      const arn = await c.run(family, {
        containerOverrides: [{ name: 'web', command: ['httpd', '-f', '-p', '8080', '-h', '/www'] }],
      });
      const running = await c.waitFor(arn, 'RUNNING');
      assert.equal(await httpGet(hostPortOf(running, 'web')), TEST_PAGE);
      await c.ecs.send(new StopTaskCommand({ cluster: c.cluster, task: arn }));

      // And an exit code chosen by the override.
      const exiting = await c.register([container('main', sh('exit 1'))]);
      const overridden = await c.run(exiting, {
        containerOverrides: [{ name: 'main', command: sh('exit 42') }],
      });
      const stopped = await c.waitFor(overridden, 'STOPPED');
      assert.equal(named(stopped, 'main').exitCode, 42, describeTask(stopped));
      assert.equal(stopped.stopCode, 'EssentialContainerExited');
      await c.waitFor(arn, 'STOPPED');
    });
  },
);
