import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  dependencyReadiness,
  type ContainerDependencies,
} from '../../src/core/ecs/task-lifecycle-depends-on.js';
import {
  TASK_STATUS_RANK,
  newTaskState,
  nextTaskState,
  taskHealth,
  type ContainerState,
  type HealthStatus,
  type TaskEvent,
  type TaskHooks,
  type TaskState,
} from '../../src/core/ecs/task-lifecycle.js';
import { reportEvents, type TaskReport } from '../../src/core/ecs/task-report.js';

const NO_HOOKS: TaskHooks = { provision: false, activate: false };
const ALL_HOOKS: TaskHooks = { provision: true, activate: true };

const webAndSidecar = (hooks: TaskHooks = NO_HOOKS): TaskState =>
  newTaskState(
    [
      { name: 'web', essential: true, hasHealthCheck: true },
      { name: 'log', essential: false, hasHealthCheck: false },
    ],
    hooks,
  );

/** Applies events at t = 1, 2, 3, … */
const run = (task: TaskState, events: readonly TaskEvent[]): TaskState =>
  events.reduce((t, e, k) => nextTaskState(t, e, k + 1), task);

const started: TaskEvent[] = [
  { kind: 'pullStarted' },
  { kind: 'pullStopped' },
  { kind: 'containerStarted', container: 'web', runtimeId: 'c1' },
  { kind: 'containerStarted', container: 'log' },
];

