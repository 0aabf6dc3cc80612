import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxLiveTasks, minHealthyTasks } from '../../src/core/services/bounds.js';
import { messages, REPEAT_AFTER_MS } from '../../src/core/services/events.js';
import { NO_HEALTH_CHECK_WAIT_MS } from '../../src/core/services/health.js';
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

const service = (
  desiredCount: number,
  min = 100,
  max = 200,
  extra: Partial<ReplicaServiceSpec> = {},
): ReplicaServiceSpec => ({
  name: 'web',
  desiredCount,
  deploymentConfiguration: {
    minimumHealthyPercent: min,
    maximumPercent: max,
    circuitBreaker: { enable: true, rollback: true },
  },
  healthCheckGracePeriodSeconds: 0,
  loadBalanced: false,
  ...extra,
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
/** A healthy RUNNING task with a container health check, started a minute ago. */
const task = (deploymentId: string, extra: Partial<ServiceTask> = {}): ServiceTask => ({
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
const pending = { lastStatus: 'PENDING', healthStatus: 'UNKNOWN' } as const;
const unhealthy = { healthStatus: 'UNHEALTHY' } as const;

const run = (input: Partial<ReplicaInput> & Pick<ReplicaInput, 'service'>): SchedulerPlan =>
  reconcileReplica({ deployments: [deployment(NEW)], tasks: [], memo: EMPTY_MEMO, now: NOW, ...input });
const started = (plan: SchedulerPlan): number => plan.start.reduce((n, s) => n + s.count, 0);

describe('service bounds (ECS DeploymentConfiguration examples)', () => {
  const table: [string, number, number, (d: number, p: number) => number, number][] = [
    ['desired 4, min 50% → 2 must stay healthy', 4, 50, minHealthyTasks, 2],
    ['desired 2, min 75% → 2 (rounded up): no task may stop', 2, 75, minHealthyTasks, 2],
    ['desired 4, max 200% → 8 may run', 4, 200, maxLiveTasks, 8],
    ['desired 3, max 125% → 3 (rounded down): no task may start', 3, 125, maxLiveTasks, 3],
    ['desired 0 → 0', 0, 100, minHealthyTasks, 0],
  ];
  for (const [name, desired, percent, f, want] of table)
    it(name, () => assert.equal(f(desired, percent), want));
});

describe('replica scheduling', () => {
  it('starts desiredCount tasks of the PRIMARY deployment for a new service', () => {
    const plan = run({ service: service(3) });
    assert.deepEqual(plan.start, [
      { deploymentId: NEW, taskDefinition: 'web:2000', count: 3, replacingUnhealthy: 0 },
    ]);
    assert.equal(plan.steady, false);
  });

  it('replaces a task that stopped', () => {
    const plan = run({
      service: service(3),
      deployments: [deployment(NEW, { rolloutState: 'COMPLETED' })],
      tasks: [
        ...tasks(2, NEW),
        task(NEW, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited' }),
      ],
    });
    assert.equal(started(plan), 1);
    assert.deepEqual(plan.stop, []);
  });

  it('completes the deployment and reports a steady state once desired tasks are healthy', () => {
    const plan = run({ service: service(2), tasks: tasks(2, NEW) });
    assert.deepEqual(plan.events, [
      '(service web) (deployment ecs-svc/2000) deployment completed.',
      '(service web) has reached a steady state.',
    ]);
    assert.equal(plan.steady, true);
    assert.deepEqual(plan.deployments, [
      {
        id: NEW,
        status: 'PRIMARY',
        rolloutState: 'COMPLETED',
        rolloutStateReason: 'ECS deployment ecs-svc/2000 completed.',
        failedTasks: 0,
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
      },
    ]);
    assert.equal(plan.service.runningCount, 2);
  });

  it('is not steady while a replaced task is still stopping', () => {
    const plan = run({
      service: service(1),
      tasks: [task(NEW), task(OLD, { desiredStatus: 'STOPPED' })],
      deployments: rolling(),
    });
    assert.equal(plan.steady, false);
    assert.deepEqual(plan.start, []);
    assert.deepEqual(plan.stop, []);
  });
});

describe('rolling deployments', () => {
  it('desired 4, min 100%, max 200%: starts 4 new tasks and stops no old one before a new one is healthy', () => {
    const plan = run({ service: service(4, 100, 200), deployments: rolling(), tasks: tasks(4, OLD) });
    assert.equal(started(plan), 4);
    assert.deepEqual(plan.stop, []);
  });

  it('desired 4, min 100%, max 200%: stops one old task for each new task that is healthy', () => {
    const old = tasks(4, OLD);
    const fresh = [task(NEW), ...tasks(3, NEW, pending)];
    const plan = run({ service: service(4, 100, 200), deployments: rolling(), tasks: [...old, ...fresh] });
    assert.equal(plan.stop.length, 1);
    assert.equal(started(plan), 0);
    assert.match(plan.stop[0]!.reason, /^Scaling activity initiated by \(deployment ecs-svc\/2000\)$/);
  });

  it('desired 4, min 50%, max 100%: stops two old tasks before starting two new ones (ECS example)', () => {
    const plan = run({ service: service(4, 50, 100), deployments: rolling(), tasks: tasks(4, OLD) });
    assert.equal(plan.stop.length, 2);
    assert.equal(started(plan), 2);
    assert.match(
      plan.events.at(-1)!,
      /^\(service web\) has stopped 2 running tasks: \(task t\d+\) \(task t\d+\)\.$/,
    );
  });

  it('desired 4, min 50%, max 200%: frees capacity down to min at once and starts the whole new set', () => {
    const plan = run({ service: service(4, 50, 200), deployments: rolling(), tasks: tasks(4, OLD) });
    assert.equal(plan.stop.length, 2);
    assert.equal(started(plan), 4);
  });

  it('desired 2, min 75%, max 100%: can neither stop nor start, and says the configuration blocks it', () => {
    const plan = run({ service: service(2, 75, 100), deployments: rolling(), tasks: tasks(2, OLD) });
    assert.deepEqual(plan.stop, []);
    assert.deepEqual(plan.start, []);
    assert.deepEqual(plan.events, [messages.deploymentBlocked('web')]);
    assert.equal(
      plan.events[0],
      '(service web) was unable to stop or start tasks during a deployment because of the service deployment ' +
        'configuration. Update the minimumHealthyPercent or maximumPercent value and try again.',
    );
  });

  it('desired 3, max 125%: starts nothing until an old task may stop', () => {
    const blocked = run({ service: service(3, 100, 125), deployments: rolling(), tasks: tasks(3, OLD) });
    assert.equal(started(blocked), 0);
    const moving = run({ service: service(3, 66, 125), deployments: rolling(), tasks: tasks(3, OLD) });
    assert.equal(moving.stop.length, 1);
    assert.equal(started(moving), 1);
  });

  it('stops old tasks that never became healthy at once, whatever min% says', () => {
    const plan = run({
      service: service(2, 100, 200),
      deployments: rolling(),
      tasks: [...tasks(2, OLD, pending), ...tasks(2, NEW)],
    });
    assert.equal(plan.stop.length, 2);
  });

  it('retires the old deployment once its last task stopped', () => {
    const plan = run({
      service: service(2),
      deployments: rolling(),
      tasks: [...tasks(2, NEW), task(OLD, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })],
    });
    assert.deepEqual(
      plan.deployments.map((d) => [d.id, d.status, d.rolloutState]),
      [
        [OLD, 'INACTIVE', 'COMPLETED'],
        [NEW, 'PRIMARY', 'COMPLETED'],
      ],
    );
  });
});

describe('task health', () => {
  it('counts a task without health checks as healthy only 40 seconds after it reached RUNNING', () => {
    const startedAt = NOW - NO_HEALTH_CHECK_WAIT_MS + 1000;
    const early = run({ service: service(1), tasks: [task(NEW, { healthChecked: false, startedAt })] });
    assert.equal(early.steady, false);
    assert.equal(early.nextCheckAt, startedAt + NO_HEALTH_CHECK_WAIT_MS);
    const later = run({
      service: service(1),
      tasks: [task(NEW, { healthChecked: false, startedAt, healthStatus: 'UNKNOWN' })],
      now: startedAt + NO_HEALTH_CHECK_WAIT_MS,
    });
    assert.equal(later.steady, true);
  });

  it('does not count a health-checked task whose health is still UNKNOWN', () => {
    const plan = run({ service: service(1), tasks: [task(NEW, { healthStatus: 'UNKNOWN' })] });
    assert.equal(plan.steady, false);
  });

  it('needs the target healthy too when the service is load balanced', () => {
    const target = { targetGroupArn: 'arn:aws:elasticloadbalancing:tg/web', state: 'initial' } as const;
    const lb = service(1, 100, 200, { loadBalanced: true });
    assert.equal(run({ service: lb, tasks: [task(NEW, { target })] }).steady, false);
    assert.equal(
      run({ service: lb, tasks: [task(NEW, { target: { ...target, state: 'healthy' } })] }).steady,
      true,
    );
  });

  it('ignores UNHEALTHY within the health check grace period', () => {
    const startedAt = NOW - 10_000;
    const plan = run({
      service: service(1, 100, 200, { healthCheckGracePeriodSeconds: 30 }),
      tasks: [task(NEW, { ...unhealthy, startedAt })],
    });
    assert.deepEqual(plan.start, []);
    assert.deepEqual(plan.stop, []);
    assert.equal(plan.nextCheckAt, startedAt + 30_000);
  });

  it('starts a replacement for an unhealthy task first and keeps it until the replacement is healthy', () => {
    const sick = task(NEW, unhealthy);
    const first = run({ service: service(2, 100, 200), tasks: [task(NEW), sick] });
    assert.deepEqual(first.start, [
      { deploymentId: NEW, taskDefinition: 'web:2000', count: 1, replacingUnhealthy: 1 },
    ]);
    assert.deepEqual(first.stop, []);
    const second = run({ service: service(2, 100, 200), tasks: [task(NEW), sick, task(NEW)] });
    assert.deepEqual(second.stop, [{ arn: sick.arn, reason: 'Task failed container health checks' }]);
    assert.deepEqual(second.events.slice(0, 2), [
      `(service web) (task ${sick.arn.split('/').at(-1)}) failed container health checks.`,
      `(service web) has stopped 1 running tasks: (task ${sick.arn.split('/').at(-1)}).`,
    ]);
  });

  it('with max 100% stops an unhealthy task first, one at a time, and starts its replacement', () => {
    const plan = run({ service: service(2, 50, 100), tasks: [task(NEW, unhealthy), task(NEW, unhealthy)] });
    assert.equal(plan.stop.length, 1);
    assert.equal(started(plan), 1);
  });

  it('stops a task that failed load balancer health checks with ECS reason', () => {
    const target = { targetGroupArn: 'arn:aws:elasticloadbalancing:tg/web', state: 'unhealthy' } as const;
    const sick = task(NEW, { target });
    const plan = run({ service: service(1, 0, 100, { loadBalanced: true }), tasks: [sick] });
    assert.deepEqual(plan.stop, [
      {
        arn: sick.arn,
        reason: 'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:tg/web)',
      },
    ]);
  });
});

describe('scaling', () => {
  it('scales in by the ranker order, keeping min healthy', () => {
    const all = tasks(4, NEW);
    const chosen = [all[2]!, all[0]!];
    const plan = run({
      service: service(2),
      deployments: [deployment(NEW, { rolloutState: 'COMPLETED' })],
      tasks: all,
      rankForStop: (c) => [...chosen, ...c.filter((t) => !chosen.includes(t))],
    });
    assert.deepEqual(
      plan.stop.map((s) => s.arn),
      chosen.map((t) => t.arn),
    );
  });

  it('scales in pending tasks before running ones, newest first, by default', () => {
    const running = tasks(2, NEW);
    const waiting = tasks(2, NEW, pending);
    const plan = run({ service: service(2), tasks: [...running, ...waiting] });
    assert.deepEqual(plan.stop.map((s) => s.arn).sort(), waiting.map((t) => t.arn).sort());
  });

  it('goes to zero tasks and back', () => {
    const down = run({ service: service(0), tasks: tasks(3, NEW) });
    assert.equal(down.stop.length, 3);
    assert.equal(started(down), 0);
    const idle = run({ service: service(0) });
    assert.equal(idle.steady, true);
    const up = run({ service: service(3), deployments: [deployment(NEW, { rolloutState: 'COMPLETED' })] });
    assert.equal(started(up), 3);
  });
});

describe('draining', () => {
  const draining = { instanceDraining: true } as const;

  it('stops a pending task on a DRAINING instance at once and replaces it', () => {
    const plan = run({ service: service(2), tasks: [task(NEW), task(NEW, { ...pending, ...draining })] });
    assert.equal(plan.stop.length, 1);
    assert.equal(started(plan), 1);
  });

  it('with max 200% starts replacements first and stops draining tasks when they are healthy', () => {
    const moving = tasks(2, NEW, draining);
    const first = run({ service: service(2, 100, 200), tasks: moving });
    assert.equal(started(first), 2);
    assert.deepEqual(first.stop, []);
    const second = run({ service: service(2, 100, 200), tasks: [...moving, ...tasks(2, NEW)] });
    assert.equal(second.stop.length, 2);
  });

  it('with min 100% and max 100% stops a draining task below min healthy, since it must go', () => {
    const plan = run({ service: service(2, 100, 100), tasks: [task(NEW), task(NEW, draining)] });
    assert.equal(plan.stop.length, 1);
    assert.equal(started(plan), 1);
  });
});

describe('steady state events', () => {
  const steadyInput = { service: service(1), deployments: [deployment(NEW, { rolloutState: 'COMPLETED' })] };

  it('says a steady state once, then again only after six hours or after it was lost', () => {
    const t = [task(NEW)];
    const first = run({ ...steadyInput, tasks: t });
    assert.deepEqual(first.events, [messages.steady('web')]);
    const again = run({ ...steadyInput, tasks: t, memo: first.memo, now: NOW + 60_000 });
    assert.deepEqual(again.events, []);
    const later = run({ ...steadyInput, tasks: t, memo: first.memo, now: NOW + REPEAT_AFTER_MS });
    assert.deepEqual(later.events, [messages.steady('web')]);
    const lost = run({ ...steadyInput, tasks: [], memo: first.memo, now: NOW + 60_000 });
    assert.equal(lost.steady, false);
    const back = run({ ...steadyInput, tasks: t, memo: lost.memo, now: NOW + 120_000 });
    assert.deepEqual(back.events, [messages.steady('web')]);
  });
});
