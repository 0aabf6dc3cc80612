import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  newTaskState,
  nextTaskState,
  type HealthStatus,
  type TaskEvent,
  type TaskState,
} from '../../src/core/ecs/task-lifecycle.js';
import {
  applyHealth,
  applyReport,
  healthEvents,
  unknownContainer,
  type ContainerHealthReport,
  type ReportedParts,
} from '../../src/core/ecs/task-report.js';
import type { TaskContainerSpec } from '../../src/core/ecs/task.js';

/**
 * BerthAgentV1.SubmitHealth's pure part: a container's health check result applied through the
 * lifecycle reducer's `containerHealthChanged`, and the task's health following ECS's rule (the
 * essential containers with a health check decide: UNHEALTHY over UNKNOWN over HEALTHY; the
 * non-essential ones count only when no essential container has a health check).
 */

const NO_HOOKS = { provision: false, activate: false };
type Shape = { name: string; essential: boolean; hasHealthCheck: boolean };

function spec(name: string): TaskContainerSpec {
  return { name, arn: `arn:container/${name}`, image: 'busybox', cpu: 0 };
}

/** A task of `shapes` with every container RUNNING (so health applies). */
function runningTask(shapes: readonly Shape[]): ReportedParts {
  let state: TaskState = newTaskState(shapes, NO_HOOKS);
  for (const s of shapes) state = nextTaskState(state, { kind: 'containerStarted', container: s.name }, 1);
  return { state, containers: shapes.map((s) => spec(s.name)) };
}

const health = (name: string, healthStatus: HealthStatus): ContainerHealthReport => ({ name, healthStatus });
const containerHealth = (t: ReportedParts, name: string): HealthStatus | undefined =>
  t.state.containers.find((c) => c.name === name)?.healthStatus;

const webAndSidecar: Shape[] = [
  { name: 'web', essential: true, hasHealthCheck: true },
  { name: 'sidecar', essential: false, hasHealthCheck: true },
];