describe('task lifecycle', () => {
  it('goes PENDING → RUNNING when every essential container runs, stamping pulls and startedAt', () => {
    const t = run(webAndSidecar(), started);
    assert.equal(t.lastStatus, 'RUNNING');
    assert.equal(t.pullStartedAt, 1);
    assert.equal(t.pullStoppedAt, 2);
    assert.equal(t.startedAt, 3);
    assert.equal(t.containers[0]?.runtimeId, 'c1');
  });

  it('stops the task with EssentialContainerExited when an essential container exits', () => {
    const t = run(webAndSidecar(), [
      ...started,
      { kind: 'containerExited', container: 'web', exitCode: 2 },
      { kind: 'containerExited', container: 'log', exitCode: 137 },
    ]);
    assert.equal(t.lastStatus, 'STOPPED');
    assert.equal(t.desiredStatus, 'STOPPED');
    assert.equal(t.stopCode, 'EssentialContainerExited');
    assert.equal(t.stoppedReason, 'Essential container in task exited');
    assert.equal(t.containers[0]?.exitCode, 2);
    assert.equal(t.stoppingAt, 5);
    assert.equal(t.executionStoppedAt, 6);
    assert.equal(t.stoppedAt, 6);
  });

  it('keeps the task RUNNING when a non-essential container exits', () => {
    const t = run(webAndSidecar(), [...started, { kind: 'containerExited', container: 'log', exitCode: 0 }]);
    assert.equal(t.lastStatus, 'RUNNING');
    assert.equal(t.desiredStatus, 'RUNNING');
    assert.equal(t.stopCode, undefined);
    assert.equal(t.containers[1]?.lastStatus, 'STOPPED');
  });

  it('records a StopTask with its reason, and "Task stopped by user" without one', () => {
    const withReason = run(webAndSidecar(), [
      ...started,
      { kind: 'stopRequested', code: 'UserInitiated', reason: 'deploy v2' },
    ]);
    assert.equal(withReason.lastStatus, 'STOPPING');
    assert.equal(withReason.stopCode, 'UserInitiated');
    assert.equal(withReason.stoppedReason, 'deploy v2');
    const bare = run(webAndSidecar(), [...started, { kind: 'stopRequested', code: 'UserInitiated' }]);
    assert.equal(bare.stoppedReason, 'Task stopped by user');
  });

  it('keeps the first stop reason when an essential container exits after a stop request', () => {
    const t = run(webAndSidecar(), [
      ...started,
      { kind: 'stopRequested', code: 'ServiceSchedulerInitiated', reason: 'Scaling activity initiated' },
      { kind: 'containerExited', container: 'web', exitCode: 143 },
      { kind: 'containerExited', container: 'log', exitCode: 143 },
    ]);
    assert.equal(t.stopCode, 'ServiceSchedulerInitiated');
    assert.equal(t.stoppedReason, 'Scaling activity initiated');
    assert.equal(t.lastStatus, 'STOPPED');
  });

  it('waits for a container being launched when the task stops, instead of marking it STOPPED', () => {
    const stopping = run(webAndSidecar(), [
      { kind: 'pullStarted' },
      { kind: 'pullStopped' },
      { kind: 'containerLaunching', container: 'web' },
      { kind: 'containerLaunching', container: 'log' },
      { kind: 'containerStarted', container: 'web', runtimeId: 'c1' },
      { kind: 'containerExited', container: 'web', exitCode: 3 },
    ]);
    assert.equal(stopping.lastStatus, 'STOPPING', 'the sidecar may still come up');
    assert.equal(stopping.stopCode, 'EssentialContainerExited');
    assert.equal(stopping.containers[1]?.lastStatus, 'PENDING');
    const stopped = run(stopping, [
      { kind: 'containerStarted', container: 'log', runtimeId: 'c2' },
      { kind: 'containerExited', container: 'log', exitCode: 137 },
    ]);
    assert.equal(stopped.lastStatus, 'STOPPED');
    assert.deepEqual(
      stopped.containers.map((c) => [c.name, c.lastStatus, c.exitCode]),
      [
        ['web', 'STOPPED', 3],
        ['log', 'STOPPED', 137],
      ],
    );
    // Not launched: STOPPED at once, as before.
    const never = run(webAndSidecar(), [
      { kind: 'containerLaunching', container: 'web' },
      { kind: 'stopRequested', code: 'UserInitiated' },
    ]);
    assert.equal(never.lastStatus, 'STOPPING');
    assert.equal(never.containers[1]?.lastStatus, 'STOPPED');
    const failed = nextTaskState(never, { kind: 'failedToStart', container: 'web', reason: 'boom' }, 9);
    assert.equal(failed.lastStatus, 'STOPPED');
  });

  it('stops a task that failed to start with TaskFailedToStart and its reason, without startedAt', () => {
    const reason = 'CannotPullContainerError: pull image manifest has been retried 5 time(s)';
    const t = run(webAndSidecar(), [
      { kind: 'pullStarted' },
      { kind: 'failedToStart', reason, container: 'web' },
    ]);
    assert.equal(t.lastStatus, 'STOPPED');
    assert.equal(t.stopCode, 'TaskFailedToStart');
    assert.equal(t.stoppedReason, reason);
    assert.equal(t.startedAt, undefined);
    assert.equal(t.containers[0]?.reason, reason);
  });

  it('walks every state when the task provisions network and registers with a load balancer', () => {
    const seen: string[] = [];
    let t = webAndSidecar(ALL_HOOKS);
    const events: TaskEvent[] = [
      { kind: 'provisioned' },
      ...started,
      { kind: 'activated' },
      { kind: 'stopRequested', code: 'SpotInterruption', reason: 'Your Spot Task was interrupted.' },
      { kind: 'deactivated' },
      { kind: 'containerExited', container: 'web', exitCode: 0 },
      { kind: 'containerExited', container: 'log', exitCode: 0 },
      { kind: 'deprovisioned' },
    ];
    seen.push(t.lastStatus);
    events.forEach((e, k) => {
      t = nextTaskState(t, e, k + 1);
      if (seen.at(-1) !== t.lastStatus) seen.push(t.lastStatus);
    });
    assert.deepEqual(seen, [
      'PROVISIONING',
      'PENDING',
      'ACTIVATING',
      'RUNNING',
      'DEACTIVATING',
      'STOPPING',
      'DEPROVISIONING',
      'STOPPED',
    ]);
    assert.equal(t.stopCode, 'SpotInterruption');
    assert.ok((t.executionStoppedAt ?? 0) < (t.stoppedAt ?? 0));
  });

  it('ignores events for unknown containers and anything after STOPPED', () => {
    const t = run(webAndSidecar(), started);
    assert.equal(nextTaskState(t, { kind: 'containerStarted', container: 'nope' }, 9), t);
    const stopped = run(t, [{ kind: 'stopRequested', code: 'UserInitiated' }]);
    const done = run(stopped, [
      { kind: 'containerExited', container: 'web' },
      { kind: 'containerExited', container: 'log' },
    ]);
    assert.equal(done.lastStatus, 'STOPPED');
    assert.equal(nextTaskState(done, { kind: 'containerStarted', container: 'web' }, 99), done);
  });
});

