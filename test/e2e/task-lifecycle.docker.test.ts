import {
  ClientException,
  ClusterNotFoundException,
  DeregisterTaskDefinitionCommand,
  InvalidParameterException,
  ListTasksCommand,
  RegisterContainerInstanceCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Container,
  type RunTaskCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { arch, cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { agentConfig } from '../../src/agent/config.js';
import { loadIdentity } from '../../src/agent/identity.js';
import { registrationRequest } from '../../src/agent/registration.js';
import {
  container,
  describeTask,
  sh,
  startDockerHarness,
  until,
  type ClusterHarness,
  type DockerHarness,
} from '../support/docker-agent.js';
import { dockerSkipReason, testDocker } from '../support/images.js';
import { uniqueName } from '../support/server.js';

/**
 * What a user sees of real tasks on Docker, through @aws-sdk/client-ecs (issue 3's "Must show",
 * items 4, 5, 6, 8 and 9): dependsOn order, StopTask's SIGTERM → SIGKILL, OOM kills, privileged
 * mode refused by the agent, and bad RunTask input that starts nothing. Skipped with the reason
 * when no Docker daemon answers.
 */

const dockerSkip = await dockerSkipReason();

function named(t: Task, name: string): Container {
  const c = t.containers?.find((x) => x.name === name);
  assert.ok(c, `container ${name} in ${describeTask(t)}`);
  return c;
}

/** Docker's view of a container: when it started and finished, and its health-check log. */
async function inspect(runtimeId: string | undefined) {
  assert.ok(runtimeId, 'the container has a runtime id');
  const info = await testDocker().getContainer(runtimeId).inspect();
  const time = (text: string | undefined): number => Date.parse(text ?? '');
  const state = info.State as typeof info.State & {
    Health?: { Log?: { Start: string; End: string; ExitCode: number }[] };
  };
  return {
    startedAt: time(state.StartedAt),
    finishedAt: time(state.FinishedAt),
    firstHealthy: (state.Health?.Log ?? []).filter((l) => l.ExitCode === 0).map((l) => time(l.Start))[0],
  };
}

describe(
  'tasks on Docker: order, stops and limits',
  { skip: dockerSkip, concurrency: true, timeout: 90_000 },
  () => {
    let h: DockerHarness;
    let c: ClusterHarness;

    before(async () => {
      h = await startDockerHarness();
      c = await h.cluster('lifecycle');
    });
    after(async () => {
      await h?.close();
    });

    it('4. starts containers in dependsOn order: HEALTHY, START and SUCCESS', async () => {
      const family = await c.register([
        container('a', sh('sleep 3; touch /tmp/ready; exec sleep 600'), {
          healthCheck: { command: ['CMD-SHELL', 'test -f /tmp/ready'], interval: 5, timeout: 2, retries: 1 },
        }),
        container('b', ['sleep', '600'], { dependsOn: [{ containerName: 'a', condition: 'HEALTHY' }] }),
        container('c', ['sleep', '600'], { dependsOn: [{ containerName: 'a', condition: 'START' }] }),
        container('init', sh('sleep 2; exit 0'), { essential: false }),
        container('d', ['sleep', '600'], { dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] }),
      ]);
      const arn = await c.run(family);
      // While a is not healthy yet, b waits.
      const early = await until('a RUNNING', async () => {
        const t = await c.task(arn);
        return named(t, 'a').lastStatus === 'RUNNING' ? t : undefined;
      });
      assert.equal(
        named(early, 'b').lastStatus,
        'PENDING',
        `b waits for a to be HEALTHY: ${describeTask(early)}`,
      );

      const running = await until(
        'every container but init RUNNING',
        async () => {
          const t = await c.task(arn);
          return ['a', 'b', 'c', 'd'].every((n) => named(t, n).lastStatus === 'RUNNING') ? t : undefined;
        },
        30_000,
      );
      assert.equal(running.lastStatus, 'RUNNING');
      assert.equal(named(running, 'init').lastStatus, 'STOPPED');
      assert.equal(named(running, 'init').exitCode, 0);

      const [a, b, cc, init, d] = await Promise.all(
        ['a', 'b', 'c', 'init', 'd'].map((n) => inspect(named(running, n).runtimeId)),
      );
      assert.ok(a!.firstHealthy !== undefined, 'a has a successful health check');
      assert.ok(
        b!.startedAt >= a!.firstHealthy,
        `b started ${a!.firstHealthy - b!.startedAt} ms before a was healthy`,
      );
      assert.ok(b!.startedAt >= a!.startedAt + 3000, 'b started after a created /tmp/ready');
      assert.ok(cc!.startedAt >= a!.startedAt, 'c started after a started');
      assert.ok(
        d!.startedAt >= init!.finishedAt,
        `d started ${init!.finishedAt - d!.startedAt} ms before init exited`,
      );

      await c.ecs.send(new StopTaskCommand({ cluster: c.cluster, task: arn }));
      await c.waitFor(arn, 'STOPPED');
    });

    it("4b. shows a container's health check result in DescribeTasks (container and task healthStatus)", async () => {
      const check = (command: string) => ({
        command: ['CMD-SHELL', command],
        interval: 5,
        timeout: 2,
        retries: 1,
      });
      const good = await c.register([
        container('a', ['sleep', '600'], { healthCheck: check('true') }),
        container('side', ['sleep', '600'], { essential: false, healthCheck: check('false') }),
      ]);
      const bad = await c.register([container('a', ['sleep', '600'], { healthCheck: check('false') })]);
      const [okArn, badArn] = await Promise.all([c.run(good), c.run(bad)]);
      await Promise.all([c.waitFor(okArn, 'RUNNING'), c.waitFor(badArn, 'RUNNING')]);
      try {
        const [healthy, unhealthy] = await Promise.all([
          until(
            'HEALTHY and UNHEALTHY containers in DescribeTasks',
            async () => {
              const t = await c.task(okArn);
              const seen = [named(t, 'a').healthStatus, named(t, 'side').healthStatus];
              return seen.join() === 'HEALTHY,UNHEALTHY' ? t : undefined;
            },
            15_000,
          ),
          until(
            'UNHEALTHY in DescribeTasks',
            async () => {
              const t = await c.task(badArn);
              return named(t, 'a').healthStatus === 'UNHEALTHY' ? t : undefined;
            },
            15_000,
          ),
        ]);
        assert.equal(
          healthy.healthStatus,
          'HEALTHY',
          `the task is as healthy as its essential container, whatever the non-essential one: ${describeTask(healthy)}`,
        );
        assert.equal(unhealthy.healthStatus, 'UNHEALTHY', describeTask(unhealthy));
        // The pull times reach DescribeTasks on the task's RUNNING report (no call of their own).
        assert.ok(healthy.pullStartedAt && healthy.pullStoppedAt, describeTask(healthy));
        assert.ok(healthy.pullStoppedAt <= healthy.startedAt!, describeTask(healthy));
        assert.equal(unhealthy.lastStatus, 'RUNNING', 'a task run by hand goes on while unhealthy');
      } finally {
        await Promise.all(
          [okArn, badArn].map((task) => c.ecs.send(new StopTaskCommand({ cluster: c.cluster, task }))),
        );
      }
    });

    it('5. StopTask: SIGTERM, then SIGKILL after stopTimeout for a container that ignores it', async () => {
      const stubborn = await c.register([
        container('main', sh("trap '' TERM; sleep 600 & wait; sleep 600"), { stopTimeout: 3 }),
      ]);
      const polite = await c.register([
        container('main', sh("trap 'exit 7' TERM; sleep 600 & wait"), { stopTimeout: 10 }),
      ]);
      const [s, p] = await Promise.all([c.run(stubborn), c.run(polite)]);
      await Promise.all([c.waitFor(s, 'RUNNING'), c.waitFor(p, 'RUNNING')]);
      await sleep(300); // the shells have set their traps

      const stopAndTime = async (task: string, reason: string): Promise<[Task, number]> => {
        const start = Date.now();
        await c.ecs.send(new StopTaskCommand({ cluster: c.cluster, task, reason }));
        const stopped = await c.waitFor(task, 'STOPPED', 20_000);
        return [stopped, Date.now() - start];
      };
      const [[sTask, sMs], [pTask, pMs]] = await Promise.all([
        stopAndTime(s, 'stubborn test'),
        stopAndTime(p, 'polite test'),
      ]);

      assert.ok(sMs >= 3000, `ignoring SIGTERM, it stopped after ${sMs} ms, before its stopTimeout of 3 s`);
      assert.equal(named(sTask, 'main').exitCode, 137, `SIGKILL: ${describeTask(sTask)}`);
      assert.equal(sTask.stopCode, 'UserInitiated');
      assert.equal(sTask.stoppedReason, 'stubborn test');

      assert.ok(pMs < 3000, `handling SIGTERM, it took ${pMs} ms to stop`);
      assert.equal(named(pTask, 'main').exitCode, 7, `its own exit code: ${describeTask(pTask)}`);
      assert.equal(pTask.stopCode, 'UserInitiated');
      assert.equal(pTask.stoppedReason, 'polite test');
    });

    it('6. stops a task whose container exceeds its memory limit with OutOfMemoryError', async () => {
      const family = await c.register([
        container('hog', sh('sleep 1; x=$(yes | head -c 64000000); echo ${#x}; sleep 600'), {
          memory: 8,
          linuxParameters: { maxSwap: 0 },
        }),
      ]);
      const arn = await c.run(family);
      const stopped = await c.waitFor(arn, 'STOPPED');
      const hog = named(stopped, 'hog');
      assert.match(hog.reason ?? '', /^OutOfMemoryError/, describeTask(stopped));
      assert.equal(hog.exitCode, 137);
      assert.equal(stopped.stopCode, 'EssentialContainerExited');
    });

    it('8. refuses a privileged container when the agent disables privileged mode, and runs nothing', async () => {
      const locked = await h.cluster('noprivileged', { ECS_DISABLE_PRIVILEGED: 'true' });
      const family = await locked.register([container('root', ['sleep', '600'], { privileged: true })]);

      // The agent does not advertise the capability, so placement refuses (as ECS does).
      const refused = await locked.ecs.send(
        new RunTaskCommand({ cluster: locked.cluster, taskDefinition: family }),
      );
      assert.deepEqual(refused.tasks, []);
      assert.deepEqual(
        refused.failures?.map((f) => [f.arn, f.reason]),
        [[locked.instanceArn, 'ATTRIBUTE']],
      );

      // A stale registration that still claims the capability: the task reaches the agent, which
      // refuses it itself.
      const config = agentConfig({ ECS_CLUSTER: locked.cluster });
      const host = {
        cpuUnits: cpus().length * 1024,
        memoryMiB: Math.floor(totalmem() / 1024 / 1024),
        cpuArchitecture: arch() === 'x64' ? 'x86_64' : arch(),
        engineVersion: (await testDocker().version()).Version,
      };
      const stale = registrationRequest(
        config,
        host,
        loadIdentity(locked.dataDir).hostId,
        locked.instanceArn,
      );
      await locked.ecs.send(new RegisterContainerInstanceCommand(stale));
      const arn = await locked.run(family);
      const stopped = await locked.waitFor(arn, 'STOPPED');
      assert.match(named(stopped, 'root').reason ?? '', /privileged/i, describeTask(stopped));
      assert.match(stopped.stoppedReason ?? '', /privileged/i);
      assert.equal(stopped.stopCode, 'TaskFailedToStart');
      assert.equal(named(stopped, 'root').lastStatus, 'STOPPED');
      assert.equal(named(stopped, 'root').exitCode, undefined, 'it never ran');
      assert.deepEqual(await locked.dockerContainers(), [], 'no container was created');
    });

    it('9. answers bad RunTask input with AWS errors and starts nothing on the host', async () => {
      const quiet = await h.cluster('badinput');
      const family = await quiet.register([container('main', ['sleep', '600'])]);
      const gone = await quiet.register([container('main', ['sleep', '600'])]);
      await quiet.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `${gone}:1` }));
      const cases: [Partial<RunTaskCommandInput>, abstract new (...args: never[]) => Error, RegExp][] = [
        [{ taskDefinition: `${gone}:1` }, InvalidParameterException, /^TaskDefinition is inactive$/],
        [{ taskDefinition: `${gone}` }, ClientException, /does not exist|not found/i],
        [{ taskDefinition: uniqueName('missing') }, ClientException, /does not exist|not found/i],
        [{ count: 0 }, InvalidParameterException, /count/i],
        [{ count: 11 }, InvalidParameterException, /count/i],
        [{ cluster: uniqueName('nowhere') }, ClusterNotFoundException, /Cluster not found/],
        [
          { overrides: { containerOverrides: [{ name: 'nobody', command: ['x'] }] } },
          InvalidParameterException,
          /nobody/,
        ],
      ];
      for (const [input, type, message] of cases) {
        await assert.rejects(
          quiet.ecs.send(new RunTaskCommand({ cluster: quiet.cluster, taskDefinition: family, ...input })),
          (err: Error) => {
            assert.ok(err instanceof type, `${JSON.stringify(input)}: ${err.name}: ${err.message}`);
            assert.match(err.message, message, JSON.stringify(input));
            return true;
          },
        );
      }
      await sleep(1000); // time for a wrongly placed task to reach the agent
      for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
        const listed = await quiet.ecs.send(new ListTasksCommand({ cluster: quiet.cluster, desiredStatus }));
        assert.deepEqual(listed.taskArns, [], `no ${desiredStatus} task`);
      }
      assert.deepEqual(await quiet.dockerContainers(), [], 'no container carries the cluster label');
    });
  },
);
