import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { reconcileDaemon, type DaemonInput, type DaemonInstance } from '../../src/core/services/daemon.js';
import {
  EMPTY_MEMO,
  type SchedulerPlan,
  type StartTasks,
  type ServiceDeployment,
  type ServiceSpec,
  type ServiceTask,
} from '../../src/core/services/types.js';

const NOW = 1_700_000_000_000;
const OLD = 'ecs-svc/1000';
const NEW = 'ecs-svc/2000';

const service = (min = 0, max = 100): ServiceSpec => ({
  name: 'agent',
  deploymentConfiguration: {
    minimumHealthyPercent: min,
    maximumPercent: max,
    circuitBreaker: { enable: false, rollback: false },
  },
  healthCheckGracePeriodSeconds: 0,
  loadBalanced: false,
});
const deployment = (id: string, extra: Partial<ServiceDeployment> = {}): ServiceDeployment => ({
  id,
  status: 'PRIMARY',
  taskDefinition: `agent:${id.slice(-4)}`,
  createdAt: id === OLD ? NOW - 86_400_000 : NOW - 600_000,
  rolloutState: 'IN_PROGRESS',
  rolloutStateReason: '',
  failedTasks: 0,
  desiredCount: 0,
  runningCount: 0,
  pendingCount: 0,
  ...extra,
});
const rolling = (): ServiceDeployment[] => [
  deployment(OLD, { status: 'ACTIVE', rolloutState: 'COMPLETED' }),
  deployment(NEW),
];
const host = (n: number, extra: Partial<DaemonInstance> = {}): DaemonInstance => ({
  arn: `arn:aws:ecs:us-east-1:123456789012:container-instance/default/i${n}`,
  status: 'ACTIVE',
  eligible: true,
  replicaTasks: 0,
  ...extra,
});
const hosts = (n: number): DaemonInstance[] => Array.from({ length: n }, (_, i) => host(i + 1));

let serial = 0;
const task = (deploymentId: string, on: DaemonInstance, extra: Partial<ServiceTask> = {}): ServiceTask => ({
  arn: `arn:aws:ecs:us-east-1:123456789012:task/default/d${++serial}`,
  deploymentId,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  healthStatus: 'HEALTHY',
  healthChecked: true,
  createdAt: NOW - 120_000,
  startedAt: NOW - 60_000,
  containerInstanceArn: on.arn,
  instanceDraining: on.status === 'DRAINING',
  ...extra,
});

const run = (input: Partial<DaemonInput> & Pick<DaemonInput, 'instances'>): SchedulerPlan =>
  reconcileDaemon({
    service: service(),
    deployments: [deployment(NEW)],
    tasks: [],
    memo: EMPTY_MEMO,
    now: NOW,
    ...input,
  });
const startedOn = (plan: SchedulerPlan): string[] =>
  plan.start.map((s) => s.containerInstanceArn ?? '?').sort();

describe('daemon scheduling', () => {
  it('starts exactly one task on each eligible ACTIVE instance', () => {
    const instances = hosts(3);
    const plan = run({ instances });
    assert.deepEqual(startedOn(plan), instances.map((i) => i.arn).sort());
    assert.ok(plan.start.every((s) => s.count === 1 && s.deploymentId === NEW));
    assert.equal(plan.service.desiredCount, 3);
  });

  it('adds a task on an instance that joins later', () => {
    const instances = hosts(4);
    const tasks = instances.slice(0, 3).map((i) => task(NEW, i));
    const plan = run({ instances, tasks, deployments: [deployment(NEW, { rolloutState: 'COMPLETED' })] });
    assert.deepEqual(startedOn(plan), [instances[3]!.arn]);
    assert.deepEqual(plan.stop, []);
  });

  it('is steady with one healthy task per instance', () => {
    const instances = hosts(3);
    const plan = run({ instances, tasks: instances.map((i) => task(NEW, i)) });
    assert.equal(plan.steady, true);
    assert.deepEqual(plan.events, [
      '(service agent) (deployment ecs-svc/2000) deployment completed.',
      '(service agent) has reached a steady state.',
    ]);
  });

  it('stops the task on an instance that no longer meets the placement constraints', () => {
    const instances = [host(1), host(2, { eligible: false })];
    const tasks = instances.map((i) => task(NEW, i));
    const plan = run({ instances, tasks });
    assert.deepEqual(
      plan.stop.map((s) => s.arn),
      [tasks[1]!.arn],
    );
    assert.equal(plan.service.desiredCount, 1);
  });

  it('places nothing on a DRAINING instance and stops its daemon task last, after the replica tasks', () => {
    const busy = host(1, { status: 'DRAINING', replicaTasks: 2 });
    const waiting = run({ instances: [busy], tasks: [task(NEW, busy)] });
    assert.deepEqual(waiting.stop, []);
    assert.deepEqual(waiting.start, []);
    const empty = { ...busy, replicaTasks: 0 };
    const done = run({ instances: [empty], tasks: [task(NEW, empty)] });
    assert.equal(done.stop.length, 1);
    assert.deepEqual(done.start, []);
  });

  it('stops the task of an instance that is gone', () => {
    const plan = run({ instances: [], tasks: [task(NEW, host(9))] });
    assert.equal(plan.stop.length, 1);
  });

  it('keeps one task when an instance has two', () => {
    const i = host(1);
    const plan = run({ instances: [i], tasks: [task(NEW, i), task(NEW, i)] });
    assert.equal(plan.stop.length, 1);
  });

  it('replaces a task that failed its health checks once the instance is empty', () => {
    const i = host(1);
    const sick = task(NEW, i, { healthStatus: 'UNHEALTHY' });
    const first = run({ instances: [i], tasks: [sick] });
    assert.deepEqual(first.stop, [{ arn: sick.arn, reason: 'Task failed container health checks' }]);
    assert.deepEqual(first.start, []);
    const second = run({
      instances: [i],
      tasks: [{ ...sick, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }],
    });
    assert.deepEqual(startedOn(second), [i.arn]);
  });
});

