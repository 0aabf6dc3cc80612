import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ContainerInstance,
  type ECSClient,
  type RegisterContainerInstanceCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChannelClient } from '../../src/agent/channel/client.js';
import { connectAgent } from '../support/agent-session.js';
import { registration } from '../support/fixtures.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * GPUs end to end through @aws-sdk/client-ecs on hosts registered by hand (agent sessions kept,
 * no containers run): a GPU resource in `totalResources` and GPUs as `platformDevices` (the ECS
 * agent's way) both count; GPU tasks land only on GPU hosts, each on its own GPU (DescribeTasks
 * `gpuIds`, and the Poll answer's `gpu` associations the agent turns into NVIDIA_VISIBLE_DEVICES);
 * a task more than the cluster's GPUs fails with RESOURCE:GPU; StopTask gives the GPU back.
 */
describe('GPU placement through @aws-sdk/client-ecs', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  const cluster = uniqueName('gpu');
  const family = uniqueName('gpu-train');
  const hosts: Record<'resource' | 'device' | 'plain', string> = { resource: '', device: '', plain: '' };

  const register = async (input: RegisterContainerInstanceCommandInput): Promise<string> => {
    const out = await ecs.send(new RegisterContainerInstanceCommand(input));
    const arn = out.containerInstance?.containerInstanceArn ?? '';
    await connectAgent(berth, cluster, arn);
    return arn;
  };
  const describeInstances = async (): Promise<Map<string, ContainerInstance>> => {
    const out = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster, containerInstances: Object.values(hosts) }),
    );
    return new Map((out.containerInstances ?? []).map((i) => [i.containerInstanceArn ?? '', i]));
  };
  const gpusOf = (resources: ContainerInstance['remainingResources']) =>
    resources?.find((r) => r.name === 'GPU')?.stringSetValue;
  const runGpuTask = (count: number) =>
    ecs.send(new RunTaskCommand({ cluster, taskDefinition: family, count }));
  const gpuIdsOf = (task: Task | undefined): string[] => task?.containers?.[0]?.gpuIds ?? [];

  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const base = (name: string) => registration(cluster, uniqueName(`i-${name}`));
    const withResource = base('resource');
    withResource.totalResources = [
      ...(withResource.totalResources ?? []),
      { name: 'GPU', type: 'STRINGSET', stringSetValue: ['GPU-r0'] },
    ];
    hosts.resource = await register(withResource);
    hosts.device = await register({ ...base('device'), platformDevices: [{ id: 'GPU-d0', type: 'GPU' }] });
    const plain = base('plain');
    plain.totalResources = [
      ...(plain.totalResources ?? []),
      { name: 'ENI', type: 'INTEGER', integerValue: 4 },
    ];
    hosts.plain = await register(plain);
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [
          {
            name: 'trainer',
            image: 'busybox',
            cpu: 128,
            memory: 128,
            resourceRequirements: [{ type: 'GPU', value: '1' }],
          },
        ],
      }),
    );
  });
  after(() => berth.close());

  it('DescribeContainerInstances shows the GPUs registered either way, and the ENI limit', async () => {
    const instances = await describeInstances();
    const resource = instances.get(hosts.resource);
    assert.deepEqual(gpusOf(resource?.registeredResources), ['GPU-r0']);
    assert.deepEqual(gpusOf(resource?.remainingResources), ['GPU-r0']);
    assert.deepEqual(gpusOf(instances.get(hosts.device)?.registeredResources), ['GPU-d0']);
    const plain = instances.get(hosts.plain);
    assert.equal(gpusOf(plain?.registeredResources), undefined);
    assert.equal(plain?.registeredResources?.find((r) => r.name === 'ENI')?.integerValue, 4);
  });

  let placed: Task[] = [];

  it('GPU tasks land only on GPU hosts, each on its own GPU, and take it from the host', async () => {
    const out = await runGpuTask(2);
    assert.deepEqual(out.failures, []);
    placed = out.tasks ?? [];
    assert.deepEqual(
      new Set(placed.map((t) => t.containerInstanceArn)),
      new Set([hosts.resource, hosts.device]),
    );
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster, tasks: placed.map((t) => t.taskArn ?? '') }),
    );
    for (const task of described.tasks ?? []) {
      const expected = task.containerInstanceArn === hosts.resource ? ['GPU-r0'] : ['GPU-d0'];
      assert.deepEqual(gpuIdsOf(task), expected);
    }
    const instances = await describeInstances();
    assert.deepEqual(gpusOf(instances.get(hosts.resource)?.remainingResources), []);
    assert.deepEqual(gpusOf(instances.get(hosts.device)?.remainingResources), []);
  });

  it("the agent's Poll answer pins each GPU to its container", async () => {
    const channel = new ChannelClient({
      endpoint: berth.endpoint,
      region: berth.region,
      credentials: berth.credentials,
    });
    const answer = await channel.poll({ cluster, containerInstanceArn: hosts.device, waitSeconds: 0 });
    assert.deepEqual(
      answer.tasks.map((t) => t.associations),
      [[{ type: 'gpu', name: 'GPU-d0', containers: ['trainer'] }]],
    );
  });

  it('a third GPU task on the two-GPU cluster fails with RESOURCE:GPU on every instance', async () => {
    const out = await runGpuTask(1);
    assert.deepEqual(out.tasks, []);
    assert.deepEqual(
      new Map((out.failures ?? []).map((f) => [f.arn, f.reason])),
      new Map(Object.values(hosts).map((arn) => [arn, 'RESOURCE:GPU'])),
    );
    assert.equal(out.failures?.[0]?.detail, '3 instances: RESOURCE:GPU');
  });

  it('stopping a task gives its GPU back, and the next GPU task gets it', async () => {
    const stopped = placed.find((t) => t.containerInstanceArn === hosts.resource);
    await ecs.send(new StopTaskCommand({ cluster, task: stopped?.taskArn, reason: 'done' }));
    const instances = await describeInstances();
    assert.deepEqual(gpusOf(instances.get(hosts.resource)?.remainingResources), ['GPU-r0']);
    const out = await runGpuTask(1);
    assert.deepEqual(out.failures, []);
    assert.equal(out.tasks?.[0]?.containerInstanceArn, hosts.resource);
    assert.deepEqual(gpuIdsOf(out.tasks?.[0]), ['GPU-r0']);
  });
});
