import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * SigV4 verification: recompute the signature of the request as received (its raw headers, path,
 * query and body) with @smithy/signature-v4 — the signer the AWS SDKs use — and compare.
 * Both forms are accepted: the Authorization header and presigned query parameters.
 */
export type AuthFailure =
  'missing' | 'incomplete' | 'unknownKey' | 'badSignature' | 'expired' | 'notYetCurrent' | 'expiredToken';

export class AuthError extends Error {
  constructor(
    readonly failure: AuthFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query exactly as received on the request line. */
  readonly url: string;
  /** Header names lower-cased (as node:http gives them). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface SigningKey {
  readonly secretAccessKey: string;
  readonly principalArn: string;
  readonly sessionToken?: string;
  readonly expiresAt?: number;
}

export interface VerifiedSignature {
  readonly accessKeyId: string;
  readonly principalArn: string;
  readonly region: string;
  /** The service name in the credential scope (`ecs`, `sts`, `elasticloadbalancing`, …). */
  readonly service: string;
  readonly sessionToken?: string;
}

export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const sha256 = Hash.bind(null, 'sha256');

interface ParsedAuth {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly sessionToken: string | undefined;
  readonly presigned?: { readonly expiresIn: number };
}

export async function verifySignature(
  req: ReceivedRequest,
  lookup: (accessKeyId: string) => Promise<SigningKey | undefined>,
  now: number,
): Promise<VerifiedSignature> {
  const url = new URL(req.url, 'http://localhost');
  const auth = parseAuthorization(req, url);
  checkDate(auth, now);
  const key = await lookup(auth.accessKeyId);
  if (!key) throw new AuthError('unknownKey', 'The security token included in the request is invalid.');
  if (key.sessionToken !== undefined && key.sessionToken !== auth.sessionToken) {
    throw new AuthError('unknownKey', 'The security token included in the request is invalid.');
  }
  if (key.expiresAt !== undefined && key.expiresAt <= now) {
    throw new AuthError('expiredToken', 'The security token included in the request is expired.');
  }
  const expected = await computeSignature(req, url, auth, key.secretAccessKey);
  if (!sameSignature(expected, auth.signature)) {
    throw new AuthError(
      'badSignature',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return {
    accessKeyId: auth.accessKeyId,
    principalArn: key.principalArn,
    region: auth.region,
    service: auth.service,
    ...(auth.sessionToken !== undefined ? { sessionToken: auth.sessionToken } : {}),
  };
}

function header(req: ReceivedRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAuthorization(req: ReceivedRequest, url: URL): ParsedAuth {
  const authorization = header(req, 'authorization');
  const query = url.searchParams;
  if (authorization !== undefined) {
    const match =
      /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})\s*$/.exec(
        authorization,
      );
    if (!match) {
      if (!authorization.startsWith(ALGORITHM)) {
        throw new AuthError(
          'incomplete',
          `Authorization header requires the '${ALGORITHM}' algorithm (SigV4).`,
        );
      }
      throw new AuthError(
        'incomplete',
        "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
      );
    }
    const amzDate = header(req, 'x-amz-date');
    if (!amzDate) throw new AuthError('incomplete', "Authorization header requires an 'X-Amz-Date' header.");
    return {
      ...parseCredential(match[1] ?? ''),
      signedHeaders: (match[2] ?? '').split(';'),
      signature: match[3] ?? '',
      amzDate,
      sessionToken: header(req, 'x-amz-security-token'),
    };
  }
  if (query.has('X-Amz-Signature') || query.has('X-Amz-Credential')) {
    const get = (name: string): string => {
      const value = query.get(name);
      if (!value)
        throw new AuthError('incomplete', `A presigned request requires the '${name}' query parameter.`);
      return value;
    };
    if (get('X-Amz-Algorithm') !== ALGORITHM) {
      throw new AuthError('incomplete', `A presigned request requires X-Amz-Algorithm=${ALGORITHM}.`);
    }
    const expiresIn = Number(get('X-Amz-Expires'));
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800) {
      throw new AuthError(
        'incomplete',
        'X-Amz-Expires must be an integer number of seconds from 1 to 604800.',
      );
    }
    return {
      ...parseCredential(get('X-Amz-Credential')),
      signedHeaders: get('X-Amz-SignedHeaders').split(';'),
      signature: get('X-Amz-Signature'),
      amzDate: get('X-Amz-Date'),
      sessionToken: query.get('X-Amz-Security-Token') ?? undefined,
      presigned: { expiresIn },
    };
  }
  throw new AuthError('missing', 'Missing Authentication Token');
}

function parseCredential(
  credential: string,
): Pick<ParsedAuth, 'accessKeyId' | 'scopeDate' | 'region' | 'service'> {
  const parts = credential.split('/');
  const [accessKeyId, scopeDate, region, service, terminator] = parts;
  if (
    parts.length !== 5 ||
    !accessKeyId ||
    !scopeDate ||
    !region ||
    !service ||
    terminator !== 'aws4_request'
  ) {
    throw new AuthError(
      'incomplete',
      "Credential must have the form '<access key id>/<yyyymmdd>/<region>/<service>/aws4_request'.",
    );
  }
  return { accessKeyId, scopeDate, region, service };
}

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function checkDate(auth: ParsedAuth, now: number): void {
  const signedAt = parseAmzDate(auth.amzDate);
  if (signedAt === undefined) {
    throw new AuthError('incomplete', `X-Amz-Date '${auth.amzDate}' is not in the form yyyyMMddTHHmmssZ.`);
  }
  if (!auth.amzDate.startsWith(auth.scopeDate)) {
    throw new AuthError('badSignature', 'The credential scope date does not match X-Amz-Date.');
  }
  if (auth.presigned) {
    if (now > signedAt + auth.presigned.expiresIn * 1000) {
      throw new AuthError(
        'expired',
        `Request has expired: it was signed at ${auth.amzDate} for ${auth.presigned.expiresIn} seconds.`,
      );
    }
    if (signedAt - now > MAX_CLOCK_SKEW_MS) {
      throw new AuthError(
        'notYetCurrent',
        `Signature not yet current: ${auth.amzDate} is still later than ${formatAmzDate(now + MAX_CLOCK_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`,
      );
    }
    return;
  }
  if (now - signedAt > MAX_CLOCK_SKEW_MS) {
    throw new AuthError(
      'expired',
      `Signature expired: ${auth.amzDate} is now earlier than ${formatAmzDate(now - MAX_CLOCK_SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`,
    );
  }
  if (signedAt - now > MAX_CLOCK_SKEW_MS) {
    throw new AuthError(
      'notYetCurrent',
      `Signature not yet current: ${auth.amzDate} is still later than ${formatAmzDate(now + MAX_CLOCK_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`,
    );
  }
}

async function computeSignature(
  req: ReceivedRequest,
  url: URL,
  auth: ParsedAuth,
  secretAccessKey: string,
): Promise<string> {
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = header(req, name);
    if (value === undefined) {
      throw new AuthError(
        'badSignature',
        `The request lists '${name}' in SignedHeaders but does not carry that header.`,
      );
    }
    headers[name] = value;
  }
  const claimedHash = headers['x-amz-content-sha256'];
  if (claimedHash !== undefined && claimedHash !== bodyHash) {
    throw new AuthError(
      'badSignature',
      'The provided x-amz-content-sha256 header does not match what was computed.',
    );
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    // The presigner re-adds its own X-Amz-* parameters (and the session token from the credentials).
    if (auth.presigned && name.startsWith('X-Amz-')) continue;
    const existing = query[name];
    query[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const request = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: headers.host ?? '',
    path: safeDecode(url.pathname),
    query,
    headers,
    body: req.body,
  });
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: auth.accessKeyId,
      secretAccessKey,
      ...(auth.presigned && auth.sessionToken !== undefined ? { sessionToken: auth.sessionToken } : {}),
    },
    region: auth.region,
    service: auth.service,
    sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const signingDate = new Date(parseAmzDate(auth.amzDate) ?? 0);
  const signableHeaders = new Set(auth.signedHeaders);
  if (auth.presigned) {
    const presigned = await signer.presign(request, {
      signingDate,
      expiresIn: auth.presigned.expiresIn,
      signableHeaders,
      unhoistableHeaders: new Set(Object.keys(headers)),
    });
    const signature = presigned.query?.['X-Amz-Signature'];
    return typeof signature === 'string' ? signature : '';
  }
  const signed = await signer.sign(request, { signingDate, signableHeaders });
  const authorization = String(signed.headers.authorization ?? signed.headers.Authorization ?? '');
  return /Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? '';
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function sameSignature(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
