import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskEngine } from '../../src/agent/engine/engine.js';
import type { ContainerView, StateChange, TaskView } from '../../src/agent/engine/task-runner.js';
import {
  ECS_LABELS,
  taskVolumeName,
  type TaskContainerSpec,
  type TaskSpec,
} from '../../src/agent/engine/task-spec.js';
import { DockerRuntime } from '../../src/agent/runtime/docker.js';
import type { PresentContainerState } from '../../src/agent/runtime/runtime.js';
import { dockerSkipReason, ensureTestImage, TEST_IMAGE, TEST_PAGE, testDocker } from '../support/images.js';

/**
 * The task engine on a real Docker engine with the offline busybox image. Skips with the reason
 * when no daemon answers. Every container carries `berth.test=<this run>` (the engine's extra
 * labels) and `after` removes exactly those.
 */

const RUN = `${process.pid}-${randomBytes(4).toString('hex')}`;
const RUN_LABEL = { 'berth.test': RUN };
const skip = await dockerSkipReason();

/** PID 1 busy but interruptible, with the given SIGTERM disposition. */
const loopWith = (trap: string): string[] => ['sh', '-c', `${trap} while :; do sleep 1 & wait $!; done`];

let counter = 0;
function taskSpec(containers: TaskContainerSpec[], extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskArn: `arn:aws:ecs:local-1:000000000000:task/default/${RUN}-${++counter}`,
    cluster: 'default',
    family: 'berth-test',
    revision: 1,
    desiredStatus: 'RUNNING',
    version: 1,
    containers,
    ...extra,
  };
}

