import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureThreshold } from '../../src/core/services/circuit-breaker.js';
import { closestMatch, recordPlacement } from '../../src/core/services/placement-outcome.js';
import { reconcileReplica, type ReplicaInput } from '../../src/core/services/replica.js';
import {
  EMPTY_MEMO,
  type ReplicaServiceSpec,
  type SchedulerPlan,
  type ServiceDeployment,
  type ServiceTask,
} from '../../src/core/services/types.js';

const NOW = 1_700_000_000_000;
const OLD = 'ecs-svc/1000';
const NEW = 'ecs-svc/2000';

const service = (desiredCount: number, min = 100, max = 200): ReplicaServiceSpec => ({
  name: 'web',
  desiredCount,
  deploymentConfiguration: {
    minimumHealthyPercent: min,
    maximumPercent: max,
    circuitBreaker: { enable: true, rollback: true },
  },
  healthCheckGracePeriodSeconds: 0,
  loadBalanced: false,
});

const deployment = (id: string, extra: Partial<ServiceDeployment> = {}): ServiceDeployment => ({
  id,
  status: 'PRIMARY',
  taskDefinition: `web:${id.slice(-4)}`,
  createdAt: id === OLD ? NOW - 86_400_000 : NOW - 600_000,
  rolloutState: 'IN_PROGRESS',
  rolloutStateReason: '',
  failedTasks: 0,
  desiredCount: 0,
  runningCount: 0,
  pendingCount: 0,
  ...extra,
});
/** The usual pair during a rolling update: the old COMPLETED deployment and the new PRIMARY. */
const rolling = (): ServiceDeployment[] => [
  deployment(OLD, { status: 'ACTIVE', rolloutState: 'COMPLETED' }),
  deployment(NEW),
];

let serial = 0;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A healthy RUNNING task, started a minute ago; writable, so a test can take a field away. */
const task = (deploymentId: string, extra: Partial<ServiceTask> = {}): Mutable<ServiceTask> => ({
  arn: `arn:aws:ecs:us-east-1:123456789012:task/default/t${String(++serial).padStart(3, '0')}`,
  deploymentId,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  healthStatus: 'HEALTHY',
  healthChecked: true,
  createdAt: NOW - 120_000 + serial,
  startedAt: NOW - 60_000,
  instanceDraining: false,
  ...extra,
});
const tasks = (n: number, deploymentId: string, extra: Partial<ServiceTask> = {}): ServiceTask[] =>
  Array.from({ length: n }, () => task(deploymentId, extra));
/** A task that went from PENDING straight to STOPPED: it has no startedAt. */
const neverStarted = (deploymentId: string, stoppedAt = NOW - 1000): ServiceTask => {
  const stopped = task(deploymentId, {
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'TaskFailedToStart',
    healthStatus: 'UNKNOWN',
    stoppedAt,
  });
  delete stopped.startedAt;
  return stopped;
};

const run = (input: Partial<ReplicaInput> & Pick<ReplicaInput, 'service'>): SchedulerPlan =>
  reconcileReplica({ deployments: [deployment(NEW)], tasks: [], memo: EMPTY_MEMO, now: NOW, ...input });
const started = (plan: SchedulerPlan): number => plan.start.reduce((n, s) => n + s.count, 0);

