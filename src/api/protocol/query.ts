import type { ServerResponse } from 'node:http';
import { XMLBuilder } from 'fast-xml-parser';
import type { ResolvedError } from '../errors.js';

/** awsQuery: form-encoded `Action`/`Version` + parameters in, XML out. */
export function parseQueryParams(url: string, body: Buffer): Map<string, string> {
  const params = new Map<string, string>();
  const fromUrl = new URL(url, 'http://localhost').searchParams;
  for (const [k, v] of fromUrl) if (!k.startsWith('X-Amz-')) params.set(k, v);
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
  return params;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
});

function xmlValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return { member: value.map(xmlValue) };
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, xmlValue(v)]),
    );
  }
  return value;
}

export function sendQueryResult(
  res: ServerResponse,
  namespace: string,
  action: string,
  requestId: string,
  result: object,
): void {
  const body = builder.build({
    [`${action}Response`]: {
      '@_xmlns': namespace,
      [`${action}Result`]: xmlValue(result),
      ResponseMetadata: { RequestId: requestId },
    },
  });
  res.writeHead(200, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

export function sendQueryError(
  res: ServerResponse,
  namespace: string,
  requestId: string,
  error: ResolvedError,
): void {
  const body = builder.build({
    ErrorResponse: {
      '@_xmlns': namespace,
      Error: { Type: error.spec.type, Code: error.code, Message: error.message },
      RequestId: requestId,
    },
  });
  res.writeHead(error.spec.status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}