describe('task health', () => {
  const c = (essential: boolean, healthStatus: HealthStatus, hasHealthCheck = true): ContainerState => ({
    name: `${essential ? 'e' : 'n'}-${healthStatus}-${String(hasHealthCheck)}`,
    essential,
    hasHealthCheck,
    lastStatus: 'RUNNING',
    healthStatus,
  });
  const table: [string, ContainerState[], HealthStatus][] = [
    ['UNHEALTHY when any essential is UNHEALTHY', [c(true, 'UNHEALTHY'), c(true, 'UNKNOWN')], 'UNHEALTHY'],
    ['UNHEALTHY over HEALTHY', [c(true, 'UNHEALTHY'), c(true, 'HEALTHY'), c(true, 'HEALTHY')], 'UNHEALTHY'],
    [
      'UNKNOWN when an essential is UNKNOWN and none UNHEALTHY',
      [c(true, 'HEALTHY'), c(true, 'UNKNOWN')],
      'UNKNOWN',
    ],
    [
      'HEALTHY when every essential with a check is HEALTHY',
      [c(true, 'HEALTHY'), c(true, 'HEALTHY')],
      'HEALTHY',
    ],
    ['ignores essentials without a check', [c(true, 'HEALTHY'), c(true, 'UNKNOWN', false)], 'HEALTHY'],
    [
      'ignores non-essentials when an essential has a check',
      [c(true, 'HEALTHY'), c(false, 'UNHEALTHY')],
      'HEALTHY',
    ],
    [
      'uses non-essentials when no essential has a check',
      [c(true, 'UNKNOWN', false), c(false, 'UNHEALTHY')],
      'UNHEALTHY',
    ],
    ['UNKNOWN with no health checks at all', [c(true, 'UNKNOWN', false)], 'UNKNOWN'],
  ];
  for (const [name, containers, expected] of table) {
    it(`is ${name}`, () => assert.equal(taskHealth(containers), expected));
  }

  it('follows the essential container health reports through the reducer', () => {
    let t = run(webAndSidecar(), started);
    assert.equal(t.healthStatus, 'UNKNOWN');
    t = nextTaskState(t, { kind: 'containerHealthChanged', container: 'web', healthStatus: 'HEALTHY' }, 10);
    assert.equal(t.healthStatus, 'HEALTHY');
    t = nextTaskState(t, { kind: 'containerHealthChanged', container: 'web', healthStatus: 'UNHEALTHY' }, 11);
    assert.equal(t.healthStatus, 'UNHEALTHY');
  });
});

