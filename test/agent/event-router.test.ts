import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskEngine } from '../../src/agent/engine/engine.js';
import { EventRouter, type EventSink } from '../../src/agent/engine/event-router.js';
import type { StateChange, TaskView } from '../../src/agent/engine/task-runner.js';
import { ECS_LABELS, type TaskSpec } from '../../src/agent/engine/task-spec.js';
import { EventQueue } from '../../src/agent/runtime/event-queue.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import type { EventsOptions, Runtime, RuntimeEvent } from '../../src/agent/runtime/runtime.js';

/**
 * The engine's one event subscription: how many streams it opens, how it routes by the task-arn
 * label, and the restart-safety contract — every time the stream becomes live each actor syncs
 * (inspects) first, and its events come after that sync, never before.
 */

const IMAGE = 'berth-test/busybox:1';
const RUN = randomBytes(4).toString('hex');
const CONFIG = {
  disablePrivileged: false,
  containerStopTimeoutSeconds: 1,
  imagePullBehavior: 'default',
  taskCleanupWaitSeconds: 3600,
} as const;

/** A runtime whose event streams the test can end (what a dockerd restart does), counting them. */
function breakable(fake: FakeRuntime): { runtime: Runtime; opened: () => number; breakStream: () => void } {
  let opened = 0;
  let current: AbortController | undefined;
  const events = (opts: EventsOptions): Promise<AsyncIterable<RuntimeEvent>> => {
    opened++;
    current = new AbortController();
    return fake.events({ ...opts, signal: AbortSignal.any([opts.signal, current.signal]) });
  };
  const runtime = new Proxy(fake, {
    get(target, property, receiver) {
      if (property === 'events') return events;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { runtime, opened: () => opened, breakStream: () => current?.abort() };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let counter = 0;
function taskSpec(): TaskSpec {
  return {
    taskArn: `arn:aws:ecs:local-1:000000000000:task/default/${RUN}${++counter}`,
    cluster: 'default',
    family: 'web',
    revision: 1,
    desiredStatus: 'RUNNING',
    version: 1,
    containers: [{ name: 'web', image: IMAGE }],
  };
}

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('task engine event subscription', () => {
  it('opens one stream for many tasks, and after it breaks every actor resyncs and sees what it missed', async () => {
    const fake = new FakeRuntime({ localImages: [IMAGE] });
    const { runtime, opened, breakStream } = breakable(fake);
    const reports: StateChange[] = [];
    const engine = new TaskEngine({ runtime, config: CONFIG, report: (c) => reports.push(c) });
    cleanups.push(
      () => fake.dispose(),
      () => engine.close(),
    );
    const statusOf = (task: TaskSpec): TaskView['lastStatus'] | undefined =>
      reports.filter((r): r is TaskView => r.kind === 'task' && r.taskArn === task.taskArn).at(-1)
        ?.lastStatus;

    const tasks = Array.from({ length: 5 }, () => taskSpec());
    engine.desire(tasks);
    await until('all RUNNING', () => tasks.every((t) => statusOf(t) === 'RUNNING'));
    assert.equal(opened(), 1, 'one subscription for five tasks');

    // The stream ends (a dockerd restart); while no one listens, one task's container exits.
    breakStream();
    const [victim] = await fake.list({ labels: { [ECS_LABELS.taskArn]: tasks[0]?.taskArn } });
    fake.exit(victim?.runtimeId ?? '', 3);
    await until('the victim STOPPED', () => statusOf(tasks[0] as TaskSpec) === 'STOPPED');
    assert.equal(opened(), 2, 'resubscribed once');
    for (const t of tasks.slice(1)) assert.equal(statusOf(t), 'RUNNING');

    // A task created while the stream is live syncs at once and follows its events.
    const late = taskSpec();
    engine.desire([late]);
    await until('late RUNNING', () => statusOf(late) === 'RUNNING');
    const [lateContainer] = await fake.list({ labels: { [ECS_LABELS.taskArn]: late.taskArn } });
    fake.exit(lateContainer?.runtimeId ?? '', 0);
    await until('late STOPPED', () => statusOf(late) === 'STOPPED');
    assert.equal(opened(), 2);
  });
});

describe('EventRouter', () => {
  function stubRuntime(): { runtime: Runtime; push: (e: RuntimeEvent) => void; end: () => void } {
    let queue: EventQueue<RuntimeEvent> | undefined;
    const runtime = {
      events: (opts: EventsOptions) => {
        queue = new EventQueue<RuntimeEvent>(opts.signal);
        return Promise.resolve(queue);
      },
    } as unknown as Runtime;
    return { runtime, push: (e) => queue?.push(e), end: () => queue?.end() };
  }
  const eventFor = (taskArn: string, id: string): RuntimeEvent => ({
    type: 'start',
    runtimeId: id,
    name: id,
    labels: { [ECS_LABELS.taskArn]: taskArn },
    at: new Date(),
  });

  it('routes by the task-arn label and holds an actor’s events until its sync is done', async () => {
    const { runtime, push } = stubRuntime();
    const router = new EventRouter({ runtime });
    cleanups.push(() => router.close());
    const log: string[] = [];
    let release: () => void = () => undefined;
    const slow: EventSink = {
      sync: () => new Promise<void>((resolve) => (release = () => (log.push('a:synced'), resolve()))),
      event: (e) => log.push(`a:${e.runtimeId}`),
    };
    const quick: EventSink = {
      sync: () => (log.push('b:synced'), Promise.resolve()),
      event: (e) => log.push(`b:${e.runtimeId}`),
    };
    router.attach('A', slow);
    router.attach('B', quick);
    router.start();
    await until('live', () => router.isLive);
    await sleep(1);
    push(eventFor('A', '1'));
    push(eventFor('B', '2'));
    push(eventFor('C', '3')); // no actor: dropped
    await sleep(5);
    assert.deepEqual(log, ['b:synced', 'b:2'], 'A’s event waits for its sync');
    release();
    await until('A released', () => log.includes('a:1'));
    assert.deepEqual(log, ['b:synced', 'b:2', 'a:synced', 'a:1']);
  });

  it('resyncs every actor when the stream ends and comes back, and retries a failed sync', async () => {
    const { runtime, end } = stubRuntime();
    const router = new EventRouter({ runtime });
    cleanups.push(() => router.close());
    let syncs = 0;
    let failNext = false;
    router.attach('A', {
      sync: () => {
        syncs++;
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('engine away'));
        }
        return Promise.resolve();
      },
      event: () => undefined,
    });
    router.start();
    await until('first sync', () => syncs === 1);
    failNext = true;
    end();
    await until('a failed then a retried sync', () => syncs === 3, 5000);
  });
});
