import type { ServerResponse } from 'node:http';
import { Fault } from '../../core/fault.js';
import type { ResolvedError } from '../errors.js';

/** awsJson1.x: request bodies are JSON objects; timestamps go out as epoch seconds. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Fault('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Fault('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/**
 * The payload with every Date replaced by epoch seconds, copying only the objects on the way to a
 * Date. Cheaper than a JSON.stringify replacer, which takes stringify off its fast path.
 */
function withEpochSeconds(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    let copy: unknown[] | undefined;
    items.forEach((item, i) => {
      const encoded = withEpochSeconds(item);
      if (encoded !== item) (copy ??= [...items])[i] = encoded;
    });
    return copy ?? items;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const encoded = withEpochSeconds(item);
    if (encoded !== item) (copy ??= { ...value })[key] = encoded;
  }
  return copy ?? value;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  contentType: string,
  requestId: string,
  payload: object,
): void {
  const body = JSON.stringify(withEpochSeconds(payload));
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

export function sendJsonError(
  res: ServerResponse,
  contentType: string,
  requestId: string,
  error: ResolvedError,
): void {
  res.setHeader('x-amzn-errortype', error.code);
  sendJson(res, error.spec.status, contentType, requestId, { __type: error.code, message: error.message });
}