describe('daemon rolling deployments', () => {
  it('min 0%, max 100%: stops every old task at once, then starts the new ones on the emptied instances', () => {
    const instances = hosts(3);
    const old = instances.map((i) => task(OLD, i));
    const first = run({ instances, deployments: rolling(), tasks: old });
    assert.equal(first.stop.length, 3);
    assert.deepEqual(first.start, [], 'the old tasks still hold the instances');
    const stopping = old.map((t) => ({ ...t, desiredStatus: 'STOPPED' as const }));
    assert.deepEqual(run({ instances, deployments: rolling(), tasks: stopping }).start, []);
    const stopped = old.map((t) => ({
      ...t,
      desiredStatus: 'STOPPED' as const,
      lastStatus: 'STOPPED' as const,
    }));
    assert.equal(run({ instances, deployments: rolling(), tasks: stopped }).start.length, 3);
  });

  it('min 50%, max 100% on 4 instances: replaces two at a time', () => {
    const instances = hosts(4);
    const plan = run({
      service: service(50, 100),
      instances,
      deployments: rolling(),
      tasks: instances.map((i) => task(OLD, i)),
    });
    assert.equal(plan.stop.length, 2);
  });

  it('min 100%, max 100%: says the configuration blocks the deployment', () => {
    const instances = hosts(2);
    const plan = run({
      service: service(100, 100),
      instances,
      deployments: rolling(),
      tasks: instances.map((i) => task(OLD, i)),
    });
    assert.deepEqual(plan.stop, []);
    assert.match(plan.events[0]!, /was unable to stop or start tasks during a deployment/);
  });

  it('max 200%: starts the new task beside the old one and stops the old one once the new one is healthy', () => {
    const [i] = hosts(1);
    const old = task(OLD, i!);
    const first = run({ service: service(100, 200), instances: [i!], deployments: rolling(), tasks: [old] });
    assert.deepEqual(startedOn(first), [i!.arn]);
    assert.deepEqual(first.stop, []);
    const fresh = task(NEW, i!);
    const second = run({
      service: service(100, 200),
      instances: [i!],
      deployments: rolling(),
      tasks: [old, fresh],
    });
    assert.deepEqual(
      second.stop.map((s) => s.arn),
      [old.arn],
    );
  });
});

describe('daemon scheduler in a random world (fast-check)', () => {
  it('converges to one healthy PRIMARY task per eligible ACTIVE instance, within max% at every step', () => {
    const instanceArb = fc.record({
      status: fc.constantFrom('ACTIVE', 'ACTIVE', 'DRAINING', 'INACTIVE'),
      eligible: fc.boolean(),
      old: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(
        fc.array(instanceArb, { maxLength: 8 }),
        fc.integer({ min: 0, max: 100 }),
        fc.constantFrom(100, 150, 200),
        (shape, min, max) => {
          const instances = shape.map((s, i) => host(i + 1, { status: s.status, eligible: s.eligible }));
          // A configuration that can neither stop nor start a task is blocked by design (see above).
          const d = instances.filter((i) => i.status === 'ACTIVE' && i.eligible).length;
          fc.pre(d === 0 || Math.floor((d * max) / 100) > d || Math.ceil((d * min) / 100) < d);
          let tasks = shape.flatMap((s, i) => Array.from({ length: s.old }, () => task(OLD, instances[i]!)));
          let deployments = rolling();
          let memo = EMPTY_MEMO;
          let now = NOW;
          let plan: SchedulerPlan | undefined;
          for (let step = 0; step < 30 && plan?.steady !== true; step++) {
            plan = reconcileDaemon({ service: service(min, max), deployments, tasks, instances, memo, now });
            memo = plan.memo;
            const changes = new Map(plan.deployments.map((c) => [c.id, c]));
            deployments = deployments.map((d) => ({ ...d, ...changes.get(d.id) }));
            const stops = new Set(plan.stop.map((s) => s.arn));
            const live = tasks.filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED');
            const bound = Math.floor((plan.service.desiredCount * max) / 100);
            const after = live.filter((t) => !stops.has(t.arn)).length + plan.start.length;
            // Tasks already on ineligible or draining instances are outside the count until they go.
            const outside = live.filter(
              (t) =>
                !instances.some(
                  (i) => i.arn === t.containerInstanceArn && i.status === 'ACTIVE' && i.eligible,
                ) && !stops.has(t.arn),
            ).length;
            assert.ok(after - outside <= bound, `step ${step}: ${after - outside} > ${bound}`);
            const on = (s: StartTasks): DaemonInstance =>
              instances.find((i) => i.arn === s.containerInstanceArn)!;
            tasks = [
              ...tasks.map((t): ServiceTask =>
                stops.has(t.arn) || t.desiredStatus === 'STOPPED'
                  ? { ...t, desiredStatus: 'STOPPED', lastStatus: 'STOPPED' }
                  : t,
              ),
              ...plan.start.map((s) => task(s.deploymentId, on(s), { createdAt: now, startedAt: now })),
            ];
            now += 60_000;
          }
          assert.equal(plan?.steady, true, 'steady');
          const live = tasks.filter((t) => t.lastStatus !== 'STOPPED');
          const targets = instances.filter((i) => i.status === 'ACTIVE' && i.eligible);
          assert.deepEqual(live.map((t) => t.containerInstanceArn).sort(), targets.map((i) => i.arn).sort());
          assert.ok(live.every((t) => t.deploymentId === NEW));
        },
      ),
      { numRuns: 200 },
    );
  });
});
