import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskEngine } from '../../src/agent/engine/engine.js';
import {
  OOM_REASON,
  type ContainerView,
  type StateChange,
  type TaskView,
} from '../../src/agent/engine/task-runner.js';
import {
  ContainerRefusedError,
  containerSpecFor,
  ECS_LABELS,
  runtimeContainerName,
  taskVolumeName,
  type TaskContainerSpec,
  type TaskSpec,
} from '../../src/agent/engine/task-spec.js';
import type { AgentConfig } from '../../src/agent/config.js';
import { FakeRuntime, type FakeBehavior } from '../../src/agent/runtime/fake.js';
import type { PresentContainerState } from '../../src/agent/runtime/runtime.js';

/**
 * The task engine against the in-memory runtime: fast and deterministic. Each case runs one task
 * through a fresh engine and checks what the engine reported (the future SubmitTaskStateChange /
 * SubmitContainerStateChange) and what it did to the containers.
 */

const IMAGE = 'berth-test/busybox:1';
const RUN = randomBytes(4).toString('hex');

type EngineConfig = Pick<
  AgentConfig,
  'disablePrivileged' | 'containerStopTimeoutSeconds' | 'imagePullBehavior' | 'taskCleanupWaitSeconds'
>;
const CONFIG: EngineConfig = {
  disablePrivileged: false,
  containerStopTimeoutSeconds: 5,
  imagePullBehavior: 'default',
  taskCleanupWaitSeconds: 3600,
};

let counter = 0;
function taskSpec(containers: TaskContainerSpec[], extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskArn: `arn:aws:ecs:local-1:000000000000:task/default/${RUN}${++counter}`,
    cluster: 'default',
    family: 'web',
    revision: 3,
    desiredStatus: 'RUNNING',
    version: 1,
    containers,
    ...extra,
  };
}

/** A container that runs until stopped (the fake's default process). */
const svc = (name: string, extra: Partial<TaskContainerSpec> = {}): TaskContainerSpec => ({
  name,
  image: IMAGE,
  ...extra,
});

interface Harness {
  readonly fake: FakeRuntime;
  readonly engine: TaskEngine;
  readonly reports: StateChange[];
  program(task: TaskSpec, container: string, behavior: FakeBehavior): void;
  taskReports(task: TaskSpec): TaskView[];
  containerReports(task: TaskSpec, container: string): ContainerView[];
  until(what: string, probe: () => boolean, timeoutMs?: number): Promise<void>;
  untilTask(task: TaskSpec, status: TaskView['lastStatus']): Promise<TaskView>;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.engine.close();
    h.fake.dispose();
  }
});

