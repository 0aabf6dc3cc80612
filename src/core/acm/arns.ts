import { arn, type Scope } from '../arn.js';
import { acmFault } from './faults.js';

/**
 * ACM certificate ARNs: `arn:<partition>:acm:<region>:<account>:certificate/<uuid>`. Anything else
 * named as a certificate is `InvalidArnException`; a well-formed ARN of another region or account
 * is simply not in this store (`ResourceNotFoundException`), as on ACM.
 */
const CERTIFICATE_ARN = /^arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:certificate\/[\w+=,.@-]+$/;

export const certificateArn = (scope: Scope, uuid: string): string =>
  arn(scope, 'acm', `certificate/${uuid}`);

export function isCertificateArn(value: string): boolean {
  return value.length <= 2048 && CERTIFICATE_ARN.test(value);
}

export function checkCertificateArn(value: string): void {
  if (!isCertificateArn(value)) {
    throw acmFault(
      'InvalidArnException',
      `The ARN '${value}' is not a certificate ARN: expected arn:aws:acm:<region>:<account>:certificate/<id>.`,
    );
  }
}
