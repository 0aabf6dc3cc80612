import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskEngine } from '../../src/agent/engine/engine.js';
import { LOST_REASON, type StateChange, type TaskView } from '../../src/agent/engine/task-runner.js';
import {
  containerSpecFor,
  ECS_LABELS,
  type TaskContainerSpec,
  type TaskSpec,
} from '../../src/agent/engine/task-spec.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';

/**
 * Agent restart safety at the engine: a second engine over the same runtime (what a restarted
 * agent builds) is handed the containers the first one left (`adopt`) and the control plane's view
 * of the tasks (`desire`), and must take them over — never start a duplicate — report what changed
 * while no one watched, and remove containers of tasks the control plane no longer assigns.
 */

const IMAGE = 'berth-test/busybox:1';
const RUN = randomBytes(4).toString('hex');
const CONFIG = {
  disablePrivileged: false,
  containerStopTimeoutSeconds: 1,
  imagePullBehavior: 'default',
  taskCleanupWaitSeconds: 3600,
} as const;

let counter = 0;
function taskSpec(containers: TaskContainerSpec[], extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskArn: `arn:aws:ecs:local-1:000000000000:task/default/${RUN}${++counter}`,
    cluster: 'default',
    family: 'web',
    revision: 1,
    desiredStatus: 'RUNNING',
    version: 1,
    containers,
    ...extra,
  };
}

const svc = (name: string, extra: Partial<TaskContainerSpec> = {}): TaskContainerSpec => ({
  name,
  image: IMAGE,
  ...extra,
});

interface Agent {
  readonly engine: TaskEngine;
  readonly reports: StateChange[];
  untilTask(task: TaskSpec, status: TaskView['lastStatus']): Promise<TaskView>;
}

const fakes: FakeRuntime[] = [];
const engines: TaskEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  for (const f of fakes.splice(0)) f.dispose();
});

function newFake(): FakeRuntime {
  const fake = new FakeRuntime({ localImages: [IMAGE] });
  fakes.push(fake);
  return fake;
}

