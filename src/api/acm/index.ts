import type { ImportBlobs } from '../../control/acm/pem.js';
import type { AcmControl } from '../../control/acm/index.js';
import type { AcmTag } from '../../core/acm/types.js';
import type { ListQuery } from '../../core/acm/views.js';
import type { JsonService, Operation } from '../service.js';
import type { EnumTable } from '../validate.js';
import { ACM_ERRORS } from './errors.js';
import { ACM_SHAPES } from './shapes.js';

/** The ACM operations Berth serves: imported certificates only (docs/certificates.md). */
export type AcmOperationName = keyof typeof ACM_SHAPES;

const values = (...names: string[]): Readonly<Record<string, string>> =>
  Object.fromEntries(names.map((n) => [n, n]));

/** The enum members of the inputs above, with the model's values. */
const ACM_ENUMS: EnumTable = {
  'ListCertificatesRequest.CertificateStatuses': values(
    'PENDING_VALIDATION',
    'ISSUED',
    'INACTIVE',
    'EXPIRED',
    'VALIDATION_TIMED_OUT',
    'REVOKED',
    'FAILED',
  ),
  'ListCertificatesRequest.SortBy': values('CREATED_AT'),
  'ListCertificatesRequest.SortOrder': values('ASCENDING', 'DESCENDING'),
  'Filters.keyTypes': values(
    'RSA_1024',
    'RSA_2048',
    'RSA_3072',
    'RSA_4096',
    'EC_prime256v1',
    'EC_secp384r1',
    'EC_secp521r1',
  ),
  'Filters.keyUsage': values(
    'DIGITAL_SIGNATURE',
    'NON_REPUDIATION',
    'KEY_ENCIPHERMENT',
    'DATA_ENCIPHERMENT',
    'KEY_AGREEMENT',
    'CERTIFICATE_SIGNING',
    'CRL_SIGNING',
    'ENCIPHER_ONLY',
    'DECIPHER_ONLY',
    'ANY',
    'CUSTOM',
  ),
  'Filters.extendedKeyUsage': values(
    'TLS_WEB_SERVER_AUTHENTICATION',
    'TLS_WEB_CLIENT_AUTHENTICATION',
    'CODE_SIGNING',
    'EMAIL_PROTECTION',
    'TIME_STAMPING',
    'OCSP_SIGNING',
    'IPSEC_END_SYSTEM',
    'IPSEC_TUNNEL',
    'IPSEC_USER',
    'ANY',
    'NONE',
    'CUSTOM',
  ),
};

function op<I>(input: unknown, run: (input: I) => Promise<object>): Operation {
  return { input, run };
}

type ByArn = { readonly CertificateArn: string };
type TagsOf = ByArn & { readonly Tags: readonly AcmTag[] };

/**
 * ACM on awsJson1_1 (target prefix `CertificateManager`, signing name `acm`). Each entry decides
 * nothing: the rules are in core/acm, the X.509 work in control/acm.
 */
export function acmService(acm: AcmControl): JsonService {
  const { certificates, tags } = acm;
  const operations: Record<AcmOperationName, Operation> = {
    ImportCertificate: op(
      ACM_SHAPES.ImportCertificate,
      (i: ImportBlobs & { CertificateArn?: string; Tags?: AcmTag[] }) => certificates.import(i),
    ),
    DescribeCertificate: op(ACM_SHAPES.DescribeCertificate, (i: ByArn) => certificates.describe(i)),
    GetCertificate: op(ACM_SHAPES.GetCertificate, (i: ByArn) => certificates.get(i)),
    ListCertificates: op(ACM_SHAPES.ListCertificates, (i: ListQuery) => certificates.list(i)),
    DeleteCertificate: op(ACM_SHAPES.DeleteCertificate, (i: ByArn) => certificates.delete(i)),
    AddTagsToCertificate: op(ACM_SHAPES.AddTagsToCertificate, (i: TagsOf) => tags.add(i)),
    RemoveTagsFromCertificate: op(ACM_SHAPES.RemoveTagsFromCertificate, (i: TagsOf) => tags.remove(i)),
    ListTagsForCertificate: op(ACM_SHAPES.ListTagsForCertificate, (i: ByArn) => tags.list(i)),
  };
  return {
    protocol: 'json',
    targetPrefix: 'CertificateManager',
    jsonVersion: '1.1',
    signingName: 'acm',
    errors: ACM_ERRORS,
    enums: ACM_ENUMS,
    operations,
  };
}
