import { ChannelClient } from '../../src/agent/channel/client.js';

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
