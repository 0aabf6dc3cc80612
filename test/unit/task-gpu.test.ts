import type {
  ContainerDefinition,
  RegisterTaskDefinitionRequest,
  Resource,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkTotalResources,
  initialRemaining,
  withPlatformGpus,
} from '../../src/core/ecs/container-instance.js';
import { buildTaskDefinition } from '../../src/core/ecs/task-definition/register.js';
import {
  adjustRemaining,
  checkOverrides,
  gpuAssociations,
  heldBy,
  instanceSnapshot,
  newTaskDoc,
  taskDemand,
  taskView,
  type TaskRecord,
} from '../../src/core/ecs/task.js';
import { Fault } from '../../src/core/fault.js';

/**
 * GPUs and ENI limits outside placement: RegisterTaskDefinition's and RunTask's checks, a task's
 * demand, the ids stored on its containers, the instance's remaining resources as tasks take and
 * give back, and what DescribeTasks and the agent channel show.
 */
const gpu = (value: string) => ({ type: 'GPU' as const, value });
const container = (name: string, extra: Partial<ContainerDefinition> = {}): ContainerDefinition => ({
  name,
  image: 'busybox',
  memory: 128,
  ...extra,
});
const definition = (
  containers: ContainerDefinition[],
  extra: Partial<TaskDefinition> = {},
): TaskDefinition => ({
  family: 'train',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/train:1',
  containerDefinitions: containers,
  ...extra,
});

function faultOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof Fault, `expected a Fault, got ${String(error)}`);
    return `${error.code}: ${error.message}`;
  }
  assert.fail('expected a refusal');
}

describe('RegisterTaskDefinition GPU requirements', () => {
  const register = (
    requirements: ContainerDefinition['resourceRequirements'],
    extra: Partial<RegisterTaskDefinitionRequest> = {},
  ) =>
    buildTaskDefinition({
      family: 'train',
      containerDefinitions: [container('main', { resourceRequirements: requirements })],
      ...extra,
    });

  it('takes whole GPUs and keeps them as given', () => {
    const out = register([gpu('2')]);
    assert.deepEqual(out.containerDefinitions[0]?.resourceRequirements, [gpu('2')]);
  });
  const refused: [string, ContainerDefinition['resourceRequirements'], RegExp][] = [
    ['zero GPUs', [gpu('0')], /Invalid GPU resource requirement for container 'main': '0'/],
    ['ALL', [gpu('ALL')], /whole number of GPUs, 1 or more \(Berth does not take ALL or fractions\)/],
    ['a fraction', [gpu('0.5')], /'0.5'/],
    ['no value', [{ type: 'GPU' } as never], /Invalid GPU resource requirement for container 'main': ''/],
    [
      'a sharing strategy',
      [{ type: 'GPU', sharingStrategy: { nvidiaMps: {} } } as never],
      /shares GPUs \(sharingStrategy\), which Berth does not support/,
    ],
    ['two GPU requirements', [gpu('1'), gpu('1')], /more than one 'GPU' resource requirement/],
    ['an accelerator without a value', [{ type: 'InferenceAccelerator' } as never], /needs a value/],
  ];
  for (const [name, requirements, message] of refused) {
    it(`refuses ${name} with ClientException`, () => {
      assert.match(
        faultOf(() => register(requirements)),
        /^ClientException: /,
      );
      assert.match(
        faultOf(() => register(requirements)),
        message,
      );
    });
  }
  it('makes a GPU definition EC2-only and refuses it for FARGATE', () => {
    const fargate: Partial<RegisterTaskDefinitionRequest> = {
      networkMode: 'awsvpc',
      cpu: '1024',
      memory: '2048',
    };
    assert.deepEqual(register([gpu('1')], fargate).compatibilities, ['EC2']);
    assert.match(
      faultOf(() => register([gpu('1')], { ...fargate, requiresCompatibilities: ['FARGATE'] })),
      /FARGATE does not support GPUs \('main'\)/,
    );
  });
});

