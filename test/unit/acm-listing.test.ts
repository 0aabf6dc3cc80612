import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCertificateArn } from '../../src/core/acm/arns.js';
import { checkReimport } from '../../src/core/acm/fields.js';
import { addTags, checkTags, removeTags } from '../../src/core/acm/tags.js';
import type { CertificateDetails, CertificateRecord, KeyAlgorithm } from '../../src/core/acm/types.js';
import { detailView, listPage, statusOf, summaryView, type ListQuery } from '../../src/core/acm/views.js';

/** The pure rules behind ListCertificates, DescribeCertificate, tags and re-imports. */
const DAY = 24 * 3600_000;
const T0 = Date.UTC(2030, 0, 1);

const details = (
  keyAlgorithm: KeyAlgorithm = 'RSA_2048',
  extra: Partial<CertificateDetails> = {},
): CertificateDetails => ({
  domainName: 'app.example.test',
  subjectAlternativeNames: ['app.example.test'],
  subject: 'CN=app.example.test',
  issuer: 'app.example.test',
  serial: '01:02',
  notBefore: T0,
  notAfter: T0 + 2 * DAY,
  keyAlgorithm,
  signatureAlgorithm: 'SHA256WITHRSA',
  keyUsages: ['DIGITAL_SIGNATURE'],
  extendedKeyUsages: [{ name: 'TLS_WEB_SERVER_AUTHENTICATION', oid: '1.3.6.1.5.5.7.3.1' }],
  ...extra,
});

const record = (n: number, keyAlgorithm: KeyAlgorithm = 'RSA_2048'): CertificateRecord => ({
  arn: `arn:aws:acm:us-east-1:123456789012:certificate/0000000${n}`,
  certificatePem: 'pem',
  details: details(keyAlgorithm),
  createdAt: T0 + n,
  importedAt: T0 + n,
  version: 1,
});

const arns = (page: { items: readonly CertificateRecord[] }) => page.items.map((r) => r.arn.slice(-1));
const fault = (code: string, pattern?: RegExp) => (err: Error & { code?: string }) => {
  assert.equal(err.code, code);
  if (pattern) assert.match(err.message, pattern);
  return true;
};

describe('ListCertificates', () => {
  const records = [
    record(3),
    record(1),
    record(2, 'EC_prime256v1'),
    record(4, 'RSA_1024'),
    record(5, 'RSA_4096'),
  ];

  it('lists RSA_1024 and RSA_2048 by default, oldest first, and other key types when asked', () => {
    assert.deepEqual(arns(listPage(records, {}, T0)), ['1', '3', '4']);
    assert.deepEqual(arns(listPage(records, { Includes: { keyTypes: ['EC_prime256v1', 'RSA_4096'] } }, T0)), [
      '2',
      '5',
    ]);
  });

  it('pages with an opaque token that resumes after the last item, in either order', () => {
    const all = { Includes: { keyTypes: ['RSA_1024', 'RSA_2048', 'RSA_4096', 'EC_prime256v1'] } };
    const seen: string[] = [];
    let query: ListQuery = { ...all, MaxItems: 2 };
    for (;;) {
      const page = listPage(records, query, T0);
      seen.push(...arns(page));
      if (page.nextToken === undefined) break;
      query = { ...query, NextToken: page.nextToken };
    }
    assert.deepEqual(seen, ['1', '2', '3', '4', '5']);
    const newest = listPage(
      records,
      { ...all, MaxItems: 2, SortBy: 'CREATED_AT', SortOrder: 'DESCENDING' },
      T0,
    );
    assert.deepEqual(arns(newest), ['5', '4']);
    const rest = listPage(
      records,
      { ...all, SortBy: 'CREATED_AT', SortOrder: 'DESCENDING', NextToken: newest.nextToken ?? '' },
      T0,
    );
    assert.deepEqual(arns(rest), ['3', '2', '1']);
    assert.equal(rest.nextToken, undefined);
  });

  it('filters by status: EXPIRED once past NotAfter', () => {
    const later = T0 + 3 * DAY;
    assert.deepEqual(arns(listPage(records, { CertificateStatuses: ['ISSUED'] }, T0)), ['1', '3', '4']);
    assert.deepEqual(arns(listPage(records, { CertificateStatuses: ['ISSUED'] }, later)), []);
    assert.deepEqual(arns(listPage(records, { CertificateStatuses: ['EXPIRED'] }, later)), ['1', '3', '4']);
  });

  it('filters by key usage and extended key usage', () => {
    assert.deepEqual(arns(listPage(records, { Includes: { keyUsage: ['DIGITAL_SIGNATURE'] } }, T0)), [
      '1',
      '3',
      '4',
    ]);
    assert.deepEqual(arns(listPage(records, { Includes: { extendedKeyUsage: ['CODE_SIGNING'] } }, T0)), []);
  });

  it('refuses bad tokens, page sizes and half a sort', () => {
    assert.throws(() => listPage(records, { NextToken: 'garbage' }, T0), fault('InvalidArgsException'));
    assert.throws(() => listPage(records, { MaxItems: 0 }, T0), fault('ValidationException', /MaxItems/));
    assert.throws(() => listPage(records, { MaxItems: 1001 }, T0), fault('ValidationException'));
    assert.throws(
      () => listPage(records, { SortBy: 'CREATED_AT' }, T0),
      fault('ValidationException', /together/),
    );
  });
});

