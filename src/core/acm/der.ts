/**
 * Just enough DER to read what node:crypto's X509Certificate does not expose (on Node 20): the
 * signature algorithm, and the Key Usage and Extended Key Usage extensions. Walks the structure
 * of RFC 5280's Certificate; any surprise answers "not found" rather than a guess.
 */
interface Tlv {
  readonly tag: number;
  /** Offset of the contents, and their end. */
  readonly start: number;
  readonly end: number;
}

const SEQUENCE = 0x30;
const OID = 0x06;
const BOOLEAN = 0x01;
const OCTET_STRING = 0x04;
const BIT_STRING = 0x03;
const EXTENSIONS = 0xa3; // [3] EXPLICIT in TBSCertificate

function read(der: Uint8Array, at: number, limit: number): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at] ?? 0;
  let length = der[at + 1] ?? 0;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] ?? 0);
    start += bytes;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

/** The elements inside a constructed value. */
function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const child = read(der, at, parent.end);
    if (!child) return [];
    out.push(child);
    at = child.end;
  }
  return out;
}

function oid(der: Uint8Array, value: Tlv): string {
  const parts: number[] = [];
  let n = 0;
  for (let i = value.start; i < value.end; i++) {
    const byte = der[i] ?? 0;
    n = n * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      // The first subidentifier packs the first two arcs: 40 * first + second (first ≤ 2).
      if (parts.length === 0) {
        const first = n < 80 ? Math.floor(n / 40) : 2;
        parts.push(first, n - 40 * first);
      } else {
        parts.push(n);
      }
      n = 0;
    }
  }
  return parts.join('.');
}

export interface CertificateExtras {
  /** The OID of the algorithm the issuer signed with. */
  readonly signatureAlgorithm?: string;
  /** Key Usage bits set, by position (0 digitalSignature … 8 decipherOnly); absent without the extension. */
  readonly keyUsageBits?: readonly number[];
  /** Extended Key Usage OIDs; absent without the extension. */
  readonly extendedKeyUsage?: readonly string[];
}

export function certificateExtras(der: Uint8Array): CertificateExtras {
  const certificate = read(der, 0, der.length);
  if (certificate?.tag !== SEQUENCE) return {};
  const [tbs, algorithm] = children(der, certificate);
  const algorithmId = algorithm?.tag === SEQUENCE ? children(der, algorithm)[0] : undefined;
  const extras: { -readonly [K in keyof CertificateExtras]: CertificateExtras[K] } = {};
  if (algorithmId?.tag === OID) extras.signatureAlgorithm = oid(der, algorithmId);
  const wrapper = tbs?.tag === SEQUENCE ? children(der, tbs).find((t) => t.tag === EXTENSIONS) : undefined;
  const list = wrapper && children(der, wrapper)[0];
  for (const extension of list?.tag === SEQUENCE ? children(der, list) : []) {
    const parts = children(der, extension);
    const id = parts[0]?.tag === OID ? oid(der, parts[0]) : '';
    // extnID, an optional `critical` BOOLEAN, extnValue (an OCTET STRING holding the value's DER).
    const value = parts[parts.length - 1];
    const shaped = parts.length === 2 || (parts.length === 3 && parts[1]?.tag === BOOLEAN);
    if (!shaped || value?.tag !== OCTET_STRING) continue;
    const inner = read(der, value.start, value.end);
    if (!inner) continue;
    if (id === '2.5.29.15' && inner.tag === BIT_STRING) extras.keyUsageBits = bitsSet(der, inner);
    if (id === '2.5.29.37' && inner.tag === SEQUENCE) {
      extras.extendedKeyUsage = children(der, inner)
        .filter((t) => t.tag === OID)
        .map((t) => oid(der, t));
    }
  }
  return extras;
}

function bitsSet(der: Uint8Array, bits: Tlv): number[] {
  const set: number[] = [];
  const unused = der[bits.start] ?? 0;
  const bytes = bits.end - bits.start - 1;
  for (let i = 0; i < bytes * 8 - unused; i++) {
    const byte = der[bits.start + 1 + Math.floor(i / 8)] ?? 0;
    if (byte & (0x80 >> (i % 8))) set.push(i);
  }
  return set;
}
