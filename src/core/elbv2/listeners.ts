import { parseArn } from '../arn.js';
import { elbFault, validationError } from './faults.js';
import type { CertificateInput } from './inputs.js';
import { checkPort } from './names.js';
import { parseProtocol } from './target-groups.js';
import type { Certificate, LoadBalancerType, Protocol } from './types.js';

/**
 * A listener's protocol, port, TLS policy and certificate, as CreateListener and ModifyListener
 * check them. Application load balancers listen on HTTP/HTTPS, network ones on TCP/TLS/UDP;
 * HTTPS and TLS need one certificate. Until Berth has its certificate store (ACM ImportCertificate)
 * a certificate is an ACM or IAM server-certificate ARN, stored as given.
 */
export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
export const MAX_LISTENERS_PER_LOAD_BALANCER = 50;

const LISTENS_ON: Record<LoadBalancerType, readonly Protocol[]> = {
  application: ['HTTP', 'HTTPS'],
  network: ['TCP', 'TLS', 'UDP'],
};

const needsCertificate = (p: Protocol): boolean => p === 'HTTPS' || p === 'TLS';

export interface ListenerSettings {
  readonly protocol: Protocol;
  readonly port: number;
  readonly sslPolicy?: string;
  readonly certificates: readonly Certificate[];
}

export function listenerSettings(
  lbType: LoadBalancerType,
  given: {
    readonly Protocol?: string;
    readonly Port?: number;
    readonly SslPolicy?: string;
    readonly Certificates?: readonly CertificateInput[];
  },
  current?: ListenerSettings,
): ListenerSettings {
  const protocolName = given.Protocol ?? current?.protocol;
  if (protocolName === undefined) throw validationError('A listener protocol must be specified');
  const protocol = parseProtocol(protocolName);
  if (!LISTENS_ON[lbType].includes(protocol)) {
    throw elbFault(
      'UnsupportedProtocol',
      `Protocol '${protocol}' is not supported for load balancers of type '${lbType}'`,
    );
  }
  const port = given.Port ?? current?.port;
  if (port === undefined) throw validationError('A listener port must be specified');
  checkPort(port, 'Port');
  if (!needsCertificate(protocol)) {
    if (given.Certificates !== undefined && given.Certificates.length > 0) {
      throw validationError(`Certificates cannot be specified for ${protocol} listeners`);
    }
    if (given.SslPolicy !== undefined)
      throw validationError(`An SSL policy cannot be specified for ${protocol} listeners`);
    return { protocol, port, certificates: [] };
  }
  const sslPolicy = given.SslPolicy ?? current?.sslPolicy ?? DEFAULT_SSL_POLICY;
  if (!/^ELBSecurityPolicy-[A-Za-z0-9-]+$/.test(sslPolicy)) {
    throw elbFault('SSLPolicyNotFound', `SSL policy '${sslPolicy}' not found`);
  }
  const certificates = given.Certificates ?? current?.certificates ?? [];
  if (certificates.length === 0) {
    throw validationError(`A certificate must be specified for ${protocol} listeners`);
  }
  if (certificates.length > 1) {
    throw elbFault('TooManyCertificates', 'A listener can have only one default certificate');
  }
  const certificateArn = certificates[0]?.CertificateArn ?? '';
  if (!isCertificateArn(certificateArn)) {
    throw elbFault('CertificateNotFound', `Certificate '${certificateArn}' not found`);
  }
  return { protocol, port, sslPolicy, certificates: [{ CertificateArn: certificateArn }] };
}

/** `arn:…:acm:<region>:<account>:certificate/<id>` or `arn:…:iam::<account>:server-certificate/<name>`. */
function isCertificateArn(value: string): boolean {
  const parsed = parseArn(value);
  if (!parsed || parsed.accountId === '') return false;
  if (parsed.service === 'acm') return /^certificate\/[A-Za-z0-9-]+$/.test(parsed.resource);
  if (parsed.service === 'iam') return /^server-certificate\/.+/.test(parsed.resource);
  return false;
}

/** Rule priorities: whole numbers 1–50000. */
export function checkPriority(priority: number): void {
  if (!Number.isInteger(priority) || priority < 1 || priority > 50000) {
    throw validationError(`Priority '${priority}' must be between 1 and 50000`);
  }
}

export const MAX_RULES_PER_LISTENER = 100;
