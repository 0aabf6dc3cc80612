import type { ContainerDefinition, RegisterTaskDefinitionRequest } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTaskDefinition } from '../../src/core/ecs/task-definition/register.js';
import {
  isFargateSize,
  parseTaskCpu,
  parseTaskMemory,
} from '../../src/core/ecs/task-definition/resources.js';
import { Fault } from '../../src/core/fault.js';

const web = (extra: Partial<ContainerDefinition> = {}): ContainerDefinition => ({
  name: 'web',
  image: 'busybox',
  memory: 128,
  ...extra,
});

const definition = (extra: Partial<RegisterTaskDefinitionRequest> = {}): RegisterTaskDefinitionRequest => ({
  family: 'app',
  containerDefinitions: [web()],
  ...extra,
});

function refusal(input: RegisterTaskDefinitionRequest): string {
  try {
    buildTaskDefinition(input);
  } catch (error) {
    assert.ok(error instanceof Fault, `expected a Fault, got ${String(error)}`);
    assert.equal(error.code, 'ClientException');
    return error.message;
  }
  assert.fail('the definition was accepted');
}

describe('RegisterTaskDefinition rules', () => {
  const refused: [string, RegisterTaskDefinitionRequest, RegExp][] = [
    ['a family with a space', definition({ family: 'my app' }), /Family 'my app' is invalid/],
    ['a family of 256 characters', definition({ family: 'a'.repeat(256) }), /Family/],
    ['no containers', definition({ containerDefinitions: [] }), /Container list cannot be empty/],
    [
      'eleven containers',
      definition({ containerDefinitions: Array.from({ length: 11 }, (_, i) => web({ name: `c${i}` })) }),
      /at most 10/,
    ],
    [
      'two containers named alike',
      definition({ containerDefinitions: [web(), web()] }),
      /'web' appears twice/,
    ],
    [
      'no essential container',
      definition({ containerDefinitions: [web({ essential: false })] }),
      /essential container/,
    ],
    [
      'a container without image',
      definition({ containerDefinitions: [web({ image: '' })] }),
      /image should not be null/,
    ],
    [
      'a container without memory in a task without memory',
      definition({ containerDefinitions: [{ name: 'a', image: 'x' }] }),
      /'memory' or 'memoryReservation'/,
    ],
    ['memory below 6 MiB', definition({ containerDefinitions: [web({ memory: 4 })] }), /below the 6 MiB/],
    [
      'a reservation above the limit',
      definition({ containerDefinitions: [web({ memory: 64, memoryReservation: 128 })] }),
      /memoryReservation \(128\)/,
    ],
    [
      'host mode with hostPort ≠ containerPort',
      definition({
        networkMode: 'host',
        containerDefinitions: [web({ portMappings: [{ containerPort: 80, hostPort: 8080 }] })],
      }),
      /must match/,
    ],
    [
      'port mappings in none mode',
      definition({
        networkMode: 'none',
        containerDefinitions: [web({ portMappings: [{ containerPort: 80 }] })],
      }),
      /'none' network mode/,
    ],
    [
      'a port above 65535',
      definition({ containerDefinitions: [web({ portMappings: [{ containerPort: 70000 }] })] }),
      /ports are 0 to 65535/,
    ],
    [
      'one host port mapped by two containers',
      definition({
        containerDefinitions: [
          web({ portMappings: [{ containerPort: 80, hostPort: 8080 }] }),
          web({ name: 'b', portMappings: [{ containerPort: 81, hostPort: 8080 }] }),
        ],
      }),
      /8080\/tcp is mapped twice/,
    ],
    [
      'links outside bridge mode',
      definition({ networkMode: 'awsvpc', containerDefinitions: [web({ links: ['db'] })] }),
      /links/,
    ],
    [
      'a mount point naming no volume',
      definition({
        containerDefinitions: [web({ mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] })],
      }),
      /sourceVolume 'data'/,
    ],
    [
      'volumesFrom naming no container',
      definition({ containerDefinitions: [web({ volumesFrom: [{ sourceContainer: 'ghost' }] })] }),
      /'ghost' is not another container/,
    ],
    [
      'dependsOn naming itself',
      definition({
        containerDefinitions: [web({ dependsOn: [{ containerName: 'web', condition: 'START' }] })],
      }),
      /dependsOn/,
    ],
    [
      'a dependency cycle',
      definition({
        containerDefinitions: [
          web({ dependsOn: [{ containerName: 'b', condition: 'START' }] }),
          web({ name: 'b', dependsOn: [{ containerName: 'web', condition: 'START' }] }),
        ],
      }),
      /cycle/,
    ],
    [
      'a health check without CMD',
      definition({ containerDefinitions: [web({ healthCheck: { command: ['curl', 'x'] } })] }),
      /must start with "CMD"/,
    ],
    [
      'a health-check interval of 1 s',
      definition({ containerDefinitions: [web({ healthCheck: { command: ['CMD', 'true'], interval: 1 } })] }),
      /interval/,
    ],
    [
      'a secret from a non-secret ARN',
      definition({
        containerDefinitions: [web({ secrets: [{ name: 'X', valueFrom: 'arn:aws:s3:::bucket/key' }] })],
      }),
      /neither a Secrets Manager nor a Parameter Store ARN/,
    ],
    ['duplicate volume names', definition({ volumes: [{ name: 'v' }, { name: 'v' }] }), /'v' appears twice/],
    [
      'a relative host path',
      definition({ volumes: [{ name: 'v', host: { sourcePath: 'data' } }] }),
      /absolute path/,
    ],
    ['task cpu that is not a number', definition({ cpu: 'lots' }), /Invalid 'cpu' setting for task/],
    [
      'containers over the task memory',
      definition({ memory: '128', containerDefinitions: [web({ memory: 256 })] }),
      /exceeds the task memory/,
    ],
    [
      'FARGATE without task size',
      definition({ requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc' }),
      /task-level cpu and memory/,
    ],
    [
      'FARGATE with an invalid size',
      definition({ requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '4096' }),
      /No Fargate configuration/,
    ],
    [
      'FARGATE in bridge mode',
      definition({ requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512' }),
      /awsvpc/,
    ],
    [
      'FARGATE with a privileged container',
      definition({
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [web({ privileged: true })],
      }),
      /privileged/,
    ],
  ];
  for (const [what, input, message] of refused) {
    it(`refuses ${what}`, () => assert.match(refusal(input), message));
  }

  it('fills in the defaults ECS shows', () => {
    const td = buildTaskDefinition(
      definition({
        containerDefinitions: [
          web({ portMappings: [{ containerPort: 80 }], healthCheck: { command: ['CMD', 'true'] } }),
        ],
      }),
    );
    const [c] = td.containerDefinitions;
    assert.equal(td.networkMode, 'bridge');
    assert.equal(c?.cpu, 0);
    assert.equal(c?.essential, true);
    assert.deepEqual(c?.portMappings, [{ containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(c?.healthCheck, {
      command: ['CMD', 'true'],
      interval: 30,
      timeout: 5,
      retries: 3,
      startPeriod: 0,
    });
    assert.deepEqual(c?.environment, []);
    assert.deepEqual(td.compatibilities, ['EC2']);
  });

  it('sets hostPort to containerPort in awsvpc and host modes', () => {
    const td = buildTaskDefinition(
      definition({
        networkMode: 'awsvpc',
        containerDefinitions: [web({ portMappings: [{ containerPort: 80 }] })],
      }),
    );
    assert.equal(td.containerDefinitions[0]?.portMappings?.[0]?.hostPort, 80);
  });

  it('accepts a task-level memory in place of container memory, and normalises units', () => {
    const td = buildTaskDefinition(
      definition({
        networkMode: 'awsvpc',
        cpu: '0.5 vCPU',
        memory: '1 GB',
        containerDefinitions: [{ name: 'a', image: 'x' }],
      }),
    );
    assert.equal(td.cpu, '512');
    assert.equal(td.memory, '1024');
    assert.deepEqual(
      td.compatibilities,
      ['EC2', 'FARGATE'],
      'awsvpc with a FARGATE size is FARGATE-compatible',
    );
  });

  it('lists the instance capabilities the definition needs', () => {
    const td = buildTaskDefinition(
      definition({
        taskRoleArn: 'arn:aws:iam::1:role/r',
        containerDefinitions: [
          web({
            healthCheck: { command: ['CMD', 'true'] },
            logConfiguration: { logDriver: 'awslogs' },
            secrets: [{ name: 'P', valueFrom: '/param' }],
          }),
        ],
      }),
    );
    assert.deepEqual(
      td.requiresAttributes?.map((a) => a.name),
      [
        'com.amazonaws.ecs.capability.logging-driver.awslogs',
        'com.amazonaws.ecs.capability.task-iam-role',
        'ecs.capability.container-health-check',
        'ecs.capability.secrets.ssm.environment-variables',
      ],
    );
  });
});

describe('task cpu and memory', () => {
  it('reads CPU units and vCPUs', () => {
    assert.equal(parseTaskCpu('1024'), 1024);
    assert.equal(parseTaskCpu('2 vCPU'), 2048);
    assert.equal(parseTaskCpu('0.25 vcpu'), 256);
  });
  it('reads MiB and GB', () => {
    assert.equal(parseTaskMemory('512'), 512);
    assert.equal(parseTaskMemory('2GB'), 2048);
  });
  it('knows the FARGATE size table', () => {
    assert.ok(isFargateSize(256, 512));
    assert.ok(isFargateSize(256, 2048));
    assert.ok(!isFargateSize(256, 1536));
    assert.ok(isFargateSize(4096, 30720));
    assert.ok(!isFargateSize(4096, 31744));
    assert.ok(isFargateSize(16384, 122880));
    assert.ok(!isFargateSize(300, 1024));
  });
});