function agent(fake: FakeRuntime): Agent {
  const reports: StateChange[] = [];
  const engine = new TaskEngine({ runtime: fake, config: CONFIG, report: (c) => reports.push(c) });
  engines.push(engine);
  const taskReports = (task: TaskSpec): TaskView[] =>
    reports.filter((r): r is TaskView => r.kind === 'task' && r.taskArn === task.taskArn);
  return {
    engine,
    reports,
    async untilTask(task, status) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = taskReports(task).find((r) => r.lastStatus === status);
        if (found) return found;
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${status}: ${JSON.stringify(reports)}`);
        await sleep(5);
      }
    },
  };
}

/** Runs `task` on a first engine until RUNNING, then closes that engine (the agent "crashes"). */
async function runThenCrash(fake: FakeRuntime, task: TaskSpec): Promise<void> {
  const first = agent(fake);
  first.engine.desire([task]);
  await first.untilTask(task, 'RUNNING');
  await first.engine.close();
}

/** What a restarted agent does: adopt what the task labels find, then take the control plane's view. */
async function restart(fake: FakeRuntime, specs: TaskSpec[]): Promise<Agent> {
  const second = agent(fake);
  second.engine.adopt(await fake.list({ labels: { [ECS_LABELS.cluster]: 'default' } }));
  second.engine.desire(specs);
  return second;
}

const containersOf = (fake: FakeRuntime, task: TaskSpec) =>
  fake.list({ labels: { [ECS_LABELS.taskArn]: task.taskArn } });

describe('task engine after an agent restart', () => {
  it('takes over a running task: reports it RUNNING and starts no second container', async () => {
    const fake = newFake();
    const task = taskSpec([svc('web'), svc('sidecar', { essential: false })]);
    await runThenCrash(fake, task);
    const before = (await containersOf(fake, task)).map((c) => c.runtimeId).sort();
    assert.equal(before.length, 2);

    const second = await restart(fake, [{ ...task, version: 5, startedContainers: ['web', 'sidecar'] }]);
    const view = await second.untilTask(task, 'RUNNING');
    assert.equal(view.desiredStatus, 'RUNNING');
    await sleep(50);
    const after = (await containersOf(fake, task)).map((c) => c.runtimeId).sort();
    assert.deepEqual(after, before, 'the same containers, none added');
    const snapshot = second.engine.task(task.taskArn);
    assert.deepEqual(
      snapshot?.containers.map((c) => c.lastStatus),
      ['RUNNING', 'RUNNING'],
    );
  });

  it('reports a container that exited while the agent was away, with its exit code', async () => {
    const fake = newFake();
    const task = taskSpec([svc('web')]);
    await runThenCrash(fake, task);
    const [web] = await containersOf(fake, task);
    fake.exit(web?.runtimeId ?? '', 3);

    const second = await restart(fake, [{ ...task, version: 5, startedContainers: ['web'] }]);
    const stopped = await second.untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    const container = second.reports.find(
      (r) => r.kind === 'container' && r.taskArn === task.taskArn && r.lastStatus === 'STOPPED',
    );
    assert.equal(container?.kind === 'container' ? container.exitCode : undefined, 3);
    assert.equal((await containersOf(fake, task)).length, 1, 'nothing was started again');
  });

  it('reports a started container that vanished as lost, and does not start it again', async () => {
    const fake = newFake();
    const task = taskSpec([svc('web')]);
    await runThenCrash(fake, task);
    const [web] = await containersOf(fake, task);
    await fake.remove(web?.runtimeId ?? '');

    const second = await restart(fake, [{ ...task, version: 5, startedContainers: ['web'] }]);
    const stopped = await second.untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    const container = second.reports.find((r) => r.kind === 'container' && r.taskArn === task.taskArn);
    assert.equal(container?.kind === 'container' ? container.reason : undefined, LOST_REASON);
    await sleep(50);
    assert.equal((await containersOf(fake, task)).length, 0, 'no replacement container');
  });

  it('starts the container a crash left created but not started, instead of creating another', async () => {
    const fake = newFake();
    const task = taskSpec([svc('web')]);
    const created = await fake.create(containerSpecFor(task, svc('web'), CONFIG));

    const second = await restart(fake, [task]);
    await second.untilTask(task, 'RUNNING');
    const all = await containersOf(fake, task);
    assert.deepEqual(
      all.map((c) => [c.runtimeId, c.status]),
      [[created, 'running']],
    );
  });

  it('stops adopted containers of a task the control plane stopped meanwhile', async () => {
    const fake = newFake();
    const task = taskSpec([svc('web')]);
    await runThenCrash(fake, task);

    const second = await restart(fake, [
      {
        ...task,
        version: 9,
        desiredStatus: 'STOPPED',
        stoppedReason: 'scaled in',
        startedContainers: ['web'],
      },
    ]);
    const stopped = await second.untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.stoppedReason, 'scaled in');
    const [web] = await containersOf(fake, task);
    assert.equal(web?.status, 'exited');
  });

  it('removes the containers of tasks the control plane no longer assigns here', async () => {
    const fake = newFake();
    const kept = taskSpec([svc('web')]);
    const gone = taskSpec([svc('web')]);
    const first = agent(fake);
    first.engine.desire([kept, gone]);
    await Promise.all([first.untilTask(kept, 'RUNNING'), first.untilTask(gone, 'RUNNING')]);
    await first.engine.close();

    const second = await restart(fake, [{ ...kept, version: 2, startedContainers: ['web'] }]);
    await second.engine.orphansRemoved();
    assert.equal((await containersOf(fake, gone)).length, 0, 'the orphan is removed');
    assert.equal((await containersOf(fake, kept)).length, 1, 'the assigned task keeps its container');
    await second.untilTask(kept, 'RUNNING');
  });
});