describe('dependsOn readiness', () => {
  const state = (name: string, extra: Partial<ContainerState> = {}): ContainerState => ({
    name,
    essential: true,
    hasHealthCheck: true,
    lastStatus: 'PENDING',
    healthStatus: 'UNKNOWN',
    ...extra,
  });
  const specs: ContainerDependencies[] = [
    { name: 'init', dependsOn: [] },
    { name: 'db', dependsOn: [] },
    { name: 'migrate', dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] },
    {
      name: 'app',
      dependsOn: [
        { containerName: 'db', condition: 'HEALTHY' },
        { containerName: 'migrate', condition: 'COMPLETE' },
      ],
    },
    { name: 'proxy', dependsOn: [{ containerName: 'app', condition: 'START' }] },
  ];

  it('starts containers without dependencies first and holds the rest', () => {
    const r = dependencyReadiness(
      specs,
      ['init', 'db', 'migrate', 'app', 'proxy'].map((n) => state(n)),
    );
    assert.deepEqual(r.startable, ['init', 'db']);
    assert.deepEqual(
      r.waiting.map((w) => w.name),
      ['migrate', 'app', 'proxy'],
    );
    assert.deepEqual(r.never, []);
  });

  it('starts a SUCCESS dependent after exit 0, a HEALTHY dependent after the check passes', () => {
    const r = dependencyReadiness(specs, [
      state('init', { lastStatus: 'STOPPED', startedAt: 1, exitCode: 0 }),
      state('db', { lastStatus: 'RUNNING', startedAt: 1, healthStatus: 'HEALTHY' }),
      state('migrate', { lastStatus: 'STOPPED', startedAt: 2, exitCode: 1 }),
      state('app'),
      state('proxy'),
    ]);
    // migrate exited 1, but app only needs it COMPLETE.
    assert.deepEqual(r.startable, ['app']);
    assert.deepEqual(r.waiting, [{ name: 'proxy', on: ['app'] }]);
  });

  it('never starts a SUCCESS dependent whose dependency exited non-zero, nor what depends on it', () => {
    const r = dependencyReadiness(specs, [
      state('init', { lastStatus: 'STOPPED', startedAt: 1, exitCode: 3 }),
      state('db', { lastStatus: 'RUNNING', startedAt: 1, healthStatus: 'HEALTHY' }),
      state('migrate'),
      state('app'),
      state('proxy'),
    ]);
    assert.deepEqual(r.never.map((n) => n.name).sort(), ['app', 'migrate', 'proxy']);
    assert.match(r.never.find((n) => n.name === 'migrate')?.reason ?? '', /exited with 3/);
  });

  it('never starts a HEALTHY dependent whose dependency stopped before it was healthy', () => {
    const r = dependencyReadiness(
      [{ name: 'app', dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }],
      [state('db', { lastStatus: 'STOPPED', startedAt: 1, exitCode: 1 }), state('app')],
    );
    assert.deepEqual(
      r.never.map((n) => n.name),
      ['app'],
    );
  });
});

describe('task lifecycle properties', () => {
  const names = ['a', 'b', 'c'];
  const eventArb: fc.Arbitrary<TaskEvent> = fc.oneof(
    fc.constantFrom<TaskEvent>(
      { kind: 'provisioned' },
      { kind: 'pullStarted' },
      { kind: 'pullStopped' },
      { kind: 'activated' },
      { kind: 'deactivated' },
      { kind: 'deprovisioned' },
    ),
    fc.constantFrom(...names).map((container): TaskEvent => ({ kind: 'containerStarted', container })),
    fc.constantFrom(...names).map((container): TaskEvent => ({ kind: 'containerLaunching', container })),
    fc
      .tuple(fc.constantFrom(...names), fc.integer({ min: 0, max: 255 }))
      .map(([container, exitCode]): TaskEvent => ({ kind: 'containerExited', container, exitCode })),
    fc
      .tuple(fc.constantFrom(...names), fc.constantFrom<HealthStatus>('HEALTHY', 'UNHEALTHY', 'UNKNOWN'))
      .map(([container, healthStatus]): TaskEvent => ({
        kind: 'containerHealthChanged',
        container,
        healthStatus,
      })),
    fc
      .constantFrom(
        'UserInitiated',
        'ServiceSchedulerInitiated',
        'SpotInterruption',
        'TerminationNotice' as const,
      )
      .map((code): TaskEvent => ({ kind: 'stopRequested', code })),
    fc.constant<TaskEvent>({ kind: 'failedToStart', reason: 'CannotStartContainerError' }),
  );
  const taskArb = fc
    .tuple(
      fc.boolean(),
      fc.boolean(),
      fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 3, maxLength: 3 }),
    )
    .map(([provision, activate, flags]) =>
      newTaskState(
        names.map((name, k) => ({
          name,
          essential: k === 0 || (flags[k]?.[0] ?? false),
          hasHealthCheck: flags[k]?.[1] ?? false,
        })),
        { provision, activate },
      ),
    );
  const stamps = [
    'pullStartedAt',
    'pullStoppedAt',
    'startedAt',
    'stoppingAt',
    'executionStoppedAt',
    'stoppedAt',
  ] as const;

  it('never moves lastStatus backwards and sets each timestamp at most once', () => {
    fc.assert(
      fc.property(taskArb, fc.array(eventArb, { maxLength: 40 }), (initial, events) => {
        let t = initial;
        events.forEach((e, k) => {
          const next = nextTaskState(t, e, k + 1);
          assert.ok(TASK_STATUS_RANK[next.lastStatus] >= TASK_STATUS_RANK[t.lastStatus]);
          for (const s of stamps) if (t[s] !== undefined) assert.equal(next[s], t[s], s);
          if (t.stopCode !== undefined) assert.equal(next.stopCode, t.stopCode);
          if (t.desiredStatus === 'STOPPED') assert.equal(next.desiredStatus, 'STOPPED');
          t = next;
        });
      }),
    );
  });

  it('reaches STOPPED only with every container stopped and a stop code', () => {
    fc.assert(
      fc.property(taskArb, fc.array(eventArb, { maxLength: 40 }), (initial, events) => {
        const t = run(initial, events);
        if (t.lastStatus !== 'STOPPED') return;
        assert.ok(t.containers.every((c) => c.lastStatus === 'STOPPED'));
        assert.notEqual(t.stopCode, undefined);
        assert.notEqual(t.stoppedAt, undefined);
      }),
    );
  });
});

