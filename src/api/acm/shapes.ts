import type { SchemaRef } from '../validate.js';

/**
 * The ACM (2015-12-08) inputs Berth reads, written in the AWS SDK's runtime-schema layout that
 * api/validate.ts walks (`@aws-sdk/client-acm` is only a test dependency, so its schemas are not
 * imported at run time). Required members come first, as in the SDK's schemas.
 */
const NS = 'com.amazonaws.acm';
const STRING = 0;
const NUMBER = 1;
const BLOB = 21;
const LIST_OF_STRINGS = 64;

const struct = (
  name: string,
  required: Readonly<Record<string, SchemaRef>>,
  optional: Readonly<Record<string, SchemaRef>> = {},
): SchemaRef => [
  3,
  NS,
  name,
  0,
  [...Object.keys(required), ...Object.keys(optional)],
  [...Object.values(required), ...Object.values(optional)],
  Object.keys(required).length,
];

const tags: SchemaRef = [1, NS, 'TagList', 0, struct('Tag', { Key: STRING }, { Value: STRING })];
const arnOnly = (name: string): SchemaRef => struct(name, { CertificateArn: STRING });

export const ACM_SHAPES = {
  ImportCertificate: struct(
    'ImportCertificateRequest',
    { Certificate: BLOB, PrivateKey: BLOB },
    { CertificateArn: STRING, CertificateChain: BLOB, Tags: tags },
  ),
  DescribeCertificate: arnOnly('DescribeCertificateRequest'),
  GetCertificate: arnOnly('GetCertificateRequest'),
  DeleteCertificate: arnOnly('DeleteCertificateRequest'),
  ListTagsForCertificate: arnOnly('ListTagsForCertificateRequest'),
  ListCertificates: struct(
    'ListCertificatesRequest',
    {},
    {
      CertificateStatuses: LIST_OF_STRINGS,
      Includes: struct(
        'Filters',
        {},
        { extendedKeyUsage: LIST_OF_STRINGS, keyUsage: LIST_OF_STRINGS, keyTypes: LIST_OF_STRINGS },
      ),
      NextToken: STRING,
      MaxItems: NUMBER,
      SortBy: STRING,
      SortOrder: STRING,
    },
  ),
  AddTagsToCertificate: struct('AddTagsToCertificateRequest', { CertificateArn: STRING, Tags: tags }),
  RemoveTagsFromCertificate: struct('RemoveTagsFromCertificateRequest', {
    CertificateArn: STRING,
    Tags: tags,
  }),
} as const;
