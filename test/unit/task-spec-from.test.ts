import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentTask } from '../../src/agent/channel/client.js';
import { taskSpecFrom, UnsupportedTaskError } from '../../src/agent/channel/task-spec-from.js';

const base: AgentTask = {
  taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c1/0123456789abcdef0123456789abcdef',
  version: 3,
  desiredStatus: 'RUNNING',
  cluster: 'c1',
  taskDefinition: {
    family: 'web',
    revision: 7,
    networkMode: 'bridge',
    volumes: [{ name: 'data', host: { sourcePath: '/srv/data' } }, { name: 'scratch' }],
    containerDefinitions: [
      {
        name: 'app',
        image: 'busybox',
        command: ['sleep', '1'],
        cpu: 128,
        memory: 256,
        memoryReservation: 64,
        essential: true,
        environment: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        portMappings: [{ containerPort: 80, hostPort: 0, protocol: 'tcp' }],
        mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: true }],
        dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }],
        healthCheck: { command: ['CMD-SHELL', 'true'], interval: 5, retries: 2 },
        ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 2048 }],
      },
      { name: 'init', image: 'busybox', essential: false },
    ],
  },
  overrides: {
    containerOverrides: [
      {
        name: 'app',
        command: ['sleep', '2'],
        environment: [
          { name: 'B', value: 'two' },
          { name: 'C', value: '3' },
        ],
        cpu: 256,
        memory: 512,
        memoryReservation: 128,
      },
    ],
  },
};

describe('taskSpecFrom (Poll answer → engine TaskSpec)', () => {
  it('hands over startTimeout and volumesFrom', () => {
    const definition = base.taskDefinition;
    const [app, init] = definition.containerDefinitions ?? [];
    const spec = taskSpecFrom({
      ...base,
      taskDefinition: {
        ...definition,
        containerDefinitions: [
          { ...app, volumesFrom: [{ sourceContainer: 'init', readOnly: true }, { sourceContainer: 'init' }] },
          { ...init, startTimeout: 45 },
        ],
      },
    });
    assert.deepEqual(spec.containers[0]?.volumesFrom, [
      { sourceContainer: 'init', readOnly: true },
      { sourceContainer: 'init' },
    ]);
    assert.equal(spec.containers[1]?.startTimeout, 45);
  });

  it('applies container overrides: command replaced, environment merged by name, cpu/memory replaced', () => {
    const spec = taskSpecFrom(base);
    assert.equal(spec.family, 'web');
    assert.equal(spec.revision, 7);
    assert.equal(spec.version, 3);
    assert.equal(spec.networkMode, 'bridge');
    const app = spec.containers.find((c) => c.name === 'app')!;
    assert.deepEqual(app.command, ['sleep', '2']);
    assert.deepEqual(app.environment, { A: '1', B: 'two', C: '3' });
    assert.equal(app.cpu, 256);
    assert.equal(app.memory, 512);
    assert.equal(app.memoryReservation, 128);
    assert.deepEqual(app.portMappings, [{ containerPort: 80, hostPort: 0, protocol: 'tcp' }]);
    assert.deepEqual(app.mountPoints, [{ sourceVolume: 'data', containerPath: '/data', readOnly: true }]);
    assert.deepEqual(app.dependsOn, [{ containerName: 'init', condition: 'SUCCESS' }]);
    assert.deepEqual(app.healthCheck, { command: ['CMD-SHELL', 'true'], intervalSeconds: 5, retries: 2 });
    assert.deepEqual(app.ulimits, [{ name: 'nofile', soft: 1024, hard: 2048 }]);
    assert.deepEqual(spec.volumes, [
      { name: 'data', host: { sourcePath: '/srv/data' } },
      { name: 'scratch' },
    ]);
    const init = spec.containers.find((c) => c.name === 'init')!;
    assert.deepEqual(init, { name: 'init', image: 'busybox', essential: false });
  });

  it('carries the stop request (code and reason)', () => {
    const spec = taskSpecFrom({
      ...base,
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'done',
    });
    assert.equal(spec.desiredStatus, 'STOPPED');
    assert.equal(spec.stopCode, 'UserInitiated');
    assert.equal(spec.stoppedReason, 'done');
  });

  it('refuses a network mode the agent cannot run', () => {
    assert.throws(
      () => taskSpecFrom({ ...base, taskDefinition: { ...base.taskDefinition, networkMode: 'awsvpc' } }),
      UnsupportedTaskError,
    );
  });
});
