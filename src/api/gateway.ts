import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Fault } from '../core/fault.js';
import type { Caller } from '../control/context.js';
import { resolveError, type ErrorSpec } from './errors.js';
import { parseJsonBody, sendJson, sendJsonError } from './protocol/json.js';
import { parseQueryParams, sendQueryError, sendQueryResult } from './protocol/query.js';
import type { Authorizer, JsonService, QueryService, RequestContext } from './service.js';
import { AuthError, verifySignature, type AuthFailure, type SigningKey } from './sigv4.js';
import { validateInput } from './validate.js';

/**
 * The API gateway: one HTTP handler for every AWS-compatible service on the port.
 * decode → authenticate (SigV4) → route → authorize → validate → run → encode.
 * Any exception that is not a registered fault becomes a 500 InternalFailure and is logged;
 * nothing a client sends can crash the process.
 */
export interface GatewayDeps {
  readonly region: string;
  readonly jsonServices: readonly JsonService[];
  readonly queryServices: readonly QueryService[];
  readonly findKey: (accessKeyId: string) => Promise<SigningKey | undefined>;
  readonly authorizer: Authorizer;
  readonly now: () => number;
  readonly logger: Logger;
}

const GENERIC_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const MAX_BODY_BYTES = 1024 * 1024;

/** Auth failures as each protocol names them. */
const AUTH_CODES: Record<AuthFailure, { json: string; query: string }> = {
  missing: { json: 'MissingAuthenticationTokenException', query: 'MissingAuthenticationToken' },
  incomplete: { json: 'IncompleteSignatureException', query: 'IncompleteSignature' },
  unknownKey: { json: 'UnrecognizedClientException', query: 'InvalidClientTokenId' },
  badSignature: { json: 'InvalidSignatureException', query: 'SignatureDoesNotMatch' },
  expired: { json: 'InvalidSignatureException', query: 'SignatureDoesNotMatch' },
  notYetCurrent: { json: 'InvalidSignatureException', query: 'SignatureDoesNotMatch' },
  expiredToken: { json: 'ExpiredTokenException', query: 'ExpiredToken' },
};

type Route =
  | { protocol: 'json'; service: JsonService | undefined; operation: string; contentType: string }
  | { protocol: 'query'; service: QueryService | undefined; operation: string };

