import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextTaskState, type TaskEvent } from '../../src/core/ecs/task-lifecycle.js';
import {
  initialKnown,
  nextActions,
  startTimeouts,
  volumesFromBlock,
  type KnownContainer,
  type KnownTask,
} from '../../src/agent/engine/known-task.js';
import {
  containerSpecFor,
  ContainerRefusedError,
  removalOrder,
  runtimeContainerName,
  taskScopedVolumes,
  taskVolumeName,
  type TaskContainerSpec,
  type TaskSpec,
} from '../../src/agent/engine/task-spec.js';
import { toCreateOptions } from '../../src/agent/runtime/docker.js';

/** The engine's pure decisions about startTimeout, volumesFrom and task-scoped volumes. */

const T0 = 1_700_000_000_000;
const SETTINGS = { disablePrivileged: false, containerStopTimeoutSeconds: 30 };

function task(containers: TaskContainerSpec[], extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskArn: 'arn:aws:ecs:local-1:000000000000:task/default/abc123',
    cluster: 'default',
    family: 'web',
    revision: 2,
    desiredStatus: 'RUNNING',
    version: 1,
    containers,
    ...extra,
  };
}
const c = (name: string, extra: Partial<TaskContainerSpec> = {}): TaskContainerSpec => ({
  name,
  image: 'busybox',
  ...extra,
});

/** Applies lifecycle events and container patches, as the runner would. */
function known(
  spec: TaskSpec,
  events: TaskEvent[],
  patches: Record<string, Partial<KnownContainer>> = {},
  at = T0,
): KnownTask {
  const start = initialKnown(spec);
  let lifecycle = start.lifecycle;
  for (const e of events) lifecycle = nextTaskState(lifecycle, e, at);
  const containers: Record<string, KnownContainer> = { ...start.containers };
  for (const [name, p] of Object.entries(patches))
    containers[name] = { ...(containers[name] as KnownContainer), ...p };
  return { lifecycle, containers };
}

const pulled = { pull: 'done' } as const;

describe('startTimeout', () => {
  const spec = task([
    c('db', { startTimeout: 10, essential: false, healthCheck: { command: ['CMD', 'true'] } }),
    c('app', { dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }),
    c('side', { essential: false, dependsOn: [{ containerName: 'db', condition: 'START' }] }),
  ]);
  const dbStarted = known(spec, [{ kind: 'containerStarted', container: 'db', runtimeId: 'x' }], {
    db: { ...pulled, runtime: 'running', runtimeId: 'x' },
    app: pulled,
    side: pulled,
  });

  it('counts from the dependency’s start and names the next deadline', () => {
    const r = startTimeouts(spec, dbStarted, T0 + 9_999);
    assert.deepEqual(r.expired, []);
    assert.equal(r.nextDeadline, T0 + 10_000);
  });

  it('gives up once it ran out, for COMPLETE/SUCCESS/HEALTHY only: the essential dependent fails the task', () => {
    const r = startTimeouts(spec, dbStarted, T0 + 10_000);
    assert.deepEqual(
      r.expired.map((e) => e.name),
      ['app'],
      'a START dependent is not timed',
    );
    const actions = nextActions(spec, dbStarted, T0 + 10_000);
    const fail = actions.find((a) => a.kind === 'record' && a.event.kind === 'failedToStart');
    assert.ok(fail?.kind === 'record' && fail.event.kind === 'failedToStart');
    assert.equal(fail.event.container, 'app');
    assert.match(
      fail.event.reason,
      /^DependencyConditionNeverSatisfied: .*'db'.*HEALTHY.*startTimeout of 10 s/,
    );
    assert.ok(!actions.some((a) => a.kind !== 'record' && a.container === 'app'));
  });

  it('does not time out a dependency that met the condition, stopped, or has no startTimeout', () => {
    const healthy = known(
      spec,
      [
        { kind: 'containerStarted', container: 'db', runtimeId: 'x' },
        { kind: 'containerHealthChanged', container: 'db', healthStatus: 'HEALTHY' },
      ],
      { db: { ...pulled, runtime: 'running', runtimeId: 'x' }, app: pulled, side: pulled },
    );
    assert.deepEqual(startTimeouts(spec, healthy, T0 + 60_000), { expired: [] });
    const stopped = known(spec, [
      { kind: 'containerStarted', container: 'db', runtimeId: 'x' },
      { kind: 'containerExited', container: 'db', exitCode: 1 },
    ]);
    assert.deepEqual(startTimeouts(spec, stopped, T0 + 60_000), { expired: [] });
    const untimed = task([c('db'), c('app', { dependsOn: [{ containerName: 'db', condition: 'SUCCESS' }] })]);
    const k = known(untimed, [{ kind: 'containerStarted', container: 'db', runtimeId: 'x' }]);
    assert.deepEqual(startTimeouts(untimed, k, T0 + 3_600_000), { expired: [] });
  });

  it('does not time out a dependent whose launch is already under way', () => {
    const launching = known(spec, [
      { kind: 'containerStarted', container: 'db', runtimeId: 'x' },
      { kind: 'containerLaunching', container: 'app' },
    ]);
    assert.deepEqual(startTimeouts(spec, launching, T0 + 60_000).expired, []);
  });
});

