/** An imported certificate as the store keeps it (the private key is read only by the data plane). */
export interface CertificateRecord {
  readonly arn: string;
  readonly certificatePem: string;
  /** The intermediates, PEM, as given; absent when none was imported. */
  readonly chainPem?: string;
  readonly details: CertificateDetails;
  /** Epoch ms of the first import (the listing order; ACM answers no CreatedAt for imports). */
  readonly createdAt: number;
  /** Epoch ms of the latest import (re-imports replace the material in place). */
  readonly importedAt: number;
  readonly version: number;
}

/** What ACM describes of an imported certificate, read from it once at import. */
export interface CertificateDetails {
  readonly domainName: string;
  readonly subjectAlternativeNames: readonly string[];
  readonly subject: string;
  readonly issuer: string;
  /** Colon-separated lowercase hex, as ACM prints it. */
  readonly serial: string;
  /** Epoch ms. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly signatureAlgorithm: string;
  readonly keyUsages: readonly string[];
  readonly extendedKeyUsages: readonly { readonly name: string; readonly oid: string }[];
}

export type KeyAlgorithm =
  'RSA_1024' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'EC_prime256v1' | 'EC_secp384r1' | 'EC_secp521r1';

/** The PEM material a TLS listener needs. */
export interface CertificateMaterial {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly chainPem?: string;
}

export interface AcmTag {
  readonly Key: string;
  readonly Value?: string;
}
