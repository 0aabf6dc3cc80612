import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hostEnv,
  parseAttribute,
  parseSizes,
  parseZones,
  simHost,
  type FleetSpec,
} from '../../src/sim/fleet.js';

/** `berth sim`'s fleet: which zone, size and attributes each simulated host gets, and the flags' spellings. */
const spec: FleetSpec = {
  zones: ['a', 'b', 'c'],
  sizes: parseSizes('2048:3800,c5.xlarge=4096:7700'),
  attributes: [parseAttribute('EBS=io1|gp2'), parseAttribute('stack=prod')],
};

describe('berth sim fleet', () => {
  it('deals zones round-robin and every size within every zone in equal shares', () => {
    const hosts = Array.from({ length: 12 }, (_, i) => simHost(spec, i));
    assert.deepEqual(
      hosts.map((h) => `${h.zone}:${h.size.name}`),
      [
        'a:sim-2048-3800',
        'b:sim-2048-3800',
        'c:sim-2048-3800',
        'a:c5.xlarge',
        'b:c5.xlarge',
        'c:c5.xlarge',
        'a:sim-2048-3800',
        'b:sim-2048-3800',
        'c:sim-2048-3800',
        'a:c5.xlarge',
        'b:c5.xlarge',
        'c:c5.xlarge',
      ],
    );
    assert.deepEqual(
      hosts.map((h) => h.attributes),
      hosts.map((_, i) => ({ EBS: i % 2 === 0 ? 'io1' : 'gp2', stack: 'prod' })),
    );
  });

  it('registers a host through the ECS agent variables', () => {
    assert.deepEqual(hostEnv(simHost(spec, 4), 'sim'), {
      ECS_CLUSTER: 'sim',
      BERTH_AVAILABILITY_ZONE: 'b',
      BERTH_INSTANCE_TYPE: 'c5.xlarge',
      ECS_INSTANCE_ATTRIBUTES: '{"EBS":"io1","stack":"prod"}',
    });
    assert.equal(hostEnv(simHost({ ...spec, attributes: [] }, 0), 'sim').ECS_INSTANCE_ATTRIBUTES, undefined);
  });

  it('reads the flags and refuses what it cannot read, saying how to write it', () => {
    assert.deepEqual(parseSizes('1536:2000'), [{ name: 'sim-1536-2000', cpuUnits: 1536, memoryMiB: 2000 }]);
    assert.deepEqual(parseZones('zone-a,zone-b'), ['zone-a', 'zone-b']);
    for (const bad of ['2048', '2048:', '0:100', 'x:y', '2048:3800,']) {
      assert.throws(() => parseSizes(bad), /<cpu units>:<memory MiB>/, bad);
    }
    assert.throws(() => parseZones('a,,b'), /comma-separated/);
    for (const bad of ['EBS', '=io1', 'EBS=', 'EBS=io1|']) {
      assert.throws(() => parseAttribute(bad), /name=value/, bad);
    }
  });
});