describe('agent reports in the control plane', () => {
  const apply = (task: TaskState, report: TaskReport, now: number): TaskState =>
    reportEvents(task, report).reduce((t, { event, at }) => nextTaskState(t, event, at ?? now), task);

  it('keeps a task STOPPING while a container the agent may be starting is unreported', () => {
    let t = apply(webAndSidecar(), { containers: [], pullStartedAt: 1, pullStoppedAt: 2 }, 2);
    t = apply(t, { containers: [{ name: 'web', status: 'RUNNING', runtimeId: 'c1' }] }, 3);
    t = apply(t, { containers: [{ name: 'web', status: 'STOPPED', exitCode: 3 }] }, 4);
    assert.equal(t.lastStatus, 'STOPPING', 'the sidecar may be coming up on the host');
    assert.equal(t.stopCode, 'EssentialContainerExited');
    t = apply(t, { containers: [{ name: 'log', status: 'RUNNING', runtimeId: 'c2' }] }, 5);
    t = apply(t, { containers: [{ name: 'log', status: 'STOPPED', exitCode: 137 }] }, 6);
    assert.equal(t.lastStatus, 'STOPPED');
    assert.deepEqual(
      t.containers.map((c) => [c.name, c.exitCode]),
      [
        ['web', 3],
        ['log', 137],
      ],
    );
  });

  it('still stops at once a task the agent has not reported on', () => {
    const t = nextTaskState(webAndSidecar(), { kind: 'stopRequested', code: 'UserInitiated' }, 1);
    assert.equal(t.lastStatus, 'STOPPED');
  });

  it('reads an essential container stopped with a reason before it ran as a failure to start', () => {
    const t = apply(
      webAndSidecar(),
      { containers: [{ name: 'web', status: 'STOPPED', reason: 'CannotCreateContainerError: privileged' }] },
      1,
    );
    assert.equal(t.stopCode, 'TaskFailedToStart');
    assert.equal(t.stoppedReason, 'CannotCreateContainerError: privileged');
    const done = apply(
      t,
      { status: 'STOPPED', reason: 'CannotCreateContainerError: privileged', containers: [] },
      2,
    );
    assert.equal(done.lastStatus, 'STOPPED');
    assert.equal(done.stopCode, 'TaskFailedToStart');
  });

  it('reads a container that started and exited between two reports (its exit code, with the task STOPPED) as an exit, not a failure to start', () => {
    const t = apply(
      webAndSidecar(),
      {
        status: 'STOPPED',
        reason: 'Essential container in task exited',
        containers: [
          { name: 'web', status: 'STOPPED', exitCode: 42 },
          { name: 'sidecar', status: 'STOPPED', exitCode: 0 },
        ],
      },
      1,
    );
    assert.equal(t.lastStatus, 'STOPPED');
    assert.equal(t.stopCode, 'EssentialContainerExited');
    assert.equal(t.containers.find((c) => c.name === 'web')?.exitCode, 42);
  });
});
