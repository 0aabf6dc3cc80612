import { isCertificateArn } from '../../core/acm/arns.js';
import type { ControlDeps } from '../context.js';
import type { CertificateSource } from '../elbv2/model.js';

/**
 * The certificate store as the load-balancing model's `CertificateSource`: the PEM certificate,
 * private key and chain of each ACM ARN the store holds. IAM server-certificate ARNs (accepted by
 * listeners, never stored) and certificates deleted meanwhile are left out; the model then shows
 * the listener's certificate without material.
 */
export function certificateSource(deps: Pick<ControlDeps, 'store'>): CertificateSource {
  return (arns) => deps.store.certificates.material(arns.filter(isCertificateArn));
}
