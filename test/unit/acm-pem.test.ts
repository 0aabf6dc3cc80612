import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseImport } from '../../src/control/acm/pem.js';
import { alternativeNames, distinguishedName, keyAlgorithmOf, serialOf } from '../../src/core/acm/fields.js';
import { b64, issuedBy, scratch, selfSigned, type TestCertificate } from '../support/acm.js';

/**
 * ImportCertificate's parsing and checks on certificates openssl made: the fields ACM describes,
 * and each refusal a ValidationException that names the part that failed.
 */
const dir = scratch();
after(() => rmSync(dir, { recursive: true, force: true }));

const rsa = selfSigned(dir, 'rsa', {
  extensions: [
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth',
  ],
});
const ec = selfSigned(dir, 'ec', { ec: true });
const blobs = (c: TestCertificate, chain?: string) => ({
  Certificate: b64(c.certificatePem),
  PrivateKey: b64(c.keyPem),
  ...(chain !== undefined ? { CertificateChain: b64(chain) } : {}),
});

/** parseImport fails with a ValidationException whose message matches `pattern`. */
function refuses(input: Parameters<typeof parseImport>[0], pattern: RegExp, at = Date.now()): void {
  assert.throws(
    () => parseImport(input, at),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ValidationException');
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('parsing an imported certificate', () => {
  it('reads what DescribeCertificate shows of an RSA certificate', () => {
    const { details, material } = parseImport(blobs(rsa), Date.now());
    assert.equal(details.domainName, 'app.example.test');
    assert.deepEqual(details.subjectAlternativeNames, ['app.example.test', 'www.example.test']);
    assert.equal(details.subject, 'CN=app.example.test');
    assert.equal(details.issuer, 'app.example.test');
    assert.equal(details.keyAlgorithm, 'RSA_2048');
    assert.equal(details.signatureAlgorithm, 'SHA256WITHRSA');
    assert.deepEqual(details.keyUsages, ['DIGITAL_SIGNATURE', 'KEY_ENCIPHERMENT']);
    assert.deepEqual(details.extendedKeyUsages, [
      { name: 'TLS_WEB_SERVER_AUTHENTICATION', oid: '1.3.6.1.5.5.7.3.1' },
      { name: 'TLS_WEB_CLIENT_AUTHENTICATION', oid: '1.3.6.1.5.5.7.3.2' },
    ]);
    const serial = execFileSync(
      '/usr/bin/openssl',
      ['x509', '-noout', '-serial', '-in', rsa.certificatePath],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(details.serial.replaceAll(':', ''), serial.trim().replace('serial=', '').toLowerCase());
    assert.ok(details.notBefore <= Date.now() && Date.now() < details.notAfter);
    assert.ok(details.notAfter - details.notBefore >= 2 * 24 * 3600_000 - 1000);
    assert.deepEqual(material, { certificatePem: rsa.certificatePem, privateKeyPem: rsa.keyPem });
  });

  it('reads an EC P-256 certificate, which has no key usages', () => {
    const { details } = parseImport(blobs(ec), Date.now());
    assert.equal(details.keyAlgorithm, 'EC_prime256v1');
    assert.equal(details.signatureAlgorithm, 'SHA256WITHECDSA');
    assert.deepEqual(details.keyUsages, []);
    assert.deepEqual(details.extendedKeyUsages, []);
  });

  it('accepts a chain that issued the certificate and keeps it', () => {
    const ca = selfSigned(dir, 'ca', { cn: 'Unit CA', sans: ['ca.example.test'] });
    const leaf = issuedBy(dir, 'leaf', ca, 'leaf.example.test');
    const { details, material } = parseImport(blobs(leaf, ca.certificatePem), Date.now());
    assert.equal(details.subject, 'CN=leaf.example.test,O=Leaf Org');
    assert.equal(details.issuer, 'Unit CA');
    assert.deepEqual(details.subjectAlternativeNames, ['leaf.example.test']);
    assert.equal(material.chainPem, ca.certificatePem);
    refuses(blobs(leaf, ec.certificatePem), /chain does not hold the certificate that issued/);
  });

  it('refuses a key that does not match the certificate', () => {
    refuses({ ...blobs(rsa), PrivateKey: b64(ec.keyPem) }, /private key does not match/);
    refuses(
      { ...blobs(rsa), PrivateKey: b64(selfSigned(dir, 'other').keyPem) },
      /private key does not match/,
    );
  });

  it('refuses garbage, DER, two certificates at once and encrypted keys, naming the part', () => {
    refuses({ ...blobs(rsa), Certificate: b64('hello') }, /certificate is not a PEM-encoded X\.509/);
    refuses(
      { ...blobs(rsa), Certificate: b64('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----') },
      /certificate could not be parsed/,
    );
    const derBytes = Buffer.from(rsa.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    refuses({ ...blobs(rsa), Certificate: derBytes.toString('base64') }, /not a PEM-encoded/);
    refuses(
      { ...blobs(rsa), Certificate: b64(rsa.certificatePem + ec.certificatePem) },
      /exactly one certificate/,
    );
    refuses(
      { ...blobs(rsa), PrivateKey: b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----') },
      /private key could not be parsed/,
    );
    const encrypted = execFileSync(
      '/usr/bin/openssl',
      ['pkey', '-in', rsa.keyPath, '-aes256', '-passout', 'pass:secret'],
      { encoding: 'utf8' },
    );
    refuses({ ...blobs(rsa), PrivateKey: b64(encrypted) }, /private key is encrypted/);
    refuses({ ...blobs(rsa), CertificateChain: b64('junk') }, /chain is not PEM-encoded/);
    refuses({ ...blobs(rsa), PrivateKey: b64('x'.repeat(5121)) }, /PrivateKey is larger than 5120 bytes/);
  });

  it('refuses a certificate outside its validity period', () => {
    const { details } = parseImport(blobs(rsa), Date.now());
    refuses(blobs(rsa), /expired/, details.notAfter + 1);
    refuses(blobs(rsa), /not valid before/, details.notBefore - 1);
  });

  it('refuses key algorithms ACM does not import', () => {
    const path = join(dir, 'ed.key');
    execFileSync('/usr/bin/openssl', ['genpkey', '-algorithm', 'ed25519', '-out', path]);
    const crt = join(dir, 'ed.crt');
    execFileSync('/usr/bin/openssl', [
      'req',
      '-x509',
      '-key',
      path,
      '-out',
      crt,
      '-subj',
      '/CN=ed.example.test',
      '-days',
      '2',
    ]);
    refuses(
      { Certificate: b64(readFileSync(crt, 'utf8')), PrivateKey: b64(readFileSync(path, 'utf8')) },
      /key algorithm \(ed25519\) is not supported/,
    );
    assert.throws(() => keyAlgorithmOf({ type: 'rsa', modulusLength: 1536 }), /RSA 1536-bit/);
  });
});

describe('ACM field formats', () => {
  it('prints serials as colon-separated lowercase byte pairs', () => {
    assert.equal(serialOf('A0B'), '0a:0b');
    assert.equal(serialOf('01FF'), '01:ff');
  });

  it('writes distinguished names most specific first, and reads quoted alternative names', () => {
    assert.equal(distinguishedName('C=US\nO=Example\nCN=a.example'), 'CN=a.example,O=Example,C=US');
    assert.deepEqual(alternativeNames('DNS:a.example, IP Address:10.0.0.1, DNS:"b, c.example"'), [
      'a.example',
      '10.0.0.1',
      'b, c.example',
    ]);
    assert.deepEqual(alternativeNames(undefined), []);
  });
});
