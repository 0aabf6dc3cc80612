import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Raw signed requests, for what the SDK will not send: malformed JSON, wrong types, unknown
 * operations, tampered signatures. Signs exactly like the SDK (same signer).
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

export async function signedRequest(
  endpoint: string,
  request: { target?: string; body: string; contentType?: string; path?: string; method?: string },
  options: SignOptions | undefined,
): Promise<RawResponse> {
  const url = new URL(request.path ?? '/', endpoint);
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': request.contentType ?? 'application/x-amz-json-1.1',
  };
  if (request.target) headers['x-amz-target'] = request.target;
  let httpRequest = new HttpRequest({
    method: request.method ?? 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body: request.body,
  });
  if (options) {
    const signer = new SignatureV4({
      credentials: options.credentials,
      region: options.region,
      service: options.service ?? 'ecs',
      sha256: Hash.bind(null, 'sha256'),
    });
    httpRequest = (await signer.sign(httpRequest, options.signingDate ? { signingDate: options.signingDate } : {})) as HttpRequest;
  }
  return send(endpoint, httpRequest);
}

export async function send(endpoint: string, request: HttpRequest): Promise<RawResponse> {
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
