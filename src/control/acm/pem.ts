import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { certificateExtras } from '../../core/acm/der.js';
import { validation } from '../../core/acm/faults.js';
import {
  alternativeNames,
  attribute,
  distinguishedName,
  domainOf,
  extendedKeyUsages,
  keyAlgorithmOf,
  keyUsageNames,
  serialOf,
  signatureAlgorithmName,
} from '../../core/acm/fields.js';
import type { CertificateDetails, CertificateMaterial } from '../../core/acm/types.js';

/**
 * ImportCertificate's checks, as ACM makes them: PEM certificate, unencrypted PEM private key
 * that matches it, a PEM chain that issued it (when given), valid now, a supported key algorithm.
 * Each refusal is a ValidationException naming the part that failed. node:crypto does the X.509
 * and key work, so this lives in control/ rather than core/.
 */
export interface ImportBlobs {
  /** Base64, as the JSON wire carries blobs. */
  readonly Certificate: string;
  readonly PrivateKey: string;
  readonly CertificateChain?: string;
}

/** The model's blob size limits (bytes, decoded). */
const LIMITS = { Certificate: 32_768, PrivateKey: 5_120, CertificateChain: 2_097_152 } as const;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

export function parseImport(
  blobs: ImportBlobs,
  now: number,
): { readonly material: CertificateMaterial; readonly details: CertificateDetails } {
  const certificateText = decode(blobs.Certificate, 'Certificate');
  const keyText = decode(blobs.PrivateKey, 'PrivateKey');
  const chainText =
    blobs.CertificateChain !== undefined ? decode(blobs.CertificateChain, 'CertificateChain') : undefined;

  const blocks = certificateText.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length !== 1) {
    throw validation(
      blocks.length === 0
        ? 'The certificate is not a PEM-encoded X.509 certificate (expected one -----BEGIN CERTIFICATE----- block).'
        : 'The certificate field must hold exactly one certificate: put the intermediates in CertificateChain.',
    );
  }
  const certificate = x509(blocks[0] ?? '', 'The certificate');
  const key = privateKey(keyText);
  const chain = (chainText?.match(PEM_CERTIFICATE) ?? []).map((pem, i) =>
    x509(pem, `Certificate ${i + 1} of the certificate chain`),
  );
  if (chainText !== undefined && chain.length === 0) {
    throw validation('The certificate chain is not PEM-encoded (no -----BEGIN CERTIFICATE----- block).');
  }

  const publicKey = certificate.publicKey;
  const keyAlgorithm = keyAlgorithmOf({
    type: publicKey.asymmetricKeyType,
    ...definedDetails(publicKey),
  });
  if (!certificate.checkPrivateKey(key)) {
    throw validation("The private key does not match the certificate's public key.");
  }
  const notBefore = Date.parse(certificate.validFrom);
  const notAfter = Date.parse(certificate.validTo);
  if (now < notBefore) throw validation(`The certificate is not valid before ${certificate.validFrom}.`);
  if (now > notAfter) throw validation(`The certificate expired on ${certificate.validTo}.`);
  if (certificate.issuer.trim() === '') throw validation('The certificate has no issuer.');
  if (
    chain.length > 0 &&
    !chain.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey))
  ) {
    throw validation('The certificate chain does not hold the certificate that issued the certificate.');
  }

  const alternatives = alternativeNames(certificate.subjectAltName);
  const commonName = attribute(certificate.subject, 'CN');
  const domainName = domainOf(commonName, alternatives);
  const extras = certificateExtras(new Uint8Array(certificate.raw));
  return {
    material: {
      certificatePem: certificateText,
      privateKeyPem: keyText,
      ...(chainText !== undefined ? { chainPem: chainText } : {}),
    },
    details: {
      domainName,
      // ACM lists the CN among the alternative names (first) when the certificate's SANs lack it.
      subjectAlternativeNames:
        commonName !== undefined && !alternatives.includes(commonName)
          ? [commonName, ...alternatives]
          : alternatives,
      subject: distinguishedName(certificate.subject),
      issuer:
        attribute(certificate.issuer, 'O') ??
        attribute(certificate.issuer, 'CN') ??
        distinguishedName(certificate.issuer),
      serial: serialOf(certificate.serialNumber),
      notBefore,
      notAfter,
      keyAlgorithm,
      signatureAlgorithm: signatureAlgorithmName(extras.signatureAlgorithm),
      keyUsages: keyUsageNames(extras.keyUsageBits),
      extendedKeyUsages: extendedKeyUsages(extras.extendedKeyUsage),
    },
  };
}

function decode(base64: string, member: keyof typeof LIMITS): string {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw validation(`${member} is empty.`);
  if (bytes.length > LIMITS[member]) {
    throw validation(`${member} is larger than ${LIMITS[member]} bytes.`);
  }
  return bytes.toString('utf8');
}

function x509(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw validation(`${what} could not be parsed as X.509: ${reason(error)}.`);
  }
}

function privateKey(text: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw validation('The private key is encrypted: import it unencrypted (without a passphrase).');
  }
  if (!/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(text)) {
    throw validation('The private key is not a PEM-encoded private key (-----BEGIN PRIVATE KEY-----).');
  }
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (error) {
    throw validation(`The private key could not be parsed: ${reason(error)}.`);
  }
}

function definedDetails(key: KeyObject): { modulusLength?: number; namedCurve?: string } {
  const { modulusLength, namedCurve } = key.asymmetricKeyDetails ?? {};
  return {
    ...(modulusLength !== undefined ? { modulusLength } : {}),
    ...(namedCurve !== undefined ? { namedCurve } : {}),
  };
}

const reason = (error: unknown): string =>
  error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
