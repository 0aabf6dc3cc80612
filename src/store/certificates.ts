import type { Kysely, Selectable } from 'kysely';
import type { CertificateDetails, CertificateMaterial, CertificateRecord } from '../core/acm/types.js';
import type { AcmCertificateTable, Database } from './schema.js';

/**
 * ACM's imported certificates. Records (without the private key) are read for the API; the key
 * is read only by `material`, for the data plane. Re-imports are versioned writes (a stale
 * version writes nothing and answers false). `hold` is how a listener write and a
 * DeleteCertificate exclude each other: see docs/certificates.md.
 */
export class CertificateRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: CertificateRecord, privateKeyPem: string): Promise<void> {
    await this.db
      .insertInto('acm_certificates')
      .values({ ...toRow(record), private_key_pem: privateKeyPem })
      .execute();
  }

  /** Replaces the material of the record's version − 1; false when another write got there first. */
  async replace(record: CertificateRecord, privateKeyPem: string): Promise<boolean> {
    const row = toRow(record);
    const result = await this.db
      .updateTable('acm_certificates')
      .set({
        certificate_pem: row.certificate_pem,
        private_key_pem: privateKeyPem,
        chain_pem: row.chain_pem,
        doc: row.doc,
        imported_at: row.imported_at,
        version: row.version,
      })
      .where('arn', '=', row.arn)
      .where('version', '=', row.version - 1)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async get(arn: string): Promise<CertificateRecord | undefined> {
    const row = await this.db
      .selectFrom('acm_certificates')
      .select(COLUMNS)
      .where('arn', '=', arn)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Every certificate (the listing filters and pages in memory: a store holds few). */
  async list(): Promise<CertificateRecord[]> {
    const rows = await this.db.selectFrom('acm_certificates').select(COLUMNS).orderBy('arn').execute();
    return rows.map(toRecord);
  }

  /** The PEM material of the certificates held among `arns`, private keys included. */
  async material(arns: readonly string[]): Promise<Map<string, CertificateMaterial>> {
    if (arns.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('acm_certificates')
      .select(['arn', 'certificate_pem', 'private_key_pem', 'chain_pem'])
      .where('arn', 'in', arns)
      .execute();
    return new Map(
      rows.map((r) => [
        r.arn,
        {
          certificatePem: r.certificate_pem,
          privateKeyPem: r.private_key_pem,
          ...(r.chain_pem !== null ? { chainPem: r.chain_pem } : {}),
        },
      ]),
    );
  }

  /**
   * Inside a transaction: confirms the certificate exists and holds its row until commit (an
   * update that changes nothing still locks it on PostgreSQL), so a concurrent DeleteCertificate
   * either waits and then sees this transaction's listener, or deleted first and this answers false.
   */
  async hold(arn: string): Promise<boolean> {
    const result = await this.db
      .updateTable('acm_certificates')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('arn', '=', arn)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async delete(arn: string): Promise<boolean> {
    const result = await this.db.deleteFrom('acm_certificates').where('arn', '=', arn).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }
}

const COLUMNS = [
  'arn',
  'certificate_pem',
  'chain_pem',
  'doc',
  'created_at',
  'imported_at',
  'version',
] as const;

type Row = Pick<Selectable<AcmCertificateTable>, (typeof COLUMNS)[number]>;

function toRow(record: CertificateRecord): Row {
  return {
    arn: record.arn,
    certificate_pem: record.certificatePem,
    chain_pem: record.chainPem ?? null,
    doc: JSON.stringify(record.details),
    created_at: record.createdAt,
    imported_at: record.importedAt,
    version: record.version,
  };
}

function toRecord(row: Row): CertificateRecord {
  return {
    arn: row.arn,
    certificatePem: row.certificate_pem,
    ...(row.chain_pem !== null ? { chainPem: row.chain_pem } : {}),
    details: JSON.parse(row.doc) as CertificateDetails,
    createdAt: row.created_at,
    importedAt: row.imported_at,
    version: row.version,
  };
}
