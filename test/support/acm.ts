import { ACMClient } from '@aws-sdk/client-acm';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './server.js';

/** Certificates made with openssl for the ACM tests, and an ACM client for a test server. */

export interface TestCertificate {
  readonly certificatePath: string;
  readonly keyPath: string;
  readonly certificatePem: string;
  readonly keyPem: string;
}

const OPENSSL = '/usr/bin/openssl';

export const scratch = (): string => mkdtempSync(join(tmpdir(), 'berth-acm-'));

/**
 * A self-signed certificate for `cn` with `sans` as DNS names, valid for `days` days: RSA 2048 by
 * default, EC P-256 with `ec`; `extensions` are further `-addext` values (keyUsage=…).
 */
export function selfSigned(
  dir: string,
  name: string,
  options: {
    cn?: string;
    sans?: readonly string[];
    ec?: boolean;
    days?: number;
    extensions?: readonly string[];
  } = {},
): TestCertificate {
  const cn = options.cn ?? 'app.example.test';
  const sans = options.sans ?? ['app.example.test', 'www.example.test'];
  const certificatePath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  execFileSync(
    OPENSSL,
    [
      'req',
      '-x509',
      ...(options.ec
        ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']
        : ['-newkey', 'rsa:2048']),
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certificatePath,
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`,
      ...(options.extensions ?? []).flatMap((e) => ['-addext', e]),
      '-days',
      String(options.days ?? 2),
    ],
    { stdio: 'pipe' },
  );
  return read(certificatePath, keyPath);
}

/** A leaf for `cn` signed by `ca` (a certificate made by selfSigned), with its own RSA key. */
export function issuedBy(dir: string, name: string, ca: TestCertificate, cn: string): TestCertificate {
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  const certificatePath = join(dir, `${name}.crt`);
  execFileSync(
    OPENSSL,
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      csrPath,
      '-subj',
      `/O=Leaf Org/CN=${cn}`,
    ],
    { stdio: 'pipe' },
  );
  execFileSync(
    OPENSSL,
    [
      'x509',
      '-req',
      '-in',
      csrPath,
      '-CA',
      ca.certificatePath,
      '-CAkey',
      ca.keyPath,
      '-CAcreateserial',
      '-out',
      certificatePath,
      '-days',
      '2',
    ],
    { stdio: 'pipe' },
  );
  return read(certificatePath, keyPath);
}

function read(certificatePath: string, keyPath: string): TestCertificate {
  return {
    certificatePath,
    keyPath,
    certificatePem: readFileSync(certificatePath, 'utf8'),
    keyPem: readFileSync(keyPath, 'utf8'),
  };
}

/** Base64, as ImportCertificate's blobs travel on the JSON wire. */
export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function acmClient(berth: TestServer): ACMClient {
  return new ACMClient({
    endpoint: berth.endpoint,
    region: berth.region,
    credentials: berth.credentials,
    maxAttempts: 1,
  });
}