describe('task engine (docker runtime)', { skip }, () => {
  let runtime: DockerRuntime;
  let engine: TaskEngine;
  const reports: StateChange[] = [];

  before(async () => {
    await ensureTestImage();
    runtime = new DockerRuntime({ docker: testDocker() });
    engine = new TaskEngine({
      runtime,
      config: {
        disablePrivileged: true,
        containerStopTimeoutSeconds: 2,
        imagePullBehavior: 'prefer-cached',
        taskCleanupWaitSeconds: 3600,
      },
      report: (change) => reports.push(change),
      additions: { labels: RUN_LABEL },
    });
  });

  after(async () => {
    await engine.close();
    const mine = await runtime.list({ labels: RUN_LABEL });
    await Promise.all(mine.map((c) => runtime.remove(c.runtimeId)));
  });

  const taskReports = (task: TaskSpec): TaskView[] =>
    reports.filter((r): r is TaskView => r.kind === 'task' && r.taskArn === task.taskArn);
  const last = (task: TaskSpec, container: string): ContainerView => {
    const found = reports.filter(
      (r): r is ContainerView =>
        r.kind === 'container' && r.taskArn === task.taskArn && r.containerName === container,
    );
    const view = found.at(-1);
    assert.ok(view, `nothing reported for ${container}`);
    return view;
  };
  async function untilTask(task: TaskSpec, status: TaskView['lastStatus'], timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = taskReports(task).find((r) => r.lastStatus === status);
      if (view) return view;
      if (Date.now() > deadline)
        assert.fail(`task did not reach ${status}: ${JSON.stringify(taskReports(task))}`);
      await sleep(50);
    }
  }

  it('runs busybox httpd on a dynamic port that answers on 127.0.0.1, with the ECS labels', async () => {
    const task = taskSpec([
      {
        name: 'web',
        image: TEST_IMAGE,
        command: ['httpd', '-f', '-p', '80', '-h', '/www'],
        portMappings: [{ containerPort: 80 }],
      },
      { name: 'sidecar', image: TEST_IMAGE, command: loopWith(''), essential: false },
    ]);
    engine.desire([task]);
    await untilTask(task, 'RUNNING');
    const web = last(task, 'web');
    assert.equal(web.lastStatus, 'RUNNING');
    const hostPort = web.networkBindings[0]?.hostPort;
    assert.ok(hostPort !== undefined && hostPort > 0, 'a host port is reported');
    let body = '';
    for (let i = 0; i < 50 && body !== TEST_PAGE; i++) {
      try {
        const response = await fetch(`http://127.0.0.1:${hostPort}/index.html`, {
          signal: AbortSignal.timeout(1000),
        });
        body = await response.text();
      } catch {
        await sleep(100);
      }
    }
    assert.equal(body, TEST_PAGE);
    const state = (await runtime.inspect(web.runtimeId ?? '')) as PresentContainerState;
    assert.equal(state.labels[ECS_LABELS.taskArn], task.taskArn);
    assert.equal(state.labels[ECS_LABELS.containerName], 'web');
    assert.equal(state.labels[ECS_LABELS.family], 'berth-test');
    assert.equal(state.labels[ECS_LABELS.version], '1');
    assert.equal(state.labels[ECS_LABELS.cluster], 'default');
    // The task is RUNNING once its essential container runs; the non-essential sidecar starts
    // alongside it, so it may report a moment later.
    const deadline = Date.now() + 20_000;
    while (
      reports.every(
        (r) =>
          !(
            r.kind === 'container' &&
            r.taskArn === task.taskArn &&
            r.containerName === 'sidecar' &&
            r.lastStatus === 'RUNNING'
          ),
      )
    ) {
      assert.ok(Date.now() < deadline, 'the sidecar never reported RUNNING');
      await sleep(50);
    }
    assert.ok(last(task, 'sidecar').runtimeId);
  });

  it('stops the task when an essential container exits 3', async () => {
    const task = taskSpec([
      { name: 'app', image: TEST_IMAGE, command: ['sh', '-c', 'sleep 1; exit 3'] },
      { name: 'other', image: TEST_IMAGE, command: loopWith('trap "exit 0" TERM;') },
    ]);
    engine.desire([task]);
    const stopped = await untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(last(task, 'app').exitCode, 3);
    assert.equal(last(task, 'other').lastStatus, 'STOPPED');
    assert.equal(last(task, 'other').exitCode, 0);
  });

  it('gives SIGTERM then SIGKILL after stopTimeout on desired STOPPED', async () => {
    const task = taskSpec([
      { name: 'trapper', image: TEST_IMAGE, command: loopWith('trap "exit 0" TERM;'), stopTimeout: 2 },
      { name: 'ignorer', image: TEST_IMAGE, command: loopWith('trap "" TERM;'), stopTimeout: 2 },
    ]);
    engine.desire([task]);
    await untilTask(task, 'RUNNING');
    engine.desire([{ ...task, version: 2, desiredStatus: 'STOPPED' }]);
    const stopped = await untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(last(task, 'trapper').exitCode, 0);
    assert.equal(last(task, 'ignorer').exitCode, 137);
  });

  it('waits for HEALTHY before starting the dependent', async () => {
    const task = taskSpec([
      {
        name: 'db',
        image: TEST_IMAGE,
        command: loopWith(''),
        essential: false,
        healthCheck: { command: ['CMD', 'true'], intervalSeconds: 1 },
      },
      {
        name: 'app',
        image: TEST_IMAGE,
        command: loopWith(''),
        dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }],
      },
    ]);
    engine.desire([task]);
    await untilTask(task, 'RUNNING');
    const healthyAt = reports.findIndex(
      (r) =>
        r.kind === 'container' &&
        r.taskArn === task.taskArn &&
        r.containerName === 'db' &&
        r.healthStatus === 'HEALTHY',
    );
    const appAt = reports.findIndex(
      (r) =>
        r.kind === 'container' &&
        r.taskArn === task.taskArn &&
        r.containerName === 'app' &&
        r.lastStatus === 'RUNNING',
    );
    assert.ok(healthyAt >= 0 && appAt > healthyAt);
  });

  it('refuses a privileged container and stops a task whose image is missing', async () => {
    const privileged = taskSpec([
      { name: 'root', image: TEST_IMAGE, command: loopWith(''), privileged: true },
    ]);
    const missing = taskSpec([{ name: 'app', image: `berth-test/missing-${RUN}:1` }]);
    engine.desire([privileged, missing]);
    const refused = await untilTask(privileged, 'STOPPED');
    assert.equal(refused.stopCode, 'TaskFailedToStart');
    assert.match(refused.stoppedReason ?? '', /ECS_DISABLE_PRIVILEGED/);
    const failed = await untilTask(missing, 'STOPPED', 60_000);
    assert.equal(failed.stopCode, 'TaskFailedToStart');
    assert.match(failed.stoppedReason ?? '', /^CannotPullContainerError/);
  });
});

