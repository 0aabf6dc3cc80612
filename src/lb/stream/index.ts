import type { ModelListener, ModelLoadBalancer } from '../../core/elbv2/data-plane.js';
import type { ListenerHandle } from '../types.js';
import type { StreamDeps } from './deps.js';
import { startTcpListener } from './tcp.js';
import { startTlsListener } from './tls.js';
import { startUdpListener } from './udp.js';

export type { StreamDeps } from './deps.js';

/**
 * Binds a network load balancer listener (TCP, TLS or UDP) on its port. Rejects with Node's error
 * when the port is taken (`code` 'EADDRINUSE'), and with an Error naming the certificate when a TLS
 * listener's certificate has no PEM material — the driver reports either as a listener fault.
 */
export async function startStreamListener(
  listener: ModelListener,
  loadBalancer: ModelLoadBalancer,
  deps: StreamDeps,
): Promise<ListenerHandle> {
  switch (listener.protocol) {
    case 'TCP':
      return startTcpListener(listener, loadBalancer, deps);
    case 'TLS':
      return startTlsListener(listener, loadBalancer, deps);
    case 'UDP':
      return startUdpListener(listener, loadBalancer, deps);
    case 'HTTP':
    case 'HTTPS':
      throw new Error(
        `listener ${listener.arn}: ${listener.protocol} is served by the HTTP listeners (lb/http/)`,
      );
  }
}