describe('deployment circuit breaker', () => {
  const table: [string, number, ReturnType<typeof failureThreshold>][] = [
    ['desired 1 → the minimum of 3', 1, 3],
    ['desired 25 → 13 (rounded up)', 25, 13],
    ['desired 400 → 200', 400, 200],
    ['desired 800 → the maximum of 200', 800, 200],
  ];
  for (const [name, desired, want] of table) {
    it(`threshold: ${name}`, () =>
      assert.equal(failureThreshold({ enable: true, rollback: false }, desired), want));
  }
  it('threshold: COUNT is the value, UNBOUNDED_PERCENT drops the bounds', () => {
    const count = {
      enable: true,
      rollback: false,
      thresholdConfiguration: { type: 'COUNT', value: 5 },
    } as const;
    const unbounded = {
      enable: true,
      rollback: false,
      thresholdConfiguration: { type: 'UNBOUNDED_PERCENT', value: 50 },
    } as const;
    assert.equal(failureThreshold(count, 800), 5);
    assert.equal(failureThreshold(unbounded, 800), 400);
    assert.equal(failureThreshold(unbounded, 2), 1);
  });

  const failing = (n: number): ServiceTask[] => Array.from({ length: n }, () => neverStarted(NEW));

  it('counts each failed task once, however often it runs', () => {
    const input = { service: service(2), deployments: rolling(), tasks: [...tasks(2, OLD), ...failing(2)] };
    const first = run(input);
    assert.equal(first.deployments.find((d) => d.id === NEW)?.failedTasks, 2);
    const applied = rolling().map((d) => (d.id === NEW ? { ...d, failedTasks: 2 } : d));
    const second = run({ ...input, deployments: applied, memo: first.memo });
    assert.equal(second.deployments.find((d) => d.id === NEW)?.failedTasks, 2);
  });

  it('fails the deployment at the threshold and rolls back to the last COMPLETED deployment', () => {
    const deployments = rolling().map((d) => (d.id === NEW ? { ...d, failedTasks: 2 } : d));
    const plan = run({ service: service(2), deployments, tasks: [...tasks(2, OLD), ...failing(1)] });
    assert.deepEqual(plan.events.slice(0, 2), [
      '(service web) (deployment ecs-svc/2000) deployment failed: tasks failed to start.',
      '(service web) rolling back to deployment ecs-svc/1000.',
    ]);
    const byId = new Map(plan.deployments.map((d) => [d.id, d]));
    assert.deepEqual(
      [byId.get(NEW)?.status, byId.get(NEW)?.rolloutState, byId.get(NEW)?.rolloutStateReason],
      ['INACTIVE', 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.'],
      'ACTIVE while it has tasks; this one has none left, and the rollback completed at once',
    );
    assert.deepEqual(
      [byId.get(OLD)?.status, byId.get(OLD)?.rolloutState, byId.get(OLD)?.rolloutStateReason],
      ['PRIMARY', 'COMPLETED', 'ECS deployment ecs-svc/1000 completed.'],
      'the old tasks are all there and healthy, so the rollback completes in the same run',
    );
    assert.equal(plan.service.taskDefinition, 'web:1000');
    assert.deepEqual(plan.rollback, { from: NEW, to: OLD });
  });

  it('rolls back to IN_PROGRESS while the old deployment is short of tasks', () => {
    const deployments = rolling().map((d) => (d.id === NEW ? { ...d, failedTasks: 3 } : d));
    const plan = run({ service: service(2), deployments, tasks: tasks(1, OLD) });
    const old = plan.deployments.find((d) => d.id === OLD);
    assert.deepEqual(
      [old?.status, old?.rolloutState, old?.rolloutStateReason],
      [
        'PRIMARY',
        'IN_PROGRESS',
        'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1000.',
      ],
    );
    assert.deepEqual(plan.start, [
      { deploymentId: OLD, taskDefinition: 'web:1000', count: 1, replacingUnhealthy: 0 },
    ]);
  });

  it('without rollback leaves the deployment FAILED and PRIMARY, launching nothing', () => {
    const noRollback = service(2);
    const svc = {
      ...noRollback,
      deploymentConfiguration: {
        ...noRollback.deploymentConfiguration,
        circuitBreaker: { enable: true, rollback: false },
      },
    };
    const deployments = rolling().map((d) => (d.id === NEW ? { ...d, failedTasks: 3 } : d));
    const plan = run({ service: svc, deployments, tasks: tasks(2, OLD) });
    const failed = plan.deployments.find((d) => d.id === NEW);
    assert.deepEqual([failed?.status, failed?.rolloutState], ['PRIMARY', 'FAILED']);
    assert.deepEqual(plan.start, []);
  });

  it('does not trip while disabled', () => {
    const svc = service(2);
    const off = {
      ...svc,
      deploymentConfiguration: {
        ...svc.deploymentConfiguration,
        circuitBreaker: { enable: false, rollback: false },
      },
    };
    const deployments = rolling().map((d) => (d.id === NEW ? { ...d, failedTasks: 50 } : d));
    const plan = run({ service: off, deployments, tasks: tasks(2, OLD) });
    assert.equal(plan.deployments.find((d) => d.id === NEW)?.rolloutState, 'IN_PROGRESS');
    assert.equal(started(plan), 2);
  });

  it('resets the failure count when a task of the deployment is healthy', () => {
    const deployments = rolling().map((d) => (d.id === NEW ? { ...d, failedTasks: 2 } : d));
    const plan = run({
      service: service(2),
      deployments,
      tasks: [...tasks(2, OLD), task(NEW), ...failing(1)],
    });
    assert.equal(plan.deployments.find((d) => d.id === NEW)?.failedTasks, 0);
  });

  it('counts a task stopped for failing health checks, and not one stopped to scale in', () => {
    const health = task(NEW, {
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'Task failed container health checks',
    });
    const scaled = task(NEW, {
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/2000)',
    });
    const plan = run({
      service: service(2),
      deployments: rolling(),
      tasks: [...tasks(2, OLD), health, scaled],
    });
    assert.equal(plan.deployments.find((d) => d.id === NEW)?.failedTasks, 1);
  });
});

