import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Raw signed requests, for what the SDK will not send: malformed JSON, wrong types, unknown
 * operations, tampered signatures, presigned URLs. Signs exactly like the SDK (same signer).
 */
export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

export interface SignOptions {
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  readonly region: string;
  readonly service?: string;
  readonly signingDate?: Date;
}

export interface RawRequest {
  readonly target?: string;
  readonly body: string;
  readonly contentType?: string;
  /** Path, optionally with a query string. */
  readonly path?: string;
  readonly method?: string;
  /** Extra headers, signed with the rest. */
  readonly headers?: Readonly<Record<string, string>>;
}

function signer(options: SignOptions): SignatureV4 {
  return new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: options.service ?? 'ecs',
    sha256: Hash.bind(null, 'sha256'),
  });
}

/** The request as it would go on the wire, signed with `options` (or unsigned without). */
export async function signRequest(
  endpoint: string,
  request: RawRequest,
  options: SignOptions | undefined,
): Promise<HttpRequest> {
  const url = new URL(request.path ?? '/', endpoint);
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': request.contentType ?? 'application/x-amz-json-1.1',
    ...request.headers,
  };
  if (request.target) headers['x-amz-target'] = request.target;
  const httpRequest = new HttpRequest({
    method: request.method ?? 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body: request.body,
  });
  if (!options) return httpRequest;
  return (await signer(options).sign(
    httpRequest,
    options.signingDate ? { signingDate: options.signingDate } : {},
  )) as HttpRequest;
}

export async function signedRequest(
  endpoint: string,
  request: RawRequest,
  options: SignOptions | undefined,
): Promise<RawResponse> {
  return send(endpoint, await signRequest(endpoint, request, options));
}

/**
 * A presigned GET (SigV4 in the query string, as `aws s3 presign` and STS's "get caller identity"
 * URLs do): `query` holds the request's own parameters, the signer adds the X-Amz-* ones.
 */
export async function presignedRequest(
  endpoint: string,
  request: { path?: string; query: Readonly<Record<string, string>> },
  options: SignOptions & { expiresIn: number },
): Promise<HttpRequest> {
  const url = new URL(request.path ?? '/', endpoint);
  const unsigned = new HttpRequest({
    method: 'GET',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: { ...request.query },
    headers: { host: url.host },
  });
  return (await signer(options).presign(unsigned, {
    expiresIn: options.expiresIn,
    ...(options.signingDate ? { signingDate: options.signingDate } : {}),
  })) as HttpRequest;
}

/** The signature of a header-signed request (`Signature=<64 hex>` in its Authorization header). */
export function signatureOf(request: HttpRequest): string {
  const match = /Signature=([0-9a-f]{64})/.exec(request.headers.authorization ?? '');
  if (!match?.[1]) throw new Error('the request carries no SigV4 signature');
  return match[1];
}

/** Sends a request as given (a signed HttpRequest, or a copy of one changed after signing). */
export async function send(
  endpoint: string,
  request: Pick<HttpRequest, 'method' | 'path' | 'query' | 'headers' | 'body'>,
): Promise<RawResponse> {
  const url = new URL(request.path, endpoint);
  for (const [k, v] of Object.entries(request.query ?? {})) {
    for (const value of Array.isArray(v) ? v : [v]) if (value !== null) url.searchParams.append(k, value);
  }
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k !== 'host'));
  const response = await fetch(url, {
    method: request.method,
    headers,
    ...(request.method === 'GET' ? {} : { body: request.body as string }),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113';
