import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { AgentTask, ChannelClient, PollRequest, PollResponse } from '../../src/agent/channel/client.js';
import { runPollLoop } from '../../src/agent/channel/poll-loop.js';
import type { TaskSpec } from '../../src/agent/engine/task-spec.js';

/**
 * The agent's poll loop against scripted answers: tasks the control plane names `unchanged` keep
 * the spec the agent holds, a task missing from an answer is desired STOPPED, and each Poll sends
 * the versions of everything the agent holds.
 */
const ARN = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/c/${id.padEnd(32, '0')}`;

function agentTask(id: string, version: number): AgentTask {
  return {
    taskArn: ARN(id),
    version,
    desiredStatus: 'RUNNING',
    cluster: 'c',
    taskDefinition: {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      family: 'web',
      revision: 1,
      containerDefinitions: [{ name: 'web', image: 'busybox', memory: 32 }],
    },
    overrides: {},
    startedContainers: [],
  };
}

describe('agent poll loop', () => {
  it('keeps the specs of unchanged tasks, stops the ones gone, and reports what it holds', async () => {
    const answers: PollResponse[] = [
      { tasks: [agentTask('a', 1), agentTask('b', 1)], unchanged: [] },
      { tasks: [agentTask('b', 2)], unchanged: [ARN('a')] },
      { tasks: [], unchanged: [ARN('b')] },
    ];
    const requests: PollRequest[] = [];
    const desired: (readonly TaskSpec[])[] = [];
    const stop = new AbortController();
    const client = {
      poll: async (request: PollRequest) => {
        requests.push(request);
        await Promise.resolve();
        const next = answers.shift();
        if (next === undefined) {
          stop.abort();
          throw new Error('done');
        }
        return next;
      },
    } as unknown as ChannelClient;
    await runPollLoop({
      client,
      cluster: 'c',
      containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/c/1',
      desire: (specs) => desired.push(specs),
      log: pino({ level: 'silent' }),
      signal: stop.signal,
    });
    const view = (specs: readonly TaskSpec[]) =>
      specs.map((s) => [s.taskArn.slice(-32, -31), s.version, s.desiredStatus]).sort();
    assert.deepEqual(desired.map(view), [
      [
        ['a', 1, 'RUNNING'],
        ['b', 1, 'RUNNING'],
      ],
      [
        ['a', 1, 'RUNNING'],
        ['b', 2, 'RUNNING'],
      ],
      [
        ['a', 2, 'STOPPED'],
        ['b', 2, 'RUNNING'],
      ],
    ]);
    assert.deepEqual(
      desired[1]?.find((s) => s.taskArn === ARN('a')),
      desired[0]?.find((s) => s.taskArn === ARN('a')),
    );
    assert.deepEqual(
      requests.map((r) => r.knownVersions),
      [{}, { [ARN('a')]: 1, [ARN('b')]: 1 }, { [ARN('a')]: 1, [ARN('b')]: 2 }, { [ARN('b')]: 2 }],
    );
  });
});
