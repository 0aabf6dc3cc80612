import { randomUUID } from 'node:crypto';
import { certificateArn, checkCertificateArn } from '../../core/acm/arns.js';
import { acmFault, notFound, validation } from '../../core/acm/faults.js';
import { checkReimport } from '../../core/acm/fields.js';
import { checkTags } from '../../core/acm/tags.js';
import type { AcmTag, CertificateRecord } from '../../core/acm/types.js';
import { detailView, listPage, summaryView, type ListQuery } from '../../core/acm/views.js';
import type { Fault } from '../../core/fault.js';
import type { Repositories } from '../../store/index.js';
import type { ControlDeps } from '../context.js';
import { LOST, retryOnConflict } from '../optimistic.js';
import { parseImport, type ImportBlobs } from './pem.js';
import { writeTags } from './tags.js';

/**
 * ImportCertificate (new, or in place over an ARN), DescribeCertificate, GetCertificate,
 * ListCertificates, DeleteCertificate. Certificates are used by ELBv2 HTTPS/TLS listeners; which
 * ones is read from the load-balancing store, never kept twice.
 */
export class CertificateOperations {
  constructor(private readonly deps: Pick<ControlDeps, 'store' | 'scope' | 'now'>) {}

  async import(
    input: ImportBlobs & { readonly CertificateArn?: string; readonly Tags?: readonly AcmTag[] },
  ): Promise<object> {
    const now = this.deps.now();
    const tags = input.Tags ?? [];
    checkTags(tags);
    const { material, details } = parseImport(input, now);
    const { store, scope } = this.deps;
    const arn = input.CertificateArn;
    if (arn === undefined) {
      const record: CertificateRecord = {
        arn: certificateArn(scope, randomUUID()),
        certificatePem: material.certificatePem,
        ...(material.chainPem !== undefined ? { chainPem: material.chainPem } : {}),
        details,
        createdAt: now,
        importedAt: now,
        version: 1,
      };
      await store.transaction(async (repos) => {
        await repos.certificates.insert(record, material.privateKeyPem);
        await writeTags(repos, record.arn, tags);
      });
      return { CertificateArn: record.arn };
    }
    checkCertificateArn(arn);
    if (tags.length > 0) {
      throw validation('Tags cannot be applied when re-importing a certificate: use AddTagsToCertificate.');
    }
    // Re-import: the ARN, its tags and the listeners using it stay; the material is replaced.
    await retryOnConflict(async () => {
      const current = await store.certificates.get(arn);
      if (!current) throw notFound(arn);
      checkReimport(current.details, details);
      const next: CertificateRecord = {
        arn,
        certificatePem: material.certificatePem,
        ...(material.chainPem !== undefined ? { chainPem: material.chainPem } : {}),
        details,
        createdAt: current.createdAt,
        importedAt: now,
        version: current.version + 1,
      };
      return (await store.certificates.replace(next, material.privateKeyPem)) ? true : LOST;
    }, conflict);
    return { CertificateArn: arn };
  }

  async describe(input: { readonly CertificateArn: string }): Promise<object> {
    const record = await this.find(input.CertificateArn);
    const listeners = await usedBy(this.deps.store);
    return { Certificate: detailView(record, listeners.get(record.arn) ?? [], this.deps.now()) };
  }

  async get(input: { readonly CertificateArn: string }): Promise<object> {
    const record = await this.find(input.CertificateArn);
    return {
      Certificate: record.certificatePem,
      ...(record.chainPem !== undefined ? { CertificateChain: record.chainPem } : {}),
    };
  }

  async list(input: ListQuery): Promise<object> {
    const { store, now } = this.deps;
    const at = now();
    const page = listPage(await store.certificates.list(), input, at);
    const listeners = await usedBy(store);
    return {
      CertificateSummaryList: page.items.map((r) => summaryView(r, listeners.has(r.arn), at)),
      ...(page.nextToken !== undefined ? { NextToken: page.nextToken } : {}),
    };
  }

  async delete(input: { readonly CertificateArn: string }): Promise<object> {
    checkCertificateArn(input.CertificateArn);
    const arn = input.CertificateArn;
    await this.deps.store.transaction(async (repos) => {
      // Delete first, then look for users: a listener write holding the row (store/certificates.ts
      // `hold`) either committed before this delete, and is seen here, or finds the row gone.
      if (!(await repos.certificates.delete(arn))) throw notFound(arn);
      const users = (await usedBy(repos)).get(arn) ?? [];
      if (users.length > 0) {
        throw acmFault(
          'ResourceInUseException',
          `Certificate ${arn} is in use by ${users.join(', ')}: change or delete those listeners first.`,
        );
      }
      await repos.tags.replace(arn, []);
    });
    return {};
  }

  private async find(arn: string): Promise<CertificateRecord> {
    checkCertificateArn(arn);
    const record = await this.deps.store.certificates.get(arn);
    if (!record) throw notFound(arn);
    return record;
  }
}

/** Certificate ARN → the ARNs of the ELBv2 listeners that serve it. */
async function usedBy(repos: Pick<Repositories, 'loadBalancing'>): Promise<Map<string, string[]>> {
  const users = new Map<string, string[]>();
  for (const listener of await repos.loadBalancing.listeners()) {
    for (const { CertificateArn } of listener.certificates) {
      users.set(CertificateArn, [...(users.get(CertificateArn) ?? []), listener.arn]);
    }
  }
  return users;
}

const conflict = (): Fault =>
  acmFault('ConflictException', 'Another request changed this certificate at the same time. Try again.');