describe('throttling', () => {
  it('backs off after repeated failures to start and says why', () => {
    const input = {
      service: service(1),
      deployments: [deployment(NEW)],
      tasks: [neverStarted(NEW, NOW - 5000), neverStarted(NEW, NOW - 5000)],
    };
    const plan = run(input);
    assert.deepEqual(plan.start, []);
    assert.ok(plan.events.includes('(service web) is unable to consistently start tasks successfully.'));
    assert.equal(plan.memo.startFailures, 2);
    assert.equal(plan.nextCheckAt, NOW - 5000 + 15_000);
    const after = run({ ...input, memo: plan.memo, now: NOW + 10_000 });
    assert.equal(started(after), 1);
    assert.deepEqual(after.events, [], 'the throttle event is not repeated');
  });

  it('does not throttle failures of tasks that reached RUNNING', () => {
    const crashed = tasks(3, NEW, {
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
    });
    const plan = run({
      service: service(1),
      deployments: [deployment(NEW, { rolloutState: 'COMPLETED' })],
      tasks: crashed,
    });
    assert.equal(plan.memo.startFailures, 0);
    assert.equal(started(plan), 1);
  });

  it('returns to normal at once for a new task definition', () => {
    const throttled = {
      ...EMPTY_MEMO,
      startFailures: 6,
      lastStartFailureAt: NOW,
      startFailuresTaskDefinition: 'web:1000',
    };
    const plan = run({ service: service(1), memo: throttled });
    assert.equal(started(plan), 1);
    assert.equal(plan.memo.startFailures, 0);
  });
});

describe('placement outcome', () => {
  const request = { deploymentId: NEW, taskDefinition: 'web:2000', count: 2, replacingUnhealthy: 1 };
  const instance = (n: number): string =>
    `arn:aws:ecs:us-east-1:123456789012:container-instance/default/ci${n}`;
  const failure = {
    reason: 'RESOURCE:MEMORY',
    detail: '1 instances: AGENT; 1 instances: RESOURCE:MEMORY',
    counts: { AGENT: 1, 'RESOURCE:MEMORY': 1 },
    rejections: [
      { instanceId: instance(1), reason: 'AGENT' },
      { instanceId: instance(2), reason: 'RESOURCE:MEMORY' },
    ],
  } as const;

  it('says which tasks started, and that they replace unhealthy ones', () => {
    const record = recordPlacement({
      service: 'web',
      request,
      deployment: deployment(NEW),
      placed: ['arn:aws:ecs:us-east-1:1:task/default/a', 'arn:aws:ecs:us-east-1:1:task/default/b'],
      memo: EMPTY_MEMO,
      now: NOW,
    });
    assert.deepEqual(record.events, [
      '(service web) has started 2 tasks: (task a) (task b). Amazon ECS replaced 1 tasks due to an unhealthy status.',
    ]);
    assert.equal(record.failedTasks, 0);
  });

  it('names the closest instance, counts unplaced tasks as failed, and does not repeat itself', () => {
    const first = recordPlacement({
      service: 'web',
      request,
      deployment: deployment(NEW),
      placed: [],
      failure,
      memo: EMPTY_MEMO,
      now: NOW,
    });
    assert.deepEqual(first.events, [
      '(service web) was unable to place a task because no container instance met all of its requirements. ' +
        'The closest matching (container-instance ci2) has insufficient memory available. ' +
        'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.',
    ]);
    assert.equal(first.failedTasks, 2);
    assert.equal(first.memo.startFailures, 1);
    const again = recordPlacement({
      service: 'web',
      request,
      deployment: deployment(NEW, { failedTasks: 2 }),
      placed: [],
      failure,
      memo: first.memo,
      now: NOW + 60_000,
    });
    assert.deepEqual(again.events, []);
    assert.equal(again.failedTasks, 4);
  });

  it('picks as closest the instance that passed the most checks', () => {
    assert.deepEqual(closestMatch(failure), { instanceArn: instance(2), reason: 'RESOURCE:MEMORY' });
  });
});
