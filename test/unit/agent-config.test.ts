import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { taskSpecFrom } from '../../src/agent/channel/task-spec-from.js';
import { agentConfig, duration } from '../../src/agent/config.js';
import { containerSpecFor } from '../../src/agent/engine/task-spec.js';
import { registrationRequest } from '../../src/agent/registration.js';

describe('agent settings (ECS agent variable names)', () => {
  it('defaults as the ECS agent does', () => {
    const config = agentConfig({});
    assert.equal(config.cluster, 'default');
    assert.deepEqual(config.reservedPorts, [22, 2375, 2376, 51678, 51679]);
    assert.equal(config.containerStopTimeoutSeconds, 30);
    assert.equal(config.taskCleanupWaitSeconds, 3 * 3600);
    assert.equal(config.imagePullBehavior, 'default');
    assert.equal(config.disablePrivileged, false);
  });
  it('reads Go-style durations', () => {
    assert.equal(duration('X', '1m30s', 0), 90);
    assert.equal(duration('X', '3h', 0), 10800);
    assert.equal(duration('X', '500ms', 0), 0.5);
    assert.equal(duration('X', '45', 0), 45);
    assert.throws(() => duration('X', '5 minutes', 0), /X must be a duration/);
  });
  it('reads switches and custom attributes', () => {
    const config = agentConfig({ ECS_DISABLE_PRIVILEGED: 'true', ECS_INSTANCE_ATTRIBUTES: '{"EBS":"io1"}' });
    assert.equal(config.disablePrivileged, true);
    assert.deepEqual(config.instanceAttributes, { EBS: 'io1' });
    assert.throws(
      () => agentConfig({ ECS_INSTANCE_ATTRIBUTES: '{"n": 1}' }),
      /value of 'n' must be a string/,
    );
  });

  it('BERTH_HOST_ADDRESS: published ports bind there and registration tells load balancers', () => {
    const host = { cpuUnits: 2048, memoryMiB: 4096, cpuArchitecture: 'x86_64', engineVersion: '27.0' };
    const local = agentConfig({});
    assert.equal(local.hostAddress, undefined);
    assert.ok(
      !registrationRequest(local, host, 'i-1').attributes?.some((a) => a.name === 'berth.host-address'),
    );
    const config = agentConfig({ BERTH_HOST_ADDRESS: '10.0.0.7' });
    assert.deepEqual(
      registrationRequest(config, host, 'i-1').attributes?.find((a) => a.name === 'berth.host-address'),
      { name: 'berth.host-address', value: '10.0.0.7' },
    );
    const task = taskSpecFrom({
      taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef',
      version: 1,
      desiredStatus: 'RUNNING',
      cluster: 'c',
      taskDefinition: {
        taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
        family: 'web',
        revision: 1,
        containerDefinitions: [
          { name: 'web', image: 'busybox', memory: 32, portMappings: [{ containerPort: 80, hostPort: 0 }] },
        ],
      },
      overrides: {},
      startedContainers: [],
    });
    const [web] = task.containers;
    assert.ok(web);
    const spec = (hostAddress?: string) =>
      containerSpecFor(task, web, {
        disablePrivileged: false,
        containerStopTimeoutSeconds: 30,
        ...(hostAddress !== undefined ? { hostAddress } : {}),
      }).portMappings;
    assert.equal(spec()?.[0]?.hostIp, undefined, 'without it, the runtime publishes on 127.0.0.1');
    assert.equal(spec('10.0.0.7')?.[0]?.hostIp, '10.0.0.7');
    assert.throws(
      () => agentConfig({ BERTH_HOST_ADDRESS: 'my-host' }),
      /BERTH_HOST_ADDRESS must be an IPv4 address/,
    );
  });
});
