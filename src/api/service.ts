import type { Caller } from '../control/context.js';
import type { ErrorSpec } from './errors.js';
import type { EnumTable, SchemaRef } from './validate.js';

/** What every operation handler receives besides its input. */
export interface RequestContext {
  readonly requestId: string;
  readonly caller: Caller;
  readonly region: string;
  /** The URL the caller reached: scheme and the request's Host (`http://127.0.0.1:4566`). */
  readonly endpoint: string;
}

/** One operation: its input shape (an SDK schema), the IAM action it needs, and its handler. */
export interface Operation {
  readonly input: SchemaRef;
  // Inputs are validated against `input` before `run`; handlers declare the SDK type they expect.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly run: (input: any, ctx: RequestContext) => Promise<object | void>;
}

/** A service on the awsJson1.x protocol, routed by `X-Amz-Target: <targetPrefix>.<Operation>`. */
export interface JsonService {
  readonly protocol: 'json';
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
  /** The SigV4 service name (`ecs`) and the IAM action prefix. */
  readonly signingName: string;
  readonly errors: Readonly<Record<string, ErrorSpec>>;
  readonly enums: EnumTable;
  readonly operations: Readonly<Record<string, Operation>>;
}

/** A service on the awsQuery protocol, routed by the SigV4 service name and `Action`. */
export interface QueryService {
  readonly protocol: 'query';
  readonly signingName: string;
  readonly xmlNamespace: string;
  readonly errors: Readonly<Record<string, ErrorSpec>>;
  readonly operations: Readonly<Record<string, QueryOperation>>;
}

/** Query operations receive the flattened form parameters (`Tags.member.1.Key` …) as given. */
export interface QueryOperation {
  readonly run: (params: ReadonlyMap<string, string>, ctx: RequestContext) => Promise<object>;
}

/** Decides whether a caller may perform an action; throws an AccessDenied fault when not. */
export interface Authorizer {
  authorize(request: {
    readonly caller: Caller;
    readonly action: string;
    readonly resource: string;
  }): Promise<void>;
}