function harness(config: Partial<EngineConfig> = {}): Harness {
  const fake = new FakeRuntime({ localImages: [IMAGE] });
  const reports: StateChange[] = [];
  const engine = new TaskEngine({
    runtime: fake,
    config: { ...CONFIG, ...config },
    report: (change) => reports.push(change),
  });
  const taskReports = (task: TaskSpec): TaskView[] =>
    reports.filter((r): r is TaskView => r.kind === 'task' && r.taskArn === task.taskArn);
  const until = async (what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(reports)}`);
      await sleep(5);
    }
  };
  const h: Harness = {
    fake,
    engine,
    reports,
    program: (task, container, behavior) => fake.program(runtimeContainerName(task, container), behavior),
    taskReports,
    containerReports: (task, container) =>
      reports.filter(
        (r): r is ContainerView =>
          r.kind === 'container' && r.taskArn === task.taskArn && r.containerName === container,
      ),
    until,
    async untilTask(task, status) {
      await until(`task ${status}`, () => taskReports(task).some((r) => r.lastStatus === status));
      return taskReports(task).find((r) => r.lastStatus === status) as TaskView;
    },
  };
  open.push(h);
  return h;
}

function lastOf<T>(items: readonly T[]): T {
  const item = items.at(-1);
  assert.ok(item !== undefined, 'nothing reported');
  return item;
}

describe('task engine (fake runtime)', () => {
  it('runs a task with two containers to RUNNING, reporting each container RUNNING once with its runtime id', async () => {
    const h = harness();
    const task = taskSpec([svc('web', { portMappings: [{ containerPort: 80 }] }), svc('sidecar')]);
    h.engine.desire([task]);
    const running = await h.untilTask(task, 'RUNNING');
    assert.equal(running.desiredStatus, 'RUNNING');
    assert.ok(running.pullStartedAt && running.pullStoppedAt && running.startedAt);
    for (const name of ['web', 'sidecar']) {
      const reported = h.containerReports(task, name).filter((r) => r.lastStatus === 'RUNNING');
      assert.equal(reported.length, 1, `${name} reported RUNNING once`);
      const view = reported[0] as ContainerView;
      assert.match(view.runtimeId ?? '', /^[0-9a-f]{64}$/);
      const state = (await h.fake.inspect(view.runtimeId ?? '')) as PresentContainerState;
      assert.equal(state.status, 'running');
      assert.equal(state.labels[ECS_LABELS.taskArn], task.taskArn);
      assert.equal(state.labels[ECS_LABELS.containerName], name);
      assert.equal(state.labels[ECS_LABELS.family], 'web');
      assert.equal(state.labels[ECS_LABELS.version], '3');
      assert.equal(state.labels[ECS_LABELS.cluster], 'default');
    }
    const web = lastOf(h.containerReports(task, 'web'));
    assert.equal(web.networkBindings.length, 1);
    assert.ok((web.networkBindings[0]?.hostPort ?? 0) >= 32768, 'a dynamic host port is reported');
    // Nothing is reported twice: the same desire again changes nothing.
    const before = h.reports.length;
    h.engine.desire([task]);
    await sleep(20);
    assert.equal(h.reports.length, before);
    assert.equal(h.engine.tasks()[0]?.task.lastStatus, 'RUNNING');
  });

  it('stops the task when an essential container exits, reporting its exit code and stopping the others', async () => {
    const h = harness();
    const task = taskSpec([svc('app'), svc('other')]);
    h.program(task, 'app', { exitAfterMs: 30, exitCode: 3 });
    h.engine.desire([task]);
    const stopped = await h.untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.stoppedReason, 'Essential container in task exited');
    const app = lastOf(h.containerReports(task, 'app'));
    assert.equal(app.lastStatus, 'STOPPED');
    assert.equal(app.exitCode, 3);
    const other = lastOf(h.containerReports(task, 'other'));
    assert.equal(other.lastStatus, 'STOPPED');
    assert.equal(other.exitCode, 143, 'the other container got SIGTERM');
    assert.equal((await h.fake.inspect(other.runtimeId ?? '')).status, 'exited');
  });

  it('keeps the task running when a non-essential container exits', async () => {
    const h = harness();
    const task = taskSpec([svc('app'), svc('job', { essential: false })]);
    h.program(task, 'job', { exitAfterMs: 30, exitCode: 1 });
    h.engine.desire([task]);
    await h.until('job STOPPED', () =>
      h.containerReports(task, 'job').some((r) => r.lastStatus === 'STOPPED'),
    );
    assert.equal(lastOf(h.containerReports(task, 'job')).exitCode, 1);
    await sleep(30);
    assert.equal(lastOf(h.taskReports(task)).lastStatus, 'RUNNING');
    assert.equal(lastOf(h.containerReports(task, 'app')).lastStatus, 'RUNNING');
  });

  it('reports an OOM kill with ECS reason', async () => {
    const h = harness();
    const task = taskSpec([svc('hog', { memory: 8 })]);
    h.program(task, 'hog', { memoryMiB: 64, oomAfterMs: 20 });
    h.engine.desire([task]);
    await h.untilTask(task, 'STOPPED');
    const hog = lastOf(h.containerReports(task, 'hog'));
    assert.equal(hog.exitCode, 137);
    assert.equal(hog.reason, OOM_REASON);
  });

  it('starts a container that depends on HEALTHY only after the health check passes', async () => {
    const h = harness();
    const task = taskSpec([
      svc('db', { healthCheck: { command: ['CMD', 'true'], intervalSeconds: 0.1 } }),
      svc('app', { dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }),
    ]);
    h.engine.desire([task]);
    await h.untilTask(task, 'RUNNING');
    const healthyAt = h.reports.findIndex(
      (r) => r.kind === 'container' && r.containerName === 'db' && r.healthStatus === 'HEALTHY',
    );
    const appRunningAt = h.reports.findIndex(
      (r) => r.kind === 'container' && r.containerName === 'app' && r.lastStatus === 'RUNNING',
    );
    assert.ok(healthyAt >= 0 && appRunningAt > healthyAt, 'app started after db became HEALTHY');
    // The order of the reports is the proof; no wall-clock gap is asserted (a loaded machine skews it).
    const db = lastOf(h.containerReports(task, 'db'));
    const app = lastOf(h.containerReports(task, 'app'));
    assert.ok((app.startedAt?.getTime() ?? 0) >= (db.startedAt?.getTime() ?? 0));
    assert.equal(lastOf(h.taskReports(task)).healthStatus, 'HEALTHY');
  });

  it('starts a SUCCESS dependent after its dependency exits 0', async () => {
    const h = harness();
    const task = taskSpec([
      svc('init', { essential: false }),
      svc('app', { dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] }),
    ]);
    h.program(task, 'init', { exitAfterMs: 20, exitCode: 0 });
    h.engine.desire([task]);
    await h.untilTask(task, 'RUNNING');
    assert.equal(lastOf(h.containerReports(task, 'init')).exitCode, 0);
    assert.equal(lastOf(h.containerReports(task, 'app')).lastStatus, 'RUNNING');
  });

  it('stops the task when a SUCCESS dependency exits non-zero', async () => {
    const h = harness();
    const task = taskSpec([
      svc('init', { essential: false }),
      svc('app', { dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] }),
    ]);
    h.program(task, 'init', { exitAfterMs: 20, exitCode: 2 });
    h.engine.desire([task]);
    const stopped = await h.untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'TaskFailedToStart');
    assert.match(stopped.stoppedReason ?? '', /DependencyConditionNeverSatisfied.*'init' exited with 2/);
    const app = lastOf(h.containerReports(task, 'app'));
    assert.equal(app.lastStatus, 'STOPPED');
    assert.equal(app.runtimeId, undefined, 'app was never created');
  });

  it('stops on desired STOPPED with SIGTERM, then SIGKILL after stopTimeout; stale versions are ignored', async () => {
    const h = harness();
    const task = taskSpec([svc('trapper', { stopTimeout: 0.3 }), svc('ignorer', { stopTimeout: 0.3 })]);
    h.program(task, 'trapper', { onSigterm: { exitCode: 0, afterMs: 10 } });
    h.program(task, 'ignorer', { onSigterm: 'ignore' });
    h.engine.desire([task]);
    await h.untilTask(task, 'RUNNING');
    h.engine.desire([{ ...task, desiredStatus: 'STOPPED' }]); // same version: stale
    await sleep(20);
    assert.equal(lastOf(h.taskReports(task)).lastStatus, 'RUNNING');
    const stopAt = Date.now();
    h.engine.desire([{ ...task, version: 2, desiredStatus: 'STOPPED', stoppedReason: 'by test' }]);
    const stopped = await h.untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.stoppedReason, 'by test');
    assert.equal(lastOf(h.containerReports(task, 'trapper')).exitCode, 0);
    assert.equal(lastOf(h.containerReports(task, 'ignorer')).exitCode, 137);
    assert.ok(Date.now() - stopAt >= 290, 'SIGKILL came after the stop timeout');
    assert.ok(h.taskReports(task).some((r) => r.lastStatus === 'STOPPING'));
  });

  it('stops containers in reverse dependency order', async () => {
    const h = harness();
    const task = taskSpec([
      svc('db'),
      svc('app', { dependsOn: [{ containerName: 'db', condition: 'START' }] }),
    ]);
    h.program(task, 'app', { onSigterm: { exitCode: 0, afterMs: 50 } });
    h.engine.desire([task]);
    await h.untilTask(task, 'RUNNING');
    h.engine.desire([{ ...task, version: 2, desiredStatus: 'STOPPED' }]);
    await h.untilTask(task, 'STOPPED');
    const app = lastOf(h.containerReports(task, 'app'));
    const db = lastOf(h.containerReports(task, 'db'));
    assert.ok((db.finishedAt?.getTime() ?? 0) >= (app.finishedAt?.getTime() ?? Infinity));
    assert.equal(db.exitCode, 143);
  });

  it('stops a task whose image cannot be pulled with TaskFailedToStart and CannotPullContainerError', async () => {
    const h = harness();
    const task = taskSpec([svc('app', { image: `berth-test/missing-${RUN}:1` })]);
    h.engine.desire([task]);
    const stopped = await h.untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'TaskFailedToStart');
    assert.match(stopped.stoppedReason ?? '', /^CannotPullContainerError/);
    const app = lastOf(h.containerReports(task, 'app'));
    assert.equal(app.lastStatus, 'STOPPED');
    assert.match(app.reason ?? '', /^CannotPullContainerError/);
  });

  it('refuses a privileged container when the agent disables privileged mode', async () => {
    const h = harness({ disablePrivileged: true });
    const task = taskSpec([svc('root', { privileged: true }), svc('plain')]);
    h.engine.desire([task]);
    const stopped = await h.untilTask(task, 'STOPPED');
    assert.equal(stopped.stopCode, 'TaskFailedToStart');
    assert.match(stopped.stoppedReason ?? '', /privileged.*ECS_DISABLE_PRIVILEGED/);
    assert.equal(lastOf(h.containerReports(task, 'root')).runtimeId, undefined);
    // 'plain' may have been launching when 'root' was refused: it is stopped once its start returns.
    const deadline = Date.now() + 5000;
    while ((await h.fake.list()).some((c) => c.status === 'running')) {
      assert.ok(Date.now() < deadline, 'a container was left running');
      await sleep(10);
    }
  });

  it('removes the containers after the cleanup wait', async () => {
    const h = harness({ taskCleanupWaitSeconds: 0.05 });
    const task = taskSpec([svc('app')]);
    h.program(task, 'app', { exitAfterMs: 10, exitCode: 0 });
    h.engine.desire([task]);
    await h.untilTask(task, 'STOPPED');
    await h.until('cleanup', () => h.engine.tasks().length === 0);
    assert.deepEqual(await h.fake.list(), []);
    h.engine.desire([task]); // a late spec does not start it again
    await sleep(20);
    assert.deepEqual(await h.fake.list(), []);
  });

  it('gives up on a dependency that is not HEALTHY within its startTimeout: TaskFailedToStart', async () => {
    const h = harness();
    const task = taskSpec([
      svc('db', {
        essential: false,
        startTimeout: 0.1,
        healthCheck: { command: ['CMD', 'true'], intervalSeconds: 30 },
      }),
      svc('app', { dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }),
    ]);
    const started = Date.now();
    h.engine.desire([task]);
    const stopped = await h.untilTask(task, 'STOPPED');
    assert.ok(Date.now() - started >= 90, 'not before the timeout');
    assert.equal(stopped.stopCode, 'TaskFailedToStart');
    assert.match(
      stopped.stoppedReason ?? '',
      /DependencyConditionNeverSatisfied.*'db'.*HEALTHY.*startTimeout/,
    );
    const app = lastOf(h.containerReports(task, 'app'));
    assert.equal(app.lastStatus, 'STOPPED');
    assert.equal(app.runtimeId, undefined, 'app was never created');
    assert.equal(lastOf(h.containerReports(task, 'db')).lastStatus, 'STOPPED', 'db is stopped with the task');
  });

  it('creates a volumesFrom source first and mounts its volumes into the dependent', async () => {
    const h = harness();
    const task = taskSpec(
      [
        svc('app', { volumesFrom: [{ sourceContainer: 'store', readOnly: true }] }),
        svc('store', { mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] }),
      ],
      { volumes: [{ name: 'data' }] },
    );
    h.engine.desire([task]);
    await h.untilTask(task, 'RUNNING');
    await h.until('both running', () =>
      ['app', 'store'].every((n) => h.containerReports(task, n).some((r) => r.lastStatus === 'RUNNING')),
    );
    const app = (await h.fake.inspect(
      lastOf(h.containerReports(task, 'app')).runtimeId ?? '',
    )) as PresentContainerState;
    assert.deepEqual(app.mounts, [
      { type: 'volume', name: taskVolumeName(task, 'data'), target: '/data', readOnly: true },
    ]);
  });

  it('removes the task-scoped volumes at cleanup and keeps shared ones', async () => {
    const h = harness({ taskCleanupWaitSeconds: 0.05 });
    const task = taskSpec(
      [
        svc('app', {
          mountPoints: [
            { sourceVolume: 'scratch', containerPath: '/scratch' },
            { sourceVolume: 'mine', containerPath: '/mine' },
            { sourceVolume: 'common', containerPath: '/common' },
          ],
        }),
      ],
      {
        volumes: [
          { name: 'scratch' },
          { name: 'mine', dockerVolumeConfiguration: { scope: 'task' } },
          { name: 'common', dockerVolumeConfiguration: { scope: 'shared' } },
        ],
      },
    );
    h.program(task, 'app', { exitAfterMs: 10, exitCode: 0 });
    h.engine.desire([task]);
    await h.untilTask(task, 'STOPPED');
    await h.until('cleanup', () => h.engine.tasks().length === 0);
    assert.deepEqual(await h.fake.list(), []);
    assert.equal(await h.fake.removeVolume(taskVolumeName(task, 'scratch')), false, 'scratch was removed');
    assert.equal(await h.fake.removeVolume(taskVolumeName(task, 'mine')), false, 'mine was removed');
    assert.equal(await h.fake.removeVolume('common'), true, 'the shared volume stayed');
  });
});

describe('containerSpecFor', () => {
  it('maps a container with ECS labels and a unique name, and refuses privileged when disabled', () => {
    const task = taskSpec(
      [
        svc('web', {
          privileged: true,
          stopTimeout: 7,
          dockerLabels: { team: 'a', [ECS_LABELS.cluster]: 'spoofed' },
          mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
          systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
        }),
      ],
      { volumes: [{ name: 'data' }] },
    );
    const container = task.containers[0] as TaskContainerSpec;
    const spec = containerSpecFor(task, container, CONFIG, {
      labels: { 'berth.agent': 'x' },
      environment: (t, name) => ({ METADATA: `${t.family}/${name}` }),
    });
    assert.equal(spec.name, runtimeContainerName(task, 'web'));
    assert.match(spec.name, /^ecs-web-3-web-[0-9a-f]+$/);
    assert.equal(spec.labels?.[ECS_LABELS.cluster], 'default');
    assert.equal(spec.labels?.['team'], 'a');
    assert.equal(spec.labels?.['berth.agent'], 'x');
    assert.equal(spec.environment?.['METADATA'], 'web/web', 'the agent adds its environment');
    assert.equal(spec.stopTimeoutSeconds, 7);
    assert.deepEqual(spec.sysctls, { 'net.core.somaxconn': '1024' });
    assert.equal(spec.mounts?.[0]?.type, 'volume');
    assert.throws(
      () => containerSpecFor(task, container, { ...CONFIG, disablePrivileged: true }),
      ContainerRefusedError,
    );
  });
});
