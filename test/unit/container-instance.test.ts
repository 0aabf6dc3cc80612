import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withInstanceTasks, type TaskRecord } from '../../src/core/ecs/task.js';
import {
  checkAttribute,
  checkCustomCount,
  checkRegistrationAttributes,
  checkTotalResources,
  identityAttributes,
  parseIdentityDocument,
  parseInstanceFilter,
  registrationAttributes,
  transition,
} from '../../src/core/ecs/container-instance.js';
import { Fault } from '../../src/core/fault.js';

const faultOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Fault, String(error));
    return `${error.code}: ${error.message}`;
  }
  return 'accepted';
};

describe('container instance attributes', () => {
  it('take ECS names and values, and reserve ecs.* for the agent', () => {
    assert.deepEqual(checkAttribute({ name: 'EBS', value: 'io1' }, { agent: false }), {
      name: 'EBS',
      value: 'io1',
    });
    assert.deepEqual(checkAttribute({ name: 'a/b\\c.d_e-f' }, { agent: false }), { name: 'a/b\\c.d_e-f' });
    assert.equal(
      checkAttribute({ name: 'x', value: 'us-east-1a: rack@2' }, { agent: false }).value,
      'us-east-1a: rack@2',
    );
    for (const bad of [
      { name: '' },
      { name: 'a b' },
      { name: 'n'.repeat(129) },
      { name: 'ok', value: ' lead' },
      { name: 'ok', value: 'trail ' },
      { name: 'ok', value: 'v'.repeat(129) },
      { name: 'ok', value: 'semi;colon' },
      { name: 'ok', value: '' },
    ]) {
      assert.match(
        faultOf(() => checkAttribute(bad, { agent: false })),
        /^InvalidParameterException/,
        JSON.stringify(bad),
      );
    }
    assert.match(
      faultOf(() => checkAttribute({ name: 'ecs.os-type', value: 'linux' }, { agent: false })),
      /reserved/,
    );
    assert.match(
      faultOf(() => checkAttribute({ name: 'com.amazonaws.ecs.capability.x' }, { agent: false })),
      /reserved/,
    );
    assert.equal(
      checkAttribute({ name: 'ecs.os-type', value: 'linux' }, { agent: true }).name,
      'ecs.os-type',
    );
  });

  it('allow 10 custom attributes per instance; built-ins do not count', () => {
    const custom = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}` }));
    const builtIn = Array.from({ length: 30 }, (_, i) => ({ name: `ecs.capability.x${i}` }));
    checkCustomCount([...custom(10), ...builtIn]);
    assert.match(
      faultOf(() => checkCustomCount(custom(11))),
      /^AttributeLimitExceededException/,
    );
    assert.match(
      faultOf(() => checkRegistrationAttributes([{ name: 'a' }, { name: 'a' }])),
      /more than once/,
    );
  });

  it('re-registration: built-ins as reported now, custom ones kept', () => {
    const merged = registrationAttributes(
      [{ name: 'ecs.capability.old' }, { name: 'EBS', value: 'io1' }, { name: 'rack', value: 'r1' }],
      [
        { name: 'ecs.os-type', value: 'linux' },
        { name: 'rack', value: 'r2' },
      ],
    );
    assert.deepEqual(merged, [
      { name: 'EBS', value: 'io1' },
      { name: 'rack', value: 'r2' },
      { name: 'ecs.os-type', value: 'linux' },
    ]);
  });
});

describe('container instance status', () => {
  it('moves between ACTIVE and DRAINING; INACTIVE is a failure; other targets are refused', () => {
    assert.deepEqual(transition('ACTIVE', 'DRAINING'), { status: 'DRAINING' });
    assert.deepEqual(transition('DRAINING', 'ACTIVE'), { status: 'ACTIVE' });
    assert.deepEqual(transition('ACTIVE', 'ACTIVE'), { status: 'ACTIVE' });
    assert.equal((transition('INACTIVE', 'ACTIVE') as { failure: string }).failure, 'INACTIVE');
    assert.equal((transition('REGISTERING', 'DRAINING') as { failure: string }).failure, 'REGISTERING');
    for (const to of ['INACTIVE', 'REGISTERING', 'DEREGISTERING', 'draining']) {
      assert.match(
        faultOf(() => transition('ACTIVE', to)),
        /^InvalidParameterException/,
      );
    }
  });
});

describe('container instance resources', () => {
  it("come back in ECS's shape, PORTS defaulted, CPU and MEMORY required", () => {
    const out = checkTotalResources([
      { name: 'CPU', type: 'INTEGER', integerValue: 4096 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: 15000 },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '51678'] },
      { name: 'GPU', type: 'STRINGSET', stringSetValue: ['gpu-0'] },
    ]);
    assert.deepEqual(out[0], {
      name: 'CPU',
      type: 'INTEGER',
      integerValue: 4096,
      doubleValue: 0,
      longValue: 0,
    });
    assert.deepEqual(
      out.map((r) => r.name),
      ['CPU', 'MEMORY', 'PORTS', 'GPU', 'PORTS_UDP'],
    );
    assert.deepEqual(out[4]?.stringSetValue, []);
    const bad = [
      [{ name: 'CPU', type: 'INTEGER', integerValue: 1 }],
      [
        { name: 'CPU', type: 'LONG', longValue: 1 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 1 },
      ],
      [
        { name: 'CPU', type: 'INTEGER', integerValue: -1 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 1 },
      ],
      [
        { name: 'CPU', type: 'INTEGER', integerValue: 1 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 1 },
        { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['65536'] },
      ],
      [
        { name: 'CPU', type: 'INTEGER', integerValue: 1 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 1 },
        { name: 'X', type: 'FLOAT' },
      ],
    ];
    for (const resources of bad) {
      assert.match(
        faultOf(() => checkTotalResources(resources)),
        /^InvalidParameterException/,
        JSON.stringify(resources),
      );
    }
  });

  it('identity documents give the host id and built-in attributes', () => {
    const doc = parseIdentityDocument(
      JSON.stringify({
        instanceId: 'i-0abc',
        availabilityZone: 'us-east-1b',
        instanceType: 't3.small',
        region: 'x',
      }),
    );
    assert.deepEqual(doc, { instanceId: 'i-0abc', availabilityZone: 'us-east-1b', instanceType: 't3.small' });
    assert.deepEqual(identityAttributes(doc, [{ name: 'ecs.instance-type', value: 'custom' }]), [
      { name: 'ecs.instance-type', value: 'custom' },
      { name: 'ecs.availability-zone', value: 'us-east-1b' },
    ]);
    assert.deepEqual(parseIdentityDocument(undefined), {});
    for (const bad of ['nope', '[]', '{"instanceId": 1}', '{"instanceId": "a b"}']) {
      assert.match(
        faultOf(() => parseIdentityDocument(bad)),
        /^InvalidParameterException/,
      );
    }
  });
});

describe('ListContainerInstances filter', () => {
  const view = (attributes: Record<string, string>, groups: string[] = []) =>
    withInstanceTasks(
      {
        id: 'arn:i',
        status: 'ACTIVE',
        agentConnected: true,
        remainingCpu: 1024,
        remainingMemory: 1024,
        usedTcpPorts: [],
        usedUdpPorts: [],
        attributes,
        ec2InstanceId: 'i-1',
      },
      groups.map((group) => ({ group, state: { lastStatus: 'RUNNING' } as TaskRecord['state'] })),
    );

  it('takes the cluster query language and tests instances with it', () => {
    const t2 = view({ 'ecs.instance-type': 't2.small', EBS: 'io1' }, ['service:web']);
    const m5 = view({ 'ecs.instance-type': 'm5.large' });
    const cases: [string, boolean, boolean][] = [
      ['attribute:ecs.instance-type == t2.small', true, false],
      ['  attribute:EBS==io1 ', true, false],
      ['attribute:EBS exists', true, false],
      ['attribute:ecs.instance-type =~ t2.* and not(attribute:EBS == gp3)', true, false],
      ['task:group == service:web', true, false],
      ['runningTasksCount == 0', false, true],
      ['ec2InstanceId in [i-1, i-2]', true, true],
    ];
    for (const [expression, onT2, onM5] of cases) {
      const filter = parseInstanceFilter(expression);
      assert.ok(filter, expression);
      assert.equal(filter(t2), onT2, `${expression} on t2`);
      assert.equal(filter(m5), onM5, `${expression} on m5`);
    }
    assert.equal(parseInstanceFilter(undefined), undefined);
    assert.equal(parseInstanceFilter(' '), undefined);
  });

  it('refuses a bad expression with InvalidParameterException pointing at the character', () => {
    for (const expression of ['attribute:a == b and', 'runningTaskCount == 1', 'attribute:a in (b, c)']) {
      const fault = faultOf(() => parseInstanceFilter(expression));
      assert.match(fault, /^InvalidParameterException/, expression);
      assert.match(fault, /at character \d+/, expression);
    }
  });
});
