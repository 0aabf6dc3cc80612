import { validation } from './faults.js';
import type { CertificateDetails, KeyAlgorithm } from './types.js';

/**
 * How ACM names what a certificate holds: key algorithms, signature algorithms, key usages,
 * serials, distinguished names and domain names. Input is what node:crypto and der.ts read.
 */

/** `rsa`/`ec` with the modulus length or curve; other key types are not importable into ACM. */
export function keyAlgorithmOf(key: {
  readonly type: string | undefined;
  readonly modulusLength?: number;
  readonly namedCurve?: string;
}): KeyAlgorithm {
  if (key.type === 'rsa' && [1024, 2048, 3072, 4096].includes(key.modulusLength ?? 0)) {
    return `RSA_${key.modulusLength}` as KeyAlgorithm;
  }
  if (key.type === 'ec') {
    if (key.namedCurve === 'prime256v1') return 'EC_prime256v1';
    if (key.namedCurve === 'secp384r1') return 'EC_secp384r1';
    if (key.namedCurve === 'secp521r1') return 'EC_secp521r1';
  }
  const shown =
    key.type === 'rsa' ? `RSA ${key.modulusLength ?? '?'}-bit` : (key.namedCurve ?? key.type ?? '?');
  throw validation(
    `The certificate's key algorithm (${shown}) is not supported: use RSA 1024/2048/3072/4096 or EC P-256/P-384/P-521.`,
  );
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'MD5WITHRSA',
  '1.2.840.113549.1.1.5': 'SHA1WITHRSA',
  '1.2.840.113549.1.1.10': 'RSASSA_PSS',
  '1.2.840.113549.1.1.11': 'SHA256WITHRSA',
  '1.2.840.113549.1.1.12': 'SHA384WITHRSA',
  '1.2.840.113549.1.1.13': 'SHA512WITHRSA',
  '1.2.840.10045.4.1': 'SHA1WITHECDSA',
  '1.2.840.10045.4.3.2': 'SHA256WITHECDSA',
  '1.2.840.10045.4.3.3': 'SHA384WITHECDSA',
  '1.2.840.10045.4.3.4': 'SHA512WITHECDSA',
};

export const signatureAlgorithmName = (oid: string | undefined): string =>
  oid === undefined ? 'UNKNOWN' : (SIGNATURE_ALGORITHMS[oid] ?? oid);

/** Key Usage bits in RFC 5280 order. */
const KEY_USAGES = [
  'DIGITAL_SIGNATURE',
  'NON_REPUDIATION',
  'KEY_ENCIPHERMENT',
  'DATA_ENCIPHERMENT',
  'KEY_AGREEMENT',
  'CERTIFICATE_SIGNING',
  'CRL_SIGNING',
  'ENCIPHER_ONLY',
  'DECIPHER_ONLY',
];

export const keyUsageNames = (bits: readonly number[] | undefined): string[] =>
  (bits ?? []).map((bit) => KEY_USAGES[bit] ?? 'CUSTOM');

const EXTENDED_KEY_USAGES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'TLS_WEB_SERVER_AUTHENTICATION',
  '1.3.6.1.5.5.7.3.2': 'TLS_WEB_CLIENT_AUTHENTICATION',
  '1.3.6.1.5.5.7.3.3': 'CODE_SIGNING',
  '1.3.6.1.5.5.7.3.4': 'EMAIL_PROTECTION',
  '1.3.6.1.5.5.7.3.5': 'IPSEC_END_SYSTEM',
  '1.3.6.1.5.5.7.3.6': 'IPSEC_TUNNEL',
  '1.3.6.1.5.5.7.3.7': 'IPSEC_USER',
  '1.3.6.1.5.5.7.3.8': 'TIME_STAMPING',
  '1.3.6.1.5.5.7.3.9': 'OCSP_SIGNING',
  '2.5.29.37.0': 'ANY',
};

export const extendedKeyUsages = (
  oids: readonly string[] | undefined,
): { readonly name: string; readonly oid: string }[] =>
  (oids ?? []).map((oid) => ({ name: EXTENDED_KEY_USAGES[oid] ?? 'CUSTOM', oid }));

/** node:crypto's hex serial (upper case, maybe odd length) as ACM prints it: `0a:1b:…`. */
export function serialOf(hex: string): string {
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  return (even.toLowerCase().match(/../g) ?? []).join(':');
}

/** node:crypto's DN (one `K=V` per line, root-most first) as one RFC 2253 line, most specific first. */
export function distinguishedName(lines: string): string {
  return lines
    .split('\n')
    .filter((l) => l !== '')
    .reverse()
    .join(',');
}

/** One attribute of a node:crypto DN (`CN`, `O`, …); the last one when repeated. */
export function attribute(lines: string, name: string): string | undefined {
  const prefix = `${name}=`;
  const found = lines.split('\n').filter((l) => l.startsWith(prefix));
  return found.length > 0 ? found[found.length - 1]?.slice(prefix.length) : undefined;
}

/**
 * The DNS names and IP addresses of node:crypto's `subjectAltName` (`DNS:a, DNS:b, IP Address:…`;
 * values with separators in them come JSON-quoted).
 */
export function alternativeNames(subjectAltName: string | undefined): string[] {
  const names: string[] = [];
  for (const match of (subjectAltName ?? '').matchAll(
    /(?:^|, )(DNS|IP Address):("(?:[^"\\]|\\.)*"|[^,]*)/g,
  )) {
    const raw = match[2] ?? '';
    names.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return names;
}

/** The certificate's domain: its CN, else its first alternative name. ACM needs one. */
export function domainOf(commonName: string | undefined, alternatives: readonly string[]): string {
  const domain = commonName ?? alternatives[0];
  if (domain === undefined || domain === '') {
    throw validation('The certificate names no domain: it needs a subject CN or a subjectAltName.');
  }
  return domain;
}

/**
 * What a re-import into the same ARN may change, as ACM allows it: names and dates, not the key
 * type and size; key usages and extended key usages may be added, never removed.
 */
export function checkReimport(current: CertificateDetails, next: CertificateDetails): void {
  if (next.keyAlgorithm !== current.keyAlgorithm) {
    throw validation(
      `A re-imported certificate must keep the key algorithm ${current.keyAlgorithm} (the new one is ${next.keyAlgorithm}); import it as a new certificate instead.`,
    );
  }
  const lostUsage = current.keyUsages.find((u) => !next.keyUsages.includes(u));
  const lostExtended = current.extendedKeyUsages.find(
    (u) => !next.extendedKeyUsages.some((n) => n.oid === u.oid),
  );
  const lost = lostUsage ?? lostExtended?.name;
  if (lost !== undefined) {
    throw validation(`A re-imported certificate cannot drop the key usage ${lost} that the current one has.`);
  }
}
