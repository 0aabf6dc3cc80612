import { CreateClusterCommand, PutAttributesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadBalancingModel } from '../../src/control/elbv2/model.js';
import { registerPlaceableHosts } from '../support/agent-session.js';
import { elbClient, forwardedTargetGroup } from '../support/elbv2.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * What the data plane is told of `instance` targets: the control plane resolves each instance id
 * to the address its host registered (`berth.host-address`, which agents set from
 * BERTH_HOST_ADDRESS), to 127.0.0.1 for a host that registered none, and to no address for an id
 * no registered instance has (such a target gets no traffic).
 */
describe('the data-plane model resolves instance targets to host addresses', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  let elb: ElasticLoadBalancingV2Client;

  before(async () => {
    berth = await startTestServer({ serviceScheduler: { run: false } });
    ecs = berth.ecs();
    elb = elbClient(berth);
  });
  after(async () => {
    elb.destroy();
    await berth.close();
  });

  it('declared address, loopback, or none', async () => {
    const cluster = uniqueName('lbmodel');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const [remote, local] = await registerPlaceableHosts(berth, ecs, cluster, 2, ['us-east-1a']);
    assert.ok(remote && local);
    await ecs.send(
      new PutAttributesCommand({
        cluster,
        attributes: [
          { name: 'berth.host-address', value: '10.1.2.3', targetId: remote.containerInstanceArn },
        ],
      }),
    );
    const { targetGroupArn } = await forwardedTargetGroup(elb, 'model');
    await elb.send(
      new RegisterTargetsCommand({
        TargetGroupArn: targetGroupArn,
        Targets: [
          { Id: remote.hostId, Port: 32768 },
          { Id: local.hostId, Port: 32769 },
          { Id: 'i-0000000000nobody', Port: 32770 },
        ],
      }),
    );
    const model = await loadBalancingModel({ store: berth.server.store, now: Date.now });
    const group = model.targetGroups.find((g) => g.arn === targetGroupArn);
    const addresses = Object.fromEntries((group?.targets ?? []).map((t) => [t.id, t.address ?? 'none']));
    assert.deepEqual(addresses, {
      [remote.hostId]: '10.1.2.3',
      [local.hostId]: '127.0.0.1',
      'i-0000000000nobody': 'none',
    });
  });
});