describe("a task's GPUs and attachments", () => {
  const twoContainers = definition([
    container('trainer', { resourceRequirements: [gpu('2')] }),
    container('sidecar'),
    container('eval', { resourceRequirements: [gpu('1')] }),
  ]);

  it('the demand sums the containers’ GPUs; bridge takes no attachment, awsvpc one', () => {
    assert.equal(taskDemand(twoContainers, {}).gpus, 3);
    assert.equal(taskDemand(twoContainers, {}).attachments, undefined);
    assert.equal(taskDemand(definition([container('a')]), {}).gpus, undefined);
    assert.equal(taskDemand({ ...twoContainers, networkMode: 'awsvpc' }, {}).attachments, 1);
  });

  it("an override's GPU requirement replaces the definition's, and may add one", () => {
    const overrides = {
      containerOverrides: [
        { name: 'trainer', resourceRequirements: [gpu('1')] },
        { name: 'sidecar', resourceRequirements: [gpu('4')] },
      ],
    };
    checkOverrides(twoContainers, overrides);
    assert.equal(taskDemand(twoContainers, overrides).gpus, 6);
  });

  const badOverrides: [string, unknown, RegExp][] = [
    [
      'a non-GPU resource',
      [{ type: 'InferenceAccelerator', value: 'x' }],
      /only resource an override can change/,
    ],
    ['two requirements', [gpu('1'), gpu('2')], /may hold one GPU requirement/],
    ['ALL', [gpu('ALL')], /whole number of GPUs, 1 or more, not 'ALL'/],
    ['zero', [gpu('0')], /not '0'/],
  ];
  for (const [name, resourceRequirements, message] of badOverrides) {
    it(`refuses an override with ${name} (InvalidParameterException)`, () => {
      const overrides = { containerOverrides: [{ name: 'trainer', resourceRequirements }] } as never;
      const refusal = faultOf(() => checkOverrides(twoContainers, overrides));
      assert.match(refusal, /^InvalidParameterException: /);
      assert.match(refusal, message);
    });
  }

  it("stores the task's GPU ids on its containers, in container order, and shows them", () => {
    const doc = newTaskDoc(twoContainers, {}, (name) => `arn:container/${name}`, {
      gpuIds: ['g0', 'g1', 'g2'],
    });
    assert.deepEqual(
      doc.containers.map((c) => c.gpuIds),
      [['g0', 'g1'], undefined, ['g2']],
    );
    const record = { ...doc, arn: 'arn:task', containerInstanceArn: 'arn:ci' } as TaskRecord;
    const view = taskView(record, 'arn:cluster');
    assert.deepEqual(
      view.containers?.map((c) => c.gpuIds),
      [['g0', 'g1'], undefined, ['g2']],
    );
    assert.deepEqual(heldBy(record).gpuIds, ['g0', 'g1', 'g2']);
    assert.deepEqual(gpuAssociations(record), [
      { type: 'gpu', name: 'g0', containers: ['trainer'] },
      { type: 'gpu', name: 'g1', containers: ['trainer'] },
      { type: 'gpu', name: 'g2', containers: ['eval'] },
    ]);
  });

  it('a task without GPUs holds only its demand', () => {
    const doc = newTaskDoc(definition([container('a')]), {}, (n) => n, {});
    assert.equal(heldBy(doc).gpuIds, undefined);
    assert.deepEqual(gpuAssociations(doc), []);
  });
});

