import type { ControlDeps } from '../context.js';
import { CertificateOperations } from './certificates.js';
import { CertificateTagOperations } from './tags.js';

/** The ACM control-plane operations (the data plane reads certificates through certificate-source.ts). */
export interface AcmControl {
  readonly certificates: CertificateOperations;
  readonly tags: CertificateTagOperations;
}

export function createAcmControl(deps: Pick<ControlDeps, 'store' | 'scope' | 'now'>): AcmControl {
  return { certificates: new CertificateOperations(deps), tags: new CertificateTagOperations(deps) };
}