describe('certificate views', () => {
  it('describes an imported certificate with ISSUED/EXPIRED by the clock and the listeners using it', () => {
    const r = record(1);
    assert.equal(statusOf(r, T0 + 2 * DAY), 'ISSUED');
    assert.equal(statusOf(r, T0 + 2 * DAY + 1), 'EXPIRED');
    const view = detailView(r, ['arn:listener'], T0) as Record<string, unknown>;
    assert.equal(view.Type, 'IMPORTED');
    assert.equal(view.Status, 'ISSUED');
    assert.deepEqual(view.InUseBy, ['arn:listener']);
    assert.deepEqual(view.ImportedAt, new Date(T0 + 1));
    assert.equal('CreatedAt' in view, false);
    assert.deepEqual(view.ExtendedKeyUsages, [
      { Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.1' },
    ]);
  });

  it('summarises at most 100 alternative names and says when there are more', () => {
    const names = Array.from({ length: 101 }, (_, i) => `n${i}.example.test`);
    const r = { ...record(1), details: details('RSA_2048', { subjectAlternativeNames: names }) };
    const summary = summaryView(r, true, T0) as Record<string, unknown>;
    assert.equal((summary.SubjectAlternativeNameSummaries as string[]).length, 100);
    assert.equal(summary.HasAdditionalSubjectAlternativeNames, true);
    assert.equal(summary.InUse, true);
  });
});

describe('certificate ARNs', () => {
  it('accepts ACM certificate ARNs only (InvalidArnException otherwise)', () => {
    checkCertificateArn(
      'arn:aws:acm:eu-west-1:123456789012:certificate/6f2b7c1e-1111-4a3b-9c8d-123456789abc',
    );
    for (const bad of [
      'certificate/abc',
      'arn:aws:acm:us-east-1:123456789012:private-ca/abc',
      'arn:aws:iam::123456789012:server-certificate/web',
      'arn:aws:acm:us-east-1:account:certificate/abc',
    ]) {
      assert.throws(() => checkCertificateArn(bad), fault('InvalidArnException'), bad);
    }
  });
});

describe('certificate tags', () => {
  it('merges, limits to 50, and removes by key or by key and value', () => {
    const current = [{ Key: 'a', Value: '1' }];
    assert.deepEqual(addTags(current, [{ Key: 'a', Value: '2' }, { Key: 'b' }]), [
      { Key: 'a', Value: '2' },
      { Key: 'b', Value: '' },
    ]);
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}` }));
    assert.equal(addTags([], fifty).length, 50);
    assert.throws(() => addTags(current, fifty), fault('TooManyTagsException'));
    assert.deepEqual(removeTags(current, [{ Key: 'a', Value: '9' }]), current);
    assert.deepEqual(removeTags(current, [{ Key: 'a', Value: '1' }]), []);
    assert.deepEqual(removeTags(current, [{ Key: 'a' }]), []);
  });

  it('refuses reserved, empty, long and odd keys and values', () => {
    for (const tag of [
      { Key: 'aws:x' },
      { Key: '' },
      { Key: 'k'.repeat(129) },
      { Key: 'k', Value: 'v'.repeat(257) },
      { Key: 'a*b' },
    ]) {
      assert.throws(() => checkTags([tag]), fault('InvalidTagException'), tag.Key);
    }
    checkTags([{ Key: 'team name', Value: 'web/api=1+2@x' }]);
  });
});

describe('re-import rules', () => {
  it('keeps the key algorithm and never drops key usages; adding is fine', () => {
    checkReimport(details(), details('RSA_2048', { domainName: 'other.example.test' }));
    checkReimport(details(), details('RSA_2048', { keyUsages: ['DIGITAL_SIGNATURE', 'KEY_ENCIPHERMENT'] }));
    assert.throws(
      () => checkReimport(details(), details('RSA_4096')),
      fault('ValidationException', /RSA_2048/),
    );
    assert.throws(
      () => checkReimport(details(), details('RSA_2048', { keyUsages: [] })),
      fault('ValidationException', /DIGITAL_SIGNATURE/),
    );
    assert.throws(
      () => checkReimport(details(), details('RSA_2048', { extendedKeyUsages: [] })),
      fault('ValidationException', /TLS_WEB_SERVER_AUTHENTICATION/),
    );
  });
});
