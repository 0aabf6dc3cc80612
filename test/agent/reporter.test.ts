import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import {
  ChannelError,
  type StateChangeEntry,
  type SubmitHealthRequest,
  type SubmitStateChangesRequest,
} from '../../src/agent/channel/client.js';
import { Reporter } from '../../src/agent/channel/reporter.js';
import type { ContainerView, TaskView } from '../../src/agent/engine/task-runner.js';

/**
 * The agent's reporter against a recording channel: what goes out, in what order, in how many
 * calls (changes of any task waiting behind a call batched into one BerthAgentV1.SubmitStateChanges,
 * a task's changes into one entry, pull times folded into the task's RUNNING/STOPPED entry,
 * identical reports not repeated, health through BerthAgentV1.SubmitHealth), and retries.
 */

const CLUSTER = 'c';
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef';
const OTHER_TASK = 'arn:aws:ecs:us-east-1:123456789012:task/c/fedcba9876543210';
const INSTANCE = 'arn:aws:ecs:us-east-1:123456789012:container-instance/c/1';

interface Call {
  readonly op: 'SubmitStateChanges' | 'SubmitHealth';
  readonly input: SubmitStateChangesRequest | SubmitHealthRequest;
}

/** A Reporter whose calls are recorded; `fail(n)` makes the next n calls fail (retryable). */
function harness(options: { attach?: boolean } = {}) {
  const calls: Call[] = [];
  let failures = 0;
  const maybeFail = (): void => {
    if (failures > 0) {
      failures--;
      throw Object.assign(new Error('connection refused'), { name: 'TypeError' });
    }
  };
  const channel = {
    submitStateChanges: async (request: SubmitStateChangesRequest) => {
      await Promise.resolve();
      maybeFail();
      calls.push({ op: 'SubmitStateChanges', input: request });
      return { refused: [] };
    },
    submitHealth: async (request: SubmitHealthRequest) => {
      await Promise.resolve();
      maybeFail();
      calls.push({ op: 'SubmitHealth', input: request });
    },
  };
  const stop = new AbortController();
  const reporter = new Reporter(pino({ level: 'silent' }), stop.signal);
  if (options.attach !== false) reporter.attach(channel, INSTANCE);
  return {
    reporter,
    calls,
    channel,
    stop,
    fail: (n: number) => (failures = n),
    ops: () => calls.map((c) => c.op),
    /** The entries of the n-th call (a SubmitStateChanges). */
    entries: (n: number): readonly StateChangeEntry[] =>
      (calls[n]?.input as SubmitStateChangesRequest).changes,
  };
}

/** Epoch seconds, as the channel carries timestamps. */
const secs = (d: Date) => d.getTime() / 1000;
const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));

function task(over: Partial<TaskView> = {}): TaskView {
  return {
    kind: 'task',
    cluster: CLUSTER,
    taskArn: TASK,
    lastStatus: 'PENDING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    ...over,
  };
}

function container(name: string, over: Partial<ContainerView> = {}): ContainerView {
  return {
    kind: 'container',
    cluster: CLUSTER,
    taskArn: TASK,
    containerName: name,
    lastStatus: 'PENDING',
    image: 'busybox',
    healthStatus: 'UNKNOWN',
    networkBindings: [],
    ...over,
  };
}

