import dgram from 'node:dgram';
import type { ModelListener, ModelLoadBalancer } from '../../core/elbv2/data-plane.js';
import type { Endpoint, ListenerHandle } from '../types.js';
import { bindAddress, type StreamDeps } from './deps.js';
import { defaultForward, route } from './route.js';

/**
 * A UDP listener of a network load balancer. Each client (address:port) is a flow: its first
 * datagram picks a target, and the flow gets its own upstream socket, so the target's replies —
 * arriving on that socket — go back to that client alone. A flow ends after it has been idle
 * (no datagram either way) for NLB's 120 s. With no routable target a datagram is dropped: UDP
 * has nothing to reset.
 */

const UDP_IDLE_TIMEOUT_MS = 120_000;

interface Flow {
  readonly upstream: dgram.Socket;
  readonly endpoint: Endpoint;
  readonly idle: NodeJS.Timeout;
  readonly ended: () => void;
}

export async function startUdpListener(
  listener: ModelListener,
  loadBalancer: ModelLoadBalancer,
  deps: StreamDeps,
): Promise<ListenerHandle> {
  let forward = defaultForward(listener);
  let loadBalancerArn = loadBalancer.arn;
  const idleMs = deps.udpIdleTimeoutMs ?? UDP_IDLE_TIMEOUT_MS;
  const socket = dgram.createSocket('udp4');
  const flows = new Map<string, Flow>();

  const endFlow = (key: string): void => {
    const flow = flows.get(key);
    if (flow === undefined) return;
    flows.delete(key);
    clearTimeout(flow.idle);
    flow.upstream.close();
    flow.ended();
  };

  const openFlow = (key: string, client: dgram.RemoteInfo): Flow | undefined => {
    const routed = route(forward, deps.pools, client.address);
    if (routed === undefined) return undefined;
    const { endpoint } = routed;
    const lbArn = loadBalancerArn;
    const done = routed.pool.begin(endpoint);
    deps.metrics.connectionOpened(lbArn);
    const upstream = dgram.createSocket('udp4');
    const idle = setTimeout(() => endFlow(key), idleMs);
    idle.unref();
    upstream.on('message', (reply, from) => {
      // Only the target may answer through this flow.
      if (from.address !== endpoint.address || from.port !== endpoint.port) return;
      idle.refresh();
      socket.send(reply, client.port, client.address);
    });
    upstream.on('error', (err) => {
      deps.log?.debug({ err, target: endpoint }, 'UDP flow to target failed');
      endFlow(key);
    });
    const ended = (): void => {
      done();
      deps.metrics.connectionClosed(lbArn);
    };
    const flow: Flow = { upstream, endpoint, idle, ended };
    flows.set(key, flow);
    return flow;
  };

  socket.on('message', (datagram, client) => {
    const key = `${client.address}:${client.port}`;
    const flow = flows.get(key) ?? openFlow(key, client);
    if (flow === undefined) return;
    flow.idle.refresh();
    flow.upstream.send(datagram, flow.endpoint.port, flow.endpoint.address);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: listener.port, address: bindAddress(loadBalancer.scheme) }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (err) =>
    deps.log?.warn({ err, listenerArn: listener.arn }, 'UDP listener socket error'),
  );

  return {
    update(next, nextLoadBalancer) {
      forward = defaultForward(next);
      loadBalancerArn = nextLoadBalancer.arn;
    },
    close() {
      // UDP has no connection to wait for: the flows end with the listener.
      for (const key of [...flows.keys()]) endFlow(key);
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
}