describe('volumesFrom', () => {
  const spec = task([c('app', { volumesFrom: [{ sourceContainer: 'store' }] }), c('store')]);

  it('waits until the source is created, then lets the dependent launch', () => {
    const waiting = known(spec, [], { app: pulled, store: pulled });
    assert.equal(volumesFromBlock(spec, waiting, 'app'), true);
    const launches = nextActions(spec, waiting, T0).filter((a) => a.kind === 'record');
    assert.deepEqual(
      launches.map((a) => (a.kind === 'record' && 'container' in a.event ? a.event.container : '')),
      ['store'],
      'only the source starts launching',
    );
    const created = known(spec, [], {
      app: pulled,
      store: { ...pulled, runtime: 'created', runtimeId: 's' },
    });
    assert.equal(volumesFromBlock(spec, created, 'app'), false);
  });

  it('never launches when the source stopped without a container: the essential dependent fails', () => {
    const failed = known(
      spec,
      [{ kind: 'failedToStart', container: 'store', reason: 'CannotPullContainerError: x' }],
      {
        app: pulled,
      },
    );
    assert.match(String(volumesFromBlock(spec, failed, 'app')), /'store' was never created/);
  });

  it('maps to the source’s runtime name, read-only when asked; refuses an unknown source', () => {
    const ro = task([c('app', { volumesFrom: [{ sourceContainer: 'store', readOnly: true }] }), c('store')]);
    const spec1 = containerSpecFor(ro, ro.containers[0] as TaskContainerSpec, SETTINGS);
    assert.deepEqual(spec1.volumesFrom, [{ container: runtimeContainerName(ro, 'store'), readOnly: true }]);
    assert.deepEqual(toCreateOptions(spec1).HostConfig?.VolumesFrom, [
      `${runtimeContainerName(ro, 'store')}:ro`,
    ]);
    const rw = containerSpecFor(spec, spec.containers[0] as TaskContainerSpec, SETTINGS);
    assert.deepEqual(toCreateOptions(rw).HostConfig?.VolumesFrom, [runtimeContainerName(spec, 'store')]);
    const bad = task([c('app', { volumesFrom: [{ sourceContainer: 'nope' }] })]);
    assert.throws(
      () => containerSpecFor(bad, bad.containers[0] as TaskContainerSpec, SETTINGS),
      ContainerRefusedError,
    );
  });

  it('removes a container before the source of its volumes', () => {
    const chain = task([
      c('base'),
      c('mid', { volumesFrom: [{ sourceContainer: 'base' }] }),
      c('top', { volumesFrom: [{ sourceContainer: 'mid' }] }),
      c('other'),
    ]);
    assert.deepEqual(removalOrder(chain), ['top', 'mid', 'base', 'other']);
  });
});

describe('task-scoped volumes', () => {
  it('are the task and default-scoped docker volumes and the host volumes without a path; shared and host paths stay', () => {
    const spec = task([c('app')], {
      volumes: [
        { name: 'scratch' },
        { name: 'empty-host', host: {} },
        { name: 'mine', dockerVolumeConfiguration: { scope: 'task' } },
        { name: 'default-scope', dockerVolumeConfiguration: {} },
        { name: 'common', dockerVolumeConfiguration: { scope: 'shared' } },
        { name: 'logs', host: { sourcePath: '/var/log' } },
      ],
    });
    assert.deepEqual(
      taskScopedVolumes(spec),
      ['scratch', 'empty-host', 'mine', 'default-scope'].map((v) => taskVolumeName(spec, v)),
    );
  });
});