describe('applyHealth (BerthAgentV1.SubmitHealth, pure)', () => {
  it('turns each report into a containerHealthChanged event, in order', () => {
    assert.deepEqual(healthEvents([health('a', 'HEALTHY'), health('b', 'UNHEALTHY')]), [
      { kind: 'containerHealthChanged', container: 'a', healthStatus: 'HEALTHY' },
      { kind: 'containerHealthChanged', container: 'b', healthStatus: 'UNHEALTHY' },
    ]);
  });

  it('sets the container health, and the task follows its essential container', () => {
    const t0 = runningTask(webAndSidecar);
    assert.equal(t0.state.healthStatus, 'UNKNOWN');
    const healthy = applyHealth(t0, [health('web', 'HEALTHY')], 2);
    assert.equal(containerHealth(healthy, 'web'), 'HEALTHY');
    assert.equal(healthy.state.healthStatus, 'HEALTHY');
    // A non-essential container's failure does not make the task unhealthy …
    const sidecarDown = applyHealth(healthy, [health('sidecar', 'UNHEALTHY')], 3);
    assert.equal(containerHealth(sidecarDown, 'sidecar'), 'UNHEALTHY');
    assert.equal(sidecarDown.state.healthStatus, 'HEALTHY');
    // … an essential one's does.
    const webDown = applyHealth(sidecarDown, [health('web', 'UNHEALTHY')], 4);
    assert.equal(webDown.state.healthStatus, 'UNHEALTHY');
    // Back to healthy.
    assert.equal(applyHealth(webDown, [health('web', 'HEALTHY')], 5).state.healthStatus, 'HEALTHY');
  });

  it('UNHEALTHY wins over UNKNOWN, UNKNOWN over HEALTHY among essential containers', () => {
    const t0 = runningTask([
      { name: 'a', essential: true, hasHealthCheck: true },
      { name: 'b', essential: true, hasHealthCheck: true },
    ]);
    const oneHealthy = applyHealth(t0, [health('a', 'HEALTHY')], 2);
    assert.equal(oneHealthy.state.healthStatus, 'UNKNOWN', 'b is still being evaluated');
    assert.equal(applyHealth(t0, [health('a', 'UNHEALTHY')], 2).state.healthStatus, 'UNHEALTHY');
    const both = applyHealth(t0, [health('a', 'HEALTHY'), health('b', 'HEALTHY')], 2);
    assert.equal(both.state.healthStatus, 'HEALTHY');
  });

  it('non-essential containers decide only when no essential container has a health check', () => {
    const t0 = runningTask([
      { name: 'app', essential: true, hasHealthCheck: false },
      { name: 'probe', essential: false, hasHealthCheck: true },
    ]);
    assert.equal(applyHealth(t0, [health('probe', 'HEALTHY')], 2).state.healthStatus, 'HEALTHY');
    assert.equal(applyHealth(t0, [health('probe', 'UNHEALTHY')], 2).state.healthStatus, 'UNHEALTHY');
  });

  it('ignores a container without a health check (it stays UNKNOWN) and one not started yet', () => {
    const noCheck = runningTask([{ name: 'app', essential: true, hasHealthCheck: false }]);
    assert.equal(applyHealth(noCheck, [health('app', 'HEALTHY')], 2), noCheck);

    const shapes: Shape[] = [{ name: 'app', essential: true, hasHealthCheck: true }];
    const pending: ReportedParts = { state: newTaskState(shapes, NO_HOOKS), containers: [spec('app')] };
    assert.equal(applyHealth(pending, [health('app', 'HEALTHY')], 2), pending);
  });

  it('returns the task itself for a repeated report and for a STOPPED task', () => {
    const healthy = applyHealth(runningTask(webAndSidecar), [health('web', 'HEALTHY')], 2);
    assert.equal(applyHealth(healthy, [health('web', 'HEALTHY')], 3), healthy);

    const exited = applyReport(
      healthy,
      { containers: [{ name: 'web', status: 'STOPPED', exitCode: 0 }], status: 'STOPPED' },
      4,
    );
    assert.equal(exited.state.lastStatus, 'STOPPED');
    assert.equal(applyHealth(exited, [health('web', 'UNHEALTHY')], 5), exited);
  });

  it('changes nothing but health: no launch marks, no status, no timestamps', () => {
    const shapes: Shape[] = [
      { name: 'a', essential: true, hasHealthCheck: true },
      { name: 'b', essential: true, hasHealthCheck: false },
    ];
    let state = newTaskState(shapes, NO_HOOKS);
    state = nextTaskState(state, { kind: 'containerStarted', container: 'a' }, 1);
    const t0: ReportedParts = { state, containers: shapes.map((s) => spec(s.name)) };
    const t1 = applyHealth(t0, [health('a', 'HEALTHY')], 2);
    const b = t1.state.containers.find((c) => c.name === 'b');
    assert.equal(b?.launching, undefined, 'a health report does not mean b is being launched');
    assert.equal(t1.state.lastStatus, t0.state.lastStatus);
    assert.deepEqual(
      { ...t1.state, containers: [], healthStatus: '' },
      { ...t0.state, containers: [], healthStatus: '' },
    );
    assert.equal(t1.containers, t0.containers);
  });

  it('unknownContainer names a reported container the task does not have', () => {
    const t0 = runningTask(webAndSidecar);
    assert.equal(unknownContainer(t0.containers, { containers: [health('web', 'HEALTHY')] }), undefined);
    assert.equal(unknownContainer(t0.containers, { containers: [health('db', 'HEALTHY')] }), 'db');
  });

  it('property: the task health is always the rule applied to the current container healths', () => {
    const status = fc.constantFrom<HealthStatus>('HEALTHY', 'UNHEALTHY', 'UNKNOWN');
    const shape = fc.record({ essential: fc.boolean(), hasHealthCheck: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(shape, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(4), status), { maxLength: 20 }),
        (shapes, reports) => {
          const named = shapes.map((s, i) => ({ ...s, name: `c${i}` }));
          let t = runningTask(named);
          for (const [i, s] of reports) {
            const name = `c${i % named.length}`;
            t = applyHealth(t, [health(name, s)], 2);
          }
          const counted = named.some((c) => c.essential && c.hasHealthCheck)
            ? named.filter((c) => c.essential && c.hasHealthCheck)
            : named.filter((c) => c.hasHealthCheck);
          const seen = counted.map((c) => containerHealth(t, c.name));
          const expected: HealthStatus =
            counted.length === 0
              ? 'UNKNOWN'
              : seen.includes('UNHEALTHY')
                ? 'UNHEALTHY'
                : seen.includes('UNKNOWN')
                  ? 'UNKNOWN'
                  : 'HEALTHY';
          assert.equal(t.state.healthStatus, expected);
          for (const c of named.filter((x) => !x.hasHealthCheck))
            assert.equal(containerHealth(t, c.name), 'UNKNOWN');
          assert.equal(t.state.lastStatus, 'RUNNING');
        },
      ),
    );
  });
});

// The events type is exported for the reducer; keep the health events assignable to it.
const _typecheck: TaskEvent[] = healthEvents([]);
void _typecheck;