describe('Reporter', () => {
  it('a start is two calls: the launch, then the container and the task RUNNING in one entry (pull times folded in)', async () => {
    const h = harness();
    h.reporter.report(container('web'));
    h.reporter.report(task());
    await h.reporter.drained(); // the engine pulls and creates the container meanwhile
    h.reporter.report(task({ pullStartedAt: at(1) }));
    h.reporter.report(task({ pullStartedAt: at(1), pullStoppedAt: at(2) }));
    h.reporter.report(container('web', { runtimeId: 'r1' })); // created: rides on the next report
    await h.reporter.drained();
    h.reporter.report(container('web', { lastStatus: 'RUNNING', runtimeId: 'r1', imageDigest: 'sha256:d' }));
    h.reporter.report(task({ lastStatus: 'RUNNING', pullStartedAt: at(1), pullStoppedAt: at(2) }));
    await h.reporter.drained();
    assert.deepEqual(h.ops(), ['SubmitStateChanges', 'SubmitStateChanges']);
    assert.deepEqual(h.calls[0]!.input, {
      cluster: CLUSTER,
      containerInstanceArn: INSTANCE,
      changes: [
        { task: TASK, containers: [{ containerName: 'web', status: 'PENDING', networkBindings: [] }] },
      ],
    });
    assert.deepEqual(h.entries(1), [
      {
        task: TASK,
        status: 'RUNNING',
        pullStartedAt: secs(at(1)),
        pullStoppedAt: secs(at(2)),
        containers: [
          {
            containerName: 'web',
            imageDigest: 'sha256:d',
            status: 'RUNNING',
            runtimeId: 'r1',
            networkBindings: [],
          },
        ],
      },
    ]);
  });

  it('changes of many tasks made while a call is out go in the next call, one entry per task', async () => {
    const h = harness();
    h.reporter.report(container('a', { lastStatus: 'RUNNING', runtimeId: 'ra' }));
    // Not drained: the first call goes out after one turn of the event loop; once it has, these
    // changes join one call behind it.
    while (h.calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
    h.reporter.report(container('b', { lastStatus: 'RUNNING', runtimeId: 'rb' }));
    h.reporter.report(container('x', { taskArn: OTHER_TASK, lastStatus: 'RUNNING', runtimeId: 'rx' }));
    h.reporter.report(container('a', { lastStatus: 'STOPPED', runtimeId: 'ra', exitCode: 0 }));
    h.reporter.report(task({ lastStatus: 'RUNNING' }));
    h.reporter.report(task({ taskArn: OTHER_TASK, lastStatus: 'RUNNING' }));
    await h.reporter.drained();
    assert.deepEqual(h.ops(), ['SubmitStateChanges', 'SubmitStateChanges']);
    const [first, second, ...more] = h.entries(1);
    assert.equal(more.length, 0);
    assert.equal(first?.task, TASK);
    assert.equal(first?.status, 'RUNNING');
    assert.deepEqual(
      first?.containers?.map((c) => [c.containerName, c.status]),
      [
        ['b', 'RUNNING'],
        ['a', 'STOPPED'],
      ],
    );
    assert.equal(second?.task, OTHER_TASK);
    assert.equal(second?.status, 'RUNNING');
    assert.deepEqual(
      second?.containers?.map((c) => [c.containerName, c.status]),
      [['x', 'RUNNING']],
    );
  });

  it('sends an exit with its task STOPPED in one entry, and an identical report once', async () => {
    const h = harness();
    const running = container('web', { lastStatus: 'RUNNING', runtimeId: 'r1' });
    h.reporter.report(running);
    h.reporter.report(task({ lastStatus: 'RUNNING', pullStartedAt: at(1), pullStoppedAt: at(2) }));
    await h.reporter.drained();
    h.reporter.report({ ...running, startedAt: at(3) }); // a view change the control plane does not take
    h.reporter.report(
      task({ lastStatus: 'RUNNING', pullStartedAt: at(1), pullStoppedAt: at(2), startedAt: at(3) }),
    );
    await h.reporter.drained();
    assert.equal(h.calls.length, 1, 'nothing new, nothing sent');
    h.reporter.report(container('web', { lastStatus: 'STOPPED', runtimeId: 'r1', exitCode: 3 }));
    h.reporter.report(task({ lastStatus: 'STOPPING', pullStartedAt: at(1), pullStoppedAt: at(2) }));
    h.reporter.report(task({ lastStatus: 'STOPPED', stoppedReason: 'Essential container in task exited' }));
    await h.reporter.drained();
    assert.deepEqual(h.ops(), ['SubmitStateChanges', 'SubmitStateChanges']);
    const [stopped, ...more] = h.entries(1);
    assert.equal(more.length, 0);
    assert.equal(stopped?.status, 'STOPPED');
    assert.equal(stopped?.reason, 'Essential container in task exited');
    assert.equal(stopped?.containers?.[0]?.exitCode, 3);
  });

  it('a container that runs and exits within one turn is reported RUNNING, then STOPPED with its exit code', async () => {
    const h = harness();
    h.reporter.report(container('main'));
    await h.reporter.drained();
    h.reporter.report(container('main', { lastStatus: 'RUNNING', runtimeId: 'r1' }));
    h.reporter.report(container('main', { lastStatus: 'STOPPED', runtimeId: 'r1', exitCode: 42 }));
    h.reporter.report(task({ lastStatus: 'STOPPED', stoppedReason: 'Essential container in task exited' }));
    await h.reporter.drained();
    assert.deepEqual(h.ops(), ['SubmitStateChanges', 'SubmitStateChanges']);
    const [ran, stopped, ...more] = h.entries(1);
    assert.equal(more.length, 0);
    assert.equal(ran?.status, undefined);
    assert.deepEqual(
      ran?.containers?.map((c) => [c.status, c.exitCode]),
      [['RUNNING', undefined]],
    );
    assert.equal(stopped?.status, 'STOPPED');
    assert.deepEqual(
      stopped?.containers?.map((c) => [c.status, c.exitCode]),
      [['STOPPED', 42]],
    );
  });

  it('a container that stops before the task ran carries the pull times (its task may stop on it)', async () => {
    const h = harness();
    h.reporter.report(container('web'));
    h.reporter.report(task({ pullStartedAt: at(1) }));
    await h.reporter.drained();
    h.reporter.report(container('web', { lastStatus: 'STOPPED', reason: 'CannotPullContainerError: no' }));
    await h.reporter.drained(); // sent alone: the task's STOPPED comes later
    h.reporter.report(
      task({ lastStatus: 'STOPPED', pullStartedAt: at(1), stoppedReason: 'Task failed to start' }),
    );
    await h.reporter.drained();
    assert.deepEqual(h.ops(), ['SubmitStateChanges', 'SubmitStateChanges', 'SubmitStateChanges']);
    assert.deepEqual(h.entries(1), [
      {
        task: TASK,
        pullStartedAt: secs(at(1)),
        containers: [
          {
            containerName: 'web',
            status: 'STOPPED',
            reason: 'CannotPullContainerError: no',
            networkBindings: [],
          },
        ],
      },
    ]);
    assert.equal(h.entries(2)[0]?.status, 'STOPPED');
  });

  it('sends health changes through SubmitHealth, after the start, one entry per task', async () => {
    const h = harness();
    h.reporter.report(container('a', { lastStatus: 'RUNNING', runtimeId: 'ra' }));
    h.reporter.report(container('b', { lastStatus: 'RUNNING', runtimeId: 'rb' }));
    h.reporter.report(task({ lastStatus: 'RUNNING' }));
    // One engine flush with both containers' health changed, then the task's view.
    h.reporter.report(container('a', { lastStatus: 'RUNNING', runtimeId: 'ra', healthStatus: 'HEALTHY' }));
    h.reporter.report(container('b', { lastStatus: 'RUNNING', runtimeId: 'rb', healthStatus: 'UNHEALTHY' }));
    h.reporter.report(task({ lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY' }));
    // The same health again: nothing.
    h.reporter.report(
      container('a', { lastStatus: 'RUNNING', runtimeId: 'ra', healthStatus: 'HEALTHY', startedAt: at(9) }),
    );
    await h.reporter.drained();
    assert.deepEqual(h.ops(), ['SubmitStateChanges', 'SubmitHealth']);
    assert.deepEqual(h.calls[1]!.input, {
      cluster: CLUSTER,
      containerInstanceArn: INSTANCE,
      tasks: [
        {
          taskArn: TASK,
          containers: [
            { containerName: 'a', healthStatus: 'HEALTHY' },
            { containerName: 'b', healthStatus: 'UNHEALTHY' },
          ],
        },
      ],
    });
  });

  it('keeps order across a health report: a later state change does not pass it', async () => {
    const h = harness();
    h.reporter.report(container('a', { lastStatus: 'RUNNING', healthStatus: 'HEALTHY' }));
    h.reporter.report(container('a', { lastStatus: 'STOPPED', exitCode: 1, healthStatus: 'UNHEALTHY' }));
    await h.reporter.drained();
    assert.deepEqual(h.ops(), ['SubmitStateChanges', 'SubmitHealth', 'SubmitStateChanges', 'SubmitHealth']);
  });

  it('holds every report until the channel is attached, then sends them in order', async () => {
    const h = harness({ attach: false });
    h.reporter.report(container('a', { lastStatus: 'RUNNING', healthStatus: 'HEALTHY' }));
    h.reporter.report(container('a', { lastStatus: 'STOPPED', exitCode: 0, healthStatus: 'HEALTHY' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(h.ops(), []);
    h.reporter.attach(h.channel, INSTANCE);
    await h.reporter.drained();
    assert.deepEqual(h.ops(), ['SubmitStateChanges', 'SubmitHealth', 'SubmitStateChanges']);
  });

  it('retries a failed send, and drops a refused one', async () => {
    const h = harness();
    h.fail(2);
    h.reporter.report(container('a', { lastStatus: 'RUNNING', healthStatus: 'HEALTHY' }));
    await h.reporter.drained();
    assert.deepEqual(h.ops(), ['SubmitStateChanges', 'SubmitHealth']);

    const refused = harness({ attach: false });
    let tries = 0;
    refused.reporter.attach(
      {
        submitStateChanges: async (request: SubmitStateChangesRequest) => {
          tries++;
          await Promise.resolve();
          // The control plane refuses the first entry alone and applies the others.
          return {
            refused: [
              {
                index: 0,
                task: request.changes[0]?.task ?? '',
                code: 'InvalidParameterException',
                message: 'gone',
              },
            ],
          };
        },
        submitHealth: async () => {
          tries++;
          await Promise.resolve();
          throw new ChannelError('InvalidParameterException', 400, 'no such task');
        },
      },
      INSTANCE,
    );
    refused.reporter.report(container('a', { lastStatus: 'RUNNING', healthStatus: 'HEALTHY' }));
    await refused.reporter.drained();
    assert.equal(tries, 2, 'a refusal is not retried');
    refused.reporter.report(task({ lastStatus: 'RUNNING' }));
    await refused.reporter.drained();
    assert.equal(tries, 3, 'later reports still go');
  });

  it('drains at once when stopped before the channel is attached', async () => {
    const h = harness({ attach: false });
    h.reporter.report(container('a', { lastStatus: 'RUNNING', healthStatus: 'HEALTHY' }));
    h.stop.abort();
    await h.reporter.drained();
    assert.deepEqual(h.ops(), []);
  });
});
