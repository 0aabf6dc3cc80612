import { decodeToken, encodeToken } from '../pagination.js';
import { acmFault, validation } from './faults.js';
import type { CertificateRecord } from './types.js';

/**
 * What DescribeCertificate and ListCertificates answer for imported certificates, and the
 * listing's filters, order and pages. `now` decides ISSUED vs EXPIRED: ACM lets an imported
 * certificate expire in place.
 */
export type CertificateStatus = 'ISSUED' | 'EXPIRED';

export const statusOf = (record: CertificateRecord, now: number): CertificateStatus =>
  now > record.details.notAfter ? 'EXPIRED' : 'ISSUED';

export function detailView(record: CertificateRecord, inUseBy: readonly string[], now: number): object {
  const d = record.details;
  return {
    CertificateArn: record.arn,
    DomainName: d.domainName,
    SubjectAlternativeNames: d.subjectAlternativeNames,
    Serial: d.serial,
    Subject: d.subject,
    Issuer: d.issuer,
    ImportedAt: new Date(record.importedAt),
    Status: statusOf(record, now),
    NotBefore: new Date(d.notBefore),
    NotAfter: new Date(d.notAfter),
    KeyAlgorithm: d.keyAlgorithm,
    SignatureAlgorithm: d.signatureAlgorithm,
    InUseBy: inUseBy,
    Type: 'IMPORTED',
    KeyUsages: d.keyUsages.map((Name) => ({ Name })),
    ExtendedKeyUsages: d.extendedKeyUsages.map((u) => ({ Name: u.name, OID: u.oid })),
    RenewalEligibility: 'INELIGIBLE',
  };
}

/** ListCertificates shows at most this many alternative names per certificate. */
const SUMMARY_NAMES = 100;

export function summaryView(record: CertificateRecord, inUse: boolean, now: number): object {
  const d = record.details;
  return {
    CertificateArn: record.arn,
    DomainName: d.domainName,
    SubjectAlternativeNameSummaries: d.subjectAlternativeNames.slice(0, SUMMARY_NAMES),
    HasAdditionalSubjectAlternativeNames: d.subjectAlternativeNames.length > SUMMARY_NAMES,
    Status: statusOf(record, now),
    Type: 'IMPORTED',
    KeyAlgorithm: d.keyAlgorithm,
    KeyUsages: d.keyUsages,
    ExtendedKeyUsages: d.extendedKeyUsages.map((u) => u.name),
    InUse: inUse,
    RenewalEligibility: 'INELIGIBLE',
    NotBefore: new Date(d.notBefore),
    NotAfter: new Date(d.notAfter),
    ImportedAt: new Date(record.importedAt),
  };
}

export interface ListQuery {
  readonly CertificateStatuses?: readonly string[];
  readonly Includes?: {
    readonly keyTypes?: readonly string[];
    readonly keyUsage?: readonly string[];
    readonly extendedKeyUsage?: readonly string[];
  };
  readonly NextToken?: string;
  readonly MaxItems?: number;
  readonly SortBy?: string;
  readonly SortOrder?: string;
}

/** Without `Includes.keyTypes`, ACM lists RSA_1024 and RSA_2048 certificates only. */
const DEFAULT_KEY_TYPES = ['RSA_1024', 'RSA_2048'];
const MAX_ITEMS = 1000;

/** One page of the certificates that pass the query's filters, oldest import first unless sorted. */
export function listPage(
  records: readonly CertificateRecord[],
  query: ListQuery,
  now: number,
): { readonly items: CertificateRecord[]; readonly nextToken?: string } {
  if ((query.SortBy === undefined) !== (query.SortOrder === undefined)) {
    throw validation('SortBy and SortOrder must be given together.');
  }
  const limit = query.MaxItems ?? MAX_ITEMS;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ITEMS) {
    throw validation(`MaxItems must be an integer between 1 and ${MAX_ITEMS}.`);
  }
  const direction = query.SortOrder === 'DESCENDING' ? -1 : 1;
  const after = tokenKey(query.NextToken);
  const matching = records
    .filter((r) => passes(r, query, now))
    .sort((a, b) => direction * compare(keyOf(a), keyOf(b)))
    .filter((r) => after === undefined || direction * compare(keyOf(r), after) > 0);
  const items = matching.slice(0, limit);
  const last = items[items.length - 1];
  return matching.length > limit && last ? { items, nextToken: encodeToken(keyOf(last)) } : { items };
}

function passes(record: CertificateRecord, query: ListQuery, now: number): boolean {
  const d = record.details;
  const statuses = query.CertificateStatuses ?? [];
  const keyTypes = query.Includes?.keyTypes ?? DEFAULT_KEY_TYPES;
  return (
    (statuses.length === 0 || statuses.includes(statusOf(record, now))) &&
    keyTypes.includes(d.keyAlgorithm) &&
    (query.Includes?.keyUsage ?? []).every((u) => u === 'ANY' || d.keyUsages.includes(u)) &&
    (query.Includes?.extendedKeyUsage ?? []).every(
      (u) => u === 'ANY' || d.extendedKeyUsages.some((e) => e.name === u),
    )
  );
}

type Key = readonly [number, string];
const keyOf = (r: CertificateRecord): Key => [r.createdAt, r.arn];

function compare(a: Key, b: Key): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

function tokenKey(token: string | undefined): Key | undefined {
  if (token === undefined) return undefined;
  let decoded: (string | number)[] | undefined;
  try {
    decoded = decodeToken(token);
  } catch {
    decoded = undefined;
  }
  const [at, arn] = decoded ?? [];
  if (typeof at !== 'number' || typeof arn !== 'string') {
    throw acmFault('InvalidArgsException', 'The NextToken is not one a previous ListCertificates answered.');
  }
  return [at, arn];
}
