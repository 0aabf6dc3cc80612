import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentChannelOperations, DISCONNECT_AFTER_MS } from '../../src/control/agent-channel/poll.js';
import { ClusterOperations } from '../../src/control/ecs/clusters.js';
import { createEcsControl } from '../../src/control/ecs/index.js';
import { TaskDefinitionOperations } from '../../src/control/ecs/task-definitions.js';
import { openStore, type Store } from '../../src/store/index.js';
import { PlacementCache } from '../../src/control/placement-cache.js';

/** The heartbeat and the level-triggered disconnect sweep, on a SQLite store with a test clock. */
describe('agent channel heartbeat and sweep', () => {
  let dir: string;
  let store: Store;
  let clock = 1_700_000_000_000;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-sweep-'));
    store = await openStore(join(dir, 'berth.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a Poll connects the instance; 3 poll periods without one disconnects it', async () => {
    const deps = {
      store,
      scope: { partition: 'aws', region: 'us-east-1', accountId: '123456789012' },
      now: () => clock,
      placementCache: new PlacementCache(store),
    };
    const ecs = createEcsControl(deps);
    const channel = new AgentChannelOperations(
      deps,
      new ClusterOperations(deps),
      new TaskDefinitionOperations(deps),
    );
    await ecs.clusters.create({ clusterName: 'sweep' });
    const instance = await ecs.containerInstances.register({
      cluster: 'sweep',
      totalResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: 1024 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 1024 },
      ],
    });
    const arn = instance.containerInstanceArn!;
    const connected = async () => (await store.containerInstances.byArn(arn))?.agentConnected;
    assert.equal(await connected(), false);

    await channel.poll({ cluster: 'sweep', containerInstanceArn: arn, waitSeconds: 0 });
    assert.equal(await connected(), true);

    clock += DISCONNECT_AFTER_MS - 1000;
    assert.equal(await channel.sweep(), 0, 'still within 3 poll periods');
    assert.equal(await connected(), true);

    clock += 2000;
    assert.equal(await channel.sweep(), 1);
    assert.equal(await connected(), false);
    assert.equal(await channel.sweep(), 0, 'level-triggered: nothing more to do');

    await channel.poll({ cluster: 'sweep', containerInstanceArn: arn, waitSeconds: 0 });
    assert.equal(await connected(), true, 'the next Poll reconnects it');
  });
});
