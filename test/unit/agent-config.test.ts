import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentConfig, duration } from '../../src/agent/config.js';

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
});
