import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentDesiredStatus, newTaskState, nextTaskState } from '../../src/core/ecs/task-lifecycle.js';
import {
  planTargets,
  taskTargetHealth,
  type RegisteredTarget,
  type ServiceTargetGroup,
  type TargetTask,
} from '../../src/core/services/targets.js';

const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/0123456789abcdef';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/fedcba9876543210';
const groups: ServiceTargetGroup[] = [{ targetGroupArn: TG_A, containerName: 'web', containerPort: 80 }];

const task = (arn: string, hostPort: number, extra: Partial<TargetTask> = {}): TargetTask => ({
  arn,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  hostId: 'i-host1',
  containers: [{ name: 'web', networkBindings: [{ containerPort: 80, hostPort, protocol: 'tcp' }] }],
  ...extra,
});
const registered = (port: number, extra: Partial<RegisteredTarget> = {}): RegisteredTarget => ({
  targetGroupArn: TG_A,
  id: 'i-host1',
  port,
  draining: false,
  ...extra,
});
const plan = (tasks: TargetTask[], present: RegisteredTarget[] = [], g = groups) =>
  planTargets({ serviceName: 'web', groups: g, tasks, registered: present });

describe('service targets: registration, draining and activation (core/services/targets.ts)', () => {
  it("registers an ACTIVATING task on its host port and activates it, with ECS's event", () => {
    const p = plan([task('t1', 32768, { lastStatus: 'ACTIVATING' })]);
    assert.deepEqual(p.register, [{ targetGroupArn: TG_A, id: 'i-host1', port: 32768 }]);
    assert.deepEqual(p.activate, ['t1']);
    assert.deepEqual(p.events, [`(service web) registered 1 targets in (target-group ${TG_A})`]);
  });

  it('waits for a task whose container port is not published yet', () => {
    const p = plan([task('t1', 0, { lastStatus: 'ACTIVATING', containers: [{ name: 'web' }] })]);
    assert.deepEqual(p.register, []);
    assert.deepEqual(p.activate, []);
  });

  it('one target per target group, each on its own container port', () => {
    const two: ServiceTargetGroup[] = [
      ...groups,
      { targetGroupArn: TG_B, containerName: 'web', containerPort: 9090 },
    ];
    const t = task('t1', 0, {
      lastStatus: 'ACTIVATING',
      containers: [
        {
          name: 'web',
          networkBindings: [
            { containerPort: 80, hostPort: 32768 },
            { containerPort: 9090, hostPort: 32769 },
          ],
        },
      ],
    });
    const p = plan([t], [], two);
    assert.deepEqual(
      p.register.map((k) => [k.targetGroupArn, k.port]),
      [
        [TG_A, 32768],
        [TG_B, 32769],
      ],
    );
    assert.equal(p.events.length, 2);
  });

  it('re-registers a target that is draining when a live task serves on it again', () => {
    const p = plan([task('t2', 8080)], [registered(8080, { draining: true })]);
    assert.deepEqual(p.register, [{ targetGroupArn: TG_A, id: 'i-host1', port: 8080 }]);
  });

  it('deregisters a leaving task and deactivates it only once its target is gone', () => {
    const leaving = task('t1', 32768, { lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED' });
    const first = plan([leaving], [registered(32768)]);
    assert.deepEqual(first.deregister, [{ targetGroupArn: TG_A, id: 'i-host1', port: 32768 }]);
    assert.deepEqual(first.deactivate, []);
    assert.deepEqual(first.events, [`(service web) deregistered 1 targets in (target-group ${TG_A})`]);
    const draining = plan([leaving], [registered(32768, { draining: true })]);
    assert.deepEqual(draining.deregister, []);
    assert.deepEqual(draining.deactivate, []);
    const drained = plan([leaving], []);
    assert.deepEqual(drained.deactivate, ['t1']);
  });

  it('keeps a target a live task still serves on even when a stopped task used it too', () => {
    const old = task('old', 8080, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    const p = plan([old, task('new', 8080)], [registered(8080)]);
    assert.deepEqual(p.deregister, []);
    assert.deepEqual(p.register, []);
  });

  it('deregisters the target of a task that stopped without deactivating (its host was lost)', () => {
    const p = plan(
      [task('t1', 32768, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })],
      [registered(32768)],
    );
    assert.equal(p.deregister.length, 1);
  });

  it("gives the scheduler each task's target health, the worst over its groups", () => {
    const t = task('t1', 32768);
    assert.equal(taskTargetHealth(t, groups, [])?.state, 'unused');
    assert.equal(taskTargetHealth(t, groups, [registered(32768)])?.state, 'initial');
    assert.equal(taskTargetHealth(t, groups, [registered(32768, { health: 'healthy' })])?.state, 'healthy');
    assert.deepEqual(taskTargetHealth(t, groups, [registered(32768, { health: 'unhealthy' })]), {
      targetGroupArn: TG_A,
      state: 'unhealthy',
    });
  });
});

describe('a load-balanced task keeps running while its targets drain (agentDesiredStatus)', () => {
  const containers = [{ name: 'web', essential: true, hasHealthCheck: false }];
  const NOW = 1_700_000_000_000;
  const running = (() => {
    let s = newTaskState(containers, { provision: false, activate: true });
    s = nextTaskState(s, { kind: 'containerStarted', container: 'web' }, NOW);
    assert.equal(s.lastStatus, 'ACTIVATING');
    s = nextTaskState(s, { kind: 'activated' }, NOW);
    assert.equal(s.lastStatus, 'RUNNING');
    return s;
  })();

  it('a requested stop: DEACTIVATING, the agent still told RUNNING; deactivated: STOPPING, told STOPPED', () => {
    const stopping = nextTaskState(
      running,
      { kind: 'stopRequested', code: 'ServiceSchedulerInitiated' },
      NOW,
    );
    assert.equal(stopping.lastStatus, 'DEACTIVATING');
    assert.equal(stopping.desiredStatus, 'STOPPED');
    assert.equal(agentDesiredStatus(stopping), 'RUNNING');
    const deactivated = nextTaskState(stopping, { kind: 'deactivated' }, NOW);
    assert.equal(deactivated.lastStatus, 'STOPPING');
    assert.equal(agentDesiredStatus(deactivated), 'STOPPED');
  });

  it('an essential container that exited: the agent is told to stop the rest at once', () => {
    const exited = nextTaskState(running, { kind: 'containerExited', container: 'web', exitCode: 1 }, NOW);
    assert.equal(exited.lastStatus, 'DEACTIVATING');
    assert.equal(agentDesiredStatus(exited), 'STOPPED');
  });
});
