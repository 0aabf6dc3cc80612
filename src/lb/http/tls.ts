import type { ModelListener } from '../../core/elbv2/data-plane.js';

/** The key pair an HTTPS listener serves: its certificate with the chain after it, and the key. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/**
 * The listener's certificate material, or an Error saying why it has none: a certificate the
 * certificate store does not hold comes without PEMs, and the listener cannot serve TLS with it.
 * The driver reports the Error as the listener's fault.
 */
export function tlsMaterial(listener: ModelListener): TlsMaterial {
  const certificate = listener.certificates[0];
  if (!certificate) throw new Error(`listener on port ${listener.port} has no certificate`);
  const { certificatePem, privateKeyPem, chainPem } = certificate;
  if (certificatePem === undefined || privateKeyPem === undefined) {
    throw new Error(`certificate ${certificate.arn} has no PEM material in the certificate store`);
  }
  const cert = chainPem === undefined ? certificatePem : `${certificatePem.trimEnd()}\n${chainPem}`;
  return { cert, key: privateKeyPem };
}

export function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.cert === b.cert && a.key === b.key;
}