describe('task engine volumes (docker runtime)', { skip }, () => {
  let runtime: DockerRuntime;
  let engine: TaskEngine;
  const reports: StateChange[] = [];
  /** Every volume this suite may create (removed in `after` if a case left one). */
  const volumes: string[] = [];

  before(async () => {
    await ensureTestImage();
    runtime = new DockerRuntime({ docker: testDocker() });
    engine = new TaskEngine({
      runtime,
      config: {
        disablePrivileged: true,
        containerStopTimeoutSeconds: 2,
        imagePullBehavior: 'prefer-cached',
        taskCleanupWaitSeconds: 0.5,
      },
      report: (change) => reports.push(change),
      additions: { labels: RUN_LABEL },
      eventLabels: RUN_LABEL,
    });
  });

  after(async () => {
    await engine.close();
    const mine = await runtime.list({ labels: RUN_LABEL });
    await Promise.all(mine.map((c) => runtime.remove(c.runtimeId)));
    for (const v of volumes) await runtime.removeVolume(v).catch(() => undefined);
  });

  it('shares a volume read-only through volumesFrom, removes the task volume at cleanup and keeps the shared one', async () => {
    const shared = `berth-test-shared-${RUN}`;
    const task = taskSpec(
      [
        {
          name: 'store',
          image: TEST_IMAGE,
          essential: false,
          command: ['sh', '-c', 'echo hello > /data/msg && echo kept > /keep/msg'],
          mountPoints: [
            { sourceVolume: 'data', containerPath: '/data' },
            { sourceVolume: shared, containerPath: '/keep' },
          ],
        },
        {
          name: 'app',
          image: TEST_IMAGE,
          volumesFrom: [{ sourceContainer: 'store', readOnly: true }],
          dependsOn: [{ containerName: 'store', condition: 'SUCCESS' }],
          // Reads what the source wrote; a write must be refused (read-only).
          command: [
            'sh',
            '-c',
            'test "$(cat /data/msg)" = hello || exit 4; touch /data/x 2>/dev/null && exit 5; exit 0',
          ],
        },
      ],
      { volumes: [{ name: 'data' }, { name: shared, dockerVolumeConfiguration: { scope: 'shared' } }] },
    );
    volumes.push(taskVolumeName(task, 'data'), shared);
    engine.desire([task]);
    const deadline = Date.now() + 30_000;
    const appView = (): ContainerView | undefined =>
      reports
        .filter(
          (r): r is ContainerView =>
            r.kind === 'container' && r.taskArn === task.taskArn && r.containerName === 'app',
        )
        .at(-1);
    while (
      reports.every((r) => !(r.kind === 'task' && r.taskArn === task.taskArn && r.lastStatus === 'STOPPED'))
    ) {
      assert.ok(Date.now() < deadline, `task did not stop: ${JSON.stringify(reports)}`);
      await sleep(50);
    }
    assert.equal(appView()?.exitCode, 0, 'app read the file and could not write');
    while (engine.tasks().some((t) => t.taskArn === task.taskArn)) {
      assert.ok(Date.now() < deadline, 'the task was not cleaned up');
      await sleep(50);
    }
    assert.deepEqual(await runtime.list({ labels: { [ECS_LABELS.taskArn]: task.taskArn } }), []);
    assert.equal(await runtime.removeVolume(taskVolumeName(task, 'data')), false, 'the task volume is gone');
    assert.equal(await runtime.removeVolume(shared), true, 'the shared volume stayed');
  });
});