describe("an instance's GPU and ENI resources", () => {
  const registered: Resource[] = checkTotalResources([
    { name: 'CPU', type: 'INTEGER', integerValue: 4096 },
    { name: 'MEMORY', type: 'INTEGER', integerValue: 8192 },
    { name: 'GPU', type: 'STRINGSET', stringSetValue: ['g0', 'g1', 'g2'] },
    { name: 'ENI', type: 'INTEGER', integerValue: 4 },
  ]);
  const base = { cpu: 10, memory: 10, tcpPorts: [], udpPorts: [], requiredAttributes: [] };
  const find = (resources: readonly Resource[], name: string) => resources.find((r) => r.name === name);

  it('GPU must be a STRINGSET and ENI an INTEGER', () => {
    const withBad = (r: Resource) =>
      checkTotalResources([
        { name: 'CPU', type: 'INTEGER', integerValue: 1 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 1 },
        r,
      ]);
    assert.match(
      faultOf(() => withBad({ name: 'GPU', type: 'INTEGER', integerValue: 2 })),
      /Resource 'GPU' must be of type STRINGSET/,
    );
    assert.match(
      faultOf(() => withBad({ name: 'ENI', type: 'STRINGSET', stringSetValue: [] })),
      /Resource 'ENI' must be of type INTEGER/,
    );
    assert.match(
      faultOf(() => withBad({ name: 'GPU', type: 'STRINGSET', stringSetValue: ['g0', 'g0'] })),
      /lists a value twice/,
    );
  });

  it("platformDevices' GPUs join the GPU resource, each id once", () => {
    const devices = [
      { id: 'g2', type: 'GPU' as const },
      { id: 'g3', type: 'GPU' as const },
    ];
    assert.deepEqual(find(withPlatformGpus(registered, devices), 'GPU')?.stringSetValue, [
      'g0',
      'g1',
      'g2',
      'g3',
    ]);
    const cpuOnly = registered.filter((r) => r.name !== 'GPU');
    const gpuResource = find(withPlatformGpus(cpuOnly, devices), 'GPU');
    assert.equal(gpuResource?.type, 'STRINGSET');
    assert.deepEqual(gpuResource?.stringSetValue, ['g2', 'g3']);
    assert.deepEqual(withPlatformGpus(cpuOnly, []), cpuOnly);
  });

  it('placement sees the free GPU ids and attachment points; without them, none and no limit', () => {
    const record = {
      arn: 'arn:ci',
      status: 'ACTIVE' as const,
      agentConnected: true,
      remainingResources: initialRemaining(registered),
    };
    const snapshot = instanceSnapshot(record, []);
    assert.deepEqual(snapshot.gpuIds, ['g0', 'g1', 'g2']);
    assert.equal(snapshot.remainingAttachments, 4);
    const plain = instanceSnapshot({ ...record, remainingResources: registered.slice(0, 2) }, []);
    assert.equal(plain.gpuIds, undefined);
    assert.equal(plain.remainingAttachments, undefined);
  });

  it('a task takes its GPU ids and attachments, and gives them back in the registered order', () => {
    const held = { ...base, gpus: 2, gpuIds: ['g2', 'g0'], attachments: 1 };
    const taken = adjustRemaining(initialRemaining(registered), [held], 1);
    assert.deepEqual(find(taken, 'GPU')?.stringSetValue, ['g1']);
    assert.equal(find(taken, 'ENI')?.integerValue, 3);
    const back = adjustRemaining(taken, [held], -1, registered);
    assert.deepEqual(find(back, 'GPU')?.stringSetValue, ['g0', 'g1', 'g2']);
    assert.equal(find(back, 'ENI')?.integerValue, 4);
  });

  it('a GPU the host no longer registers is not given back', () => {
    const fewer = registered.map((r) => (r.name === 'GPU' ? { ...r, stringSetValue: ['g0', 'g1'] } : r));
    const held = { ...base, gpus: 1, gpuIds: ['g2'] };
    const back = adjustRemaining(
      [{ ...(find(fewer, 'GPU') as Resource), stringSetValue: ['g0'] }],
      [held],
      -1,
      fewer,
    );
    assert.deepEqual(back[0]?.stringSetValue, ['g0']);
  });

  it('refuses to count a GPU task whose ids are missing, rather than over-commit the host', () => {
    assert.throws(
      () => adjustRemaining(initialRemaining(registered), [{ ...base, gpus: 1 }], 1),
      /a task holding 1 GPUs names 0 GPU ids/,
    );
  });
});
