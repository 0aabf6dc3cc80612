import tls from 'node:tls';
import type { ModelListener, ModelLoadBalancer } from '../../core/elbv2/data-plane.js';
import type { ListenerHandle } from '../types.js';
import type { StreamDeps } from './deps.js';
import { serveStream } from './tcp.js';

/**
 * A TLS listener of a network load balancer: TLS ends here, with the listener's certificate, and
 * the plaintext goes to the target over TCP (tcp.ts). A new certificate on `update` applies to new
 * handshakes; sessions already open keep theirs.
 */

/** The key and certificate chain of the listener's (only) certificate; throws when the store holds no PEM. */
export function secureContextOptions(listener: ModelListener): tls.SecureContextOptions {
  const certificate = listener.certificates[0];
  if (certificate?.certificatePem === undefined || certificate.privateKeyPem === undefined) {
    throw new Error(
      `TLS listener ${listener.arn} on port ${listener.port}: certificate ` +
        `${certificate?.arn ?? '(none)'} has no PEM certificate and key in the certificate store`,
    );
  }
  const chain = certificate.chainPem === undefined ? '' : `\n${certificate.chainPem}`;
  return {
    cert: `${certificate.certificatePem}${chain}`,
    key: certificate.privateKeyPem,
    // ELB's TLS 1.3-only policies are named …TLS13-1-3…; every other policy Berth accepts allows
    // TLS 1.2, which is also Node's floor.
    minVersion: listener.sslPolicy?.includes('TLS13-1-3') === true ? 'TLSv1.3' : 'TLSv1.2',
  };
}

export async function startTlsListener(
  listener: ModelListener,
  loadBalancer: ModelLoadBalancer,
  deps: StreamDeps,
): Promise<ListenerHandle> {
  const server = tls.createServer({ ...secureContextOptions(listener), allowHalfOpen: true });
  server.on('tlsClientError', (err) =>
    deps.log?.debug({ err, listenerArn: listener.arn }, 'TLS handshake failed'),
  );
  const handle = await serveStream(server, 'secureConnection', listener, loadBalancer, deps);
  return {
    update(next, nextLoadBalancer) {
      try {
        server.setSecureContext(secureContextOptions(next));
      } catch (err) {
        // Keep serving the certificate it has rather than refusing every handshake.
        deps.log?.warn({ err, listenerArn: next.arn }, 'TLS listener keeps its previous certificate');
      }
      handle.update(next, nextLoadBalancer);
    },
    close: () => handle.close(),
  };
}
