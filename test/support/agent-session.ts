import { RegisterContainerInstanceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { ChannelClient } from '../../src/agent/channel/client.js';
import { registration } from './fixtures.js';
import { uniqueName } from './server.js';

/**
 * Placement takes only instances whose agent is connected (`agentConnected`, kept by the agent's
 * polls). Suites that register instances by hand, with no agent behind them, call this after
 * RegisterContainerInstance so the control plane sees a connected agent: one Poll now, then one
 * every 15 s (well inside the 60 s after which the control plane counts the agent gone) for as long
 * as the test process runs. Failures after the server closed are ignored.
 */
export interface ControlPlane {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

const HEARTBEAT_MS = 15_000;

export async function connectAgent(
  berth: ControlPlane,
  cluster: string,
  containerInstanceArn: string,
): Promise<void> {
  if (berth.credentials === undefined) throw new Error('connectAgent needs the control plane credentials');
  const client = new ChannelClient({
    endpoint: berth.endpoint,
    region: berth.region,
    credentials: { ...berth.credentials },
  });
  const poll = () => client.poll({ cluster, containerInstanceArn, waitSeconds: 0 });
  await poll();
  const timer = setInterval(() => void poll().catch(() => clearInterval(timer)), HEARTBEAT_MS);
  timer.unref();
}

export interface PlaceableHost {
  readonly hostId: string;
  readonly containerInstanceArn: string;
}

/**
 * Registers `count` hosts in `cluster` as an agent would (test/support/fixtures.ts `registration`),
 * host k in `zones[k % zones.length]`, each with an agent session so placement takes it.
 */
export async function registerPlaceableHosts(
  berth: ControlPlane,
  ecs: ECSClient,
  cluster: string,
  count: number,
  zones: readonly string[],
): Promise<PlaceableHost[]> {
  const hosts: PlaceableHost[] = [];
  for (let k = 0; k < count; k++) {
    const hostId = uniqueName(`i-${k}`);
    const input = registration(cluster, hostId);
    input.instanceIdentityDocument = JSON.stringify({
      instanceId: hostId,
      availabilityZone: zones[k % zones.length],
      instanceType: 'm5.large',
    });
    const out = await ecs.send(new RegisterContainerInstanceCommand(input));
    const containerInstanceArn = out.containerInstance?.containerInstanceArn ?? '';
    await connectAgent(berth, cluster, containerInstanceArn);
    hosts.push({ hostId, containerInstanceArn });
  }
  return hosts;
}
