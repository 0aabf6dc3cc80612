import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentTask } from '../../src/agent/channel/client.js';
import { taskSpecFrom } from '../../src/agent/channel/task-spec-from.js';
import { agentConfig } from '../../src/agent/config.js';
import { containerSpecFor, type TaskContainerSpec } from '../../src/agent/engine/task-spec.js';
import { registrationRequest, type HostFacts } from '../../src/agent/registration.js';

/**
 * The agent's side of GPUs and the ENI limit: the settings, what registration reports, and the GPU
 * ids a Poll answer pins to containers reaching the container as NVIDIA_VISIBLE_DEVICES.
 */
const host: HostFacts = {
  cpuUnits: 4096,
  memoryMiB: 16384,
  cpuArchitecture: 'x86_64',
  engineVersion: '27.0',
};

describe('agent GPU and ENI settings', () => {
  it('registers no GPUs and no ENI limit by default', () => {
    const config = agentConfig({});
    assert.deepEqual(config.gpuIds, []);
    assert.equal(config.taskEniLimit, undefined);
    const request = registrationRequest(config, host, 'i-1');
    assert.deepEqual(
      request.totalResources?.map((r) => r.name),
      ['CPU', 'MEMORY', 'PORTS', 'PORTS_UDP'],
    );
    assert.equal(request.platformDevices, undefined);
  });

  it('with ECS_ENABLE_GPU_SUPPORT, registers BERTH_GPU_IDS as the GPU resource and as platformDevices', () => {
    const config = agentConfig({
      ECS_ENABLE_GPU_SUPPORT: 'true',
      BERTH_GPU_IDS: 'GPU-1a2b, GPU-3c4d',
      BERTH_TASK_ENI_LIMIT: '10',
    });
    assert.deepEqual(config.gpuIds, ['GPU-1a2b', 'GPU-3c4d']);
    const request = registrationRequest(config, host, 'i-1');
    assert.deepEqual(
      request.totalResources?.find((r) => r.name === 'GPU'),
      { name: 'GPU', type: 'STRINGSET', stringSetValue: ['GPU-1a2b', 'GPU-3c4d'] },
    );
    assert.deepEqual(request.platformDevices, [
      { id: 'GPU-1a2b', type: 'GPU' },
      { id: 'GPU-3c4d', type: 'GPU' },
    ]);
    assert.deepEqual(
      request.totalResources?.find((r) => r.name === 'ENI'),
      { name: 'ENI', type: 'INTEGER', integerValue: 10 },
    );
  });

  const refused: [string, Record<string, string>, RegExp][] = [
    ['GPU support without ids', { ECS_ENABLE_GPU_SUPPORT: 'true' }, /needs BERTH_GPU_IDS/],
    ['ids without GPU support', { BERTH_GPU_IDS: '0,1' }, /ECS_ENABLE_GPU_SUPPORT is not true/],
    ['an empty id', { ECS_ENABLE_GPU_SUPPORT: 'true', BERTH_GPU_IDS: '0,,1' }, /must list GPU ids/],
    ['an id twice', { ECS_ENABLE_GPU_SUPPORT: 'true', BERTH_GPU_IDS: '0,0' }, /lists an id twice/],
    ['a negative ENI limit', { BERTH_TASK_ENI_LIMIT: '-1' }, /BERTH_TASK_ENI_LIMIT must be a whole number/],
  ];
  for (const [name, env, message] of refused) {
    it(`refuses ${name}`, () => assert.throws(() => agentConfig(env), message));
  }
});

describe('GPU ids from the Poll answer to the container', () => {
  const task: AgentTask = {
    taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c1/0123456789abcdef0123456789abcdef',
    version: 1,
    desiredStatus: 'RUNNING',
    cluster: 'c1',
    taskDefinition: {
      family: 'train',
      revision: 1,
      containerDefinitions: [
        {
          name: 'trainer',
          image: 'cuda',
          environment: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }],
          resourceRequirements: [{ type: 'GPU', value: '2' }],
        },
        { name: 'sidecar', image: 'busybox' },
      ],
    },
    associations: [
      { type: 'gpu', name: 'GPU-a', containers: ['trainer'] },
      { type: 'gpu', name: 'GPU-b', containers: ['trainer'] },
      { type: 'elastic-inference', name: 'x', containers: ['sidecar'] },
    ],
  };

  it('each container gets the gpu associations naming it', () => {
    const spec = taskSpecFrom(task);
    assert.deepEqual(
      spec.containers.map((c) => c.gpuIds),
      [['GPU-a', 'GPU-b'], undefined],
    );
  });

  it('a container with GPUs sees them as NVIDIA_VISIBLE_DEVICES (over the definition’s value); others do not', () => {
    const spec = taskSpecFrom(task);
    const settings = { disablePrivileged: false, containerStopTimeoutSeconds: 30 };
    const [trainer, sidecar] = spec.containers as [TaskContainerSpec, TaskContainerSpec];
    assert.equal(
      containerSpecFor(spec, trainer, settings).environment?.['NVIDIA_VISIBLE_DEVICES'],
      'GPU-a,GPU-b',
    );
    assert.equal(containerSpecFor(spec, sidecar, settings).environment, undefined);
  });
});
