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

function encodeDates(this: unknown, key: string, value: unknown): unknown {
  // JSON.stringify has already called Date#toJSON; the holder still has the Date itself.
  const raw = (this as Record<string, unknown>)[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  contentType: string,
  requestId: string,
  payload: object,
): void {
  const body = JSON.stringify(payload, encodeDates);
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