export function createGateway(deps: GatewayDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const findKey = recentKeys(deps.findKey);
  const byTarget = new Map(deps.jsonServices.map((s) => [s.targetPrefix, s]));
  const bySigningName = new Map(deps.queryServices.map((s) => [s.signingName, s]));

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const target = req.headers['x-amz-target'];
    let route: Route;
    if (typeof target === 'string') {
      const dot = target.lastIndexOf('.');
      const service = byTarget.get(target.slice(0, dot));
      route = {
        protocol: 'json',
        service,
        operation: target.slice(dot + 1),
        contentType: `application/x-amz-json-${service?.jsonVersion ?? '1.1'}`,
      };
    } else {
      route = { protocol: 'query', service: undefined, operation: '' };
    }
    try {
      const body = await readBody(req);
      const caller = await authenticate(req, body, route);
      if (route.protocol === 'json') await runJson(route, req, body, caller, res, requestId);
      else await runQuery(route, req, body, caller, res, requestId);
    } catch (error) {
      fail(res, route, requestId, error);
    }
  }

  async function authenticate(
    req: IncomingMessage,
    body: Buffer,
    route: Route,
  ): Promise<Caller & { service: string }> {
    try {
      const verified = await verifySignature(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
        findKey,
        deps.now(),
      );
      if (verified.region !== deps.region) {
        throw new AuthError(
          'badSignature',
          `Credential should be scoped to a valid region: this endpoint serves '${deps.region}', not '${verified.region}'.`,
        );
      }
      if (route.protocol === 'json' && route.service && verified.service !== route.service.signingName) {
        // A scope for another service fails signature verification on AWS (403 SignatureDoesNotMatch /
        // InvalidSignatureException), like a scope for another region or date.
        throw new AuthError(
          'badSignature',
          `Credential should be scoped to correct service: '${route.service.signingName}', not '${verified.service}'.`,
        );
      }
      return {
        principalArn: verified.principalArn,
        accessKeyId: verified.accessKeyId,
        service: verified.service,
      };
    } catch (error) {
      if (error instanceof AuthError) {
        throw new Fault(AUTH_CODES[error.failure][route.protocol], error.message);
      }
      throw error;
    }
  }

  async function runJson(
    route: Extract<Route, { protocol: 'json' }>,
    req: IncomingMessage,
    body: Buffer,
    caller: Caller,
    res: ServerResponse,
    requestId: string,
  ): Promise<void> {
    const operation = route.service?.operations[route.operation];
    if (!route.service || !operation) {
      throw new Fault('UnknownOperationException', `Unknown operation '${route.operation}'.`);
    }
    const ctx: RequestContext = { requestId, caller, region: deps.region, endpoint: endpointOf(req) };
    await deps.authorizer.authorize({
      caller,
      action: `${route.service.signingName}:${route.operation}`,
      resource: '*',
    });
    const input = validateInput(operation.input, parseJsonBody(body), route.service.enums);
    const output = (await operation.run(input, ctx)) ?? {};
    sendJson(res, 200, route.contentType, requestId, output);
  }

  async function runQuery(
    route: Extract<Route, { protocol: 'query' }>,
    req: IncomingMessage,
    body: Buffer,
    caller: Caller & { service: string },
    res: ServerResponse,
    requestId: string,
  ): Promise<void> {
    const service = bySigningName.get(caller.service);
    route.service = service; // errors from here on use the service's registry and namespace
    const params = parseQueryParams(req.url ?? '/', body);
    const action = params.get('Action');
    if (!service) throw new Fault('InvalidAction', `Berth does not serve the '${caller.service}' Query API.`);
    if (!action) throw new Fault('MissingAction', 'The request must contain the parameter Action.');
    const operation = service.operations[action];
    if (!operation)
      throw new Fault('InvalidAction', `The action ${action} is not valid for this web service.`);
    await deps.authorizer.authorize({ caller, action: `${service.signingName}:${action}`, resource: '*' });
    const result = await operation.run(params, {
      requestId,
      caller,
      region: deps.region,
      endpoint: endpointOf(req),
    });
    sendQueryResult(res, service.xmlNamespace, action, requestId, result);
  }

  function fail(res: ServerResponse, route: Route, requestId: string, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const errors: Readonly<Record<string, ErrorSpec>> = route.service?.errors ?? {};
    const resolved = resolveError(error, errors);
    if (resolved.internal !== undefined) {
      deps.logger.error({ err: resolved.internal, requestId, operation: route.operation }, 'internal error');
    }
    if (route.protocol === 'json') sendJsonError(res, route.contentType, requestId, resolved);
    else sendQueryError(res, route.service?.xmlNamespace ?? GENERIC_XML_NAMESPACE, requestId, resolved);
  }

  return (req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((error: unknown) => {
      deps.logger.error({ err: error, requestId }, 'request failed after the response started');
      res.destroy();
    });
  };
}

/** The URL the caller reached: the request's scheme and Host header (the socket's address without one). */
function endpointOf(req: IncomingMessage): string {
  const scheme = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  const host = req.headers.host ?? `${req.socket.localAddress ?? '127.0.0.1'}:${req.socket.localPort ?? ''}`;
  return `${scheme}://${host}`;
}

/**
 * How long a signing key, once found, is used without asking the store again. Keys are immutable
 * once stored (they are only ever inserted), so the cache changes nothing observable; an unknown
 * key is never cached, so a key inserted by another process works at once. Expiry of temporary
 * keys is still checked on every request (verifySignature compares `expiresAt` with `deps.now`).
 * Whatever later deletes or deactivates keys (IAM) must account for up to this much lag, or clear
 * the cache.
 */
export const KEY_CACHE_MS = 1000;
const KEY_CACHE_ENTRIES = 1024;

function recentKeys(
  find: (accessKeyId: string) => Promise<SigningKey | undefined>,
): (accessKeyId: string) => Promise<SigningKey | undefined> {
  const now = (): number => performance.now(); // monotonic: unaffected by an injected or stepped clock
  const cache = new Map<string, { readonly key: SigningKey; readonly until: number }>();
  return async (accessKeyId) => {
    const hit = cache.get(accessKeyId);
    if (hit && hit.until > now()) return hit.key;
    const key = await find(accessKeyId);
    if (key === undefined) {
      cache.delete(accessKeyId);
    } else {
      if (cache.size >= KEY_CACHE_ENTRIES) cache.clear();
      cache.set(accessKeyId, { key, until: now() + KEY_CACHE_MS });
    }
    return key;
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const tooLarge = (): Fault =>
  new Fault('RequestEntityTooLargeException', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
