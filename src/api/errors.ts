import { Fault } from '../core/fault.js';

/**
 * The error registry: every error code the API may answer with, and its HTTP status. A fault whose
 * code is not registered for the service (or any other exception) is a bug: the client gets a 500
 * `InternalFailure` with no internals, and the cause goes to the log.
 */
export interface ErrorSpec {
  readonly status: number;
  /** Query protocol: who is at fault. */
  readonly type: 'Sender' | 'Receiver';
}

const sender = (status = 400): ErrorSpec => ({ status, type: 'Sender' });

/** Errors any AWS JSON or Query service returns, before a request reaches an operation. */
export const COMMON_ERRORS: Readonly<Record<string, ErrorSpec>> = {
  SerializationException: sender(),
  UnknownOperationException: sender(),
  InvalidAction: sender(),
  MissingAction: sender(),
  MissingAuthenticationTokenException: sender(403),
  MissingAuthenticationToken: sender(403),
  IncompleteSignatureException: sender(403),
  IncompleteSignature: sender(403),
  InvalidSignatureException: sender(403),
  SignatureDoesNotMatch: sender(403),
  UnrecognizedClientException: sender(403),
  InvalidClientTokenId: sender(403),
  ExpiredTokenException: sender(403),
  ExpiredToken: sender(403),
  AccessDeniedException: sender(400),
  AccessDenied: sender(403),
  RequestEntityTooLargeException: sender(413),
  ValidationException: sender(),
  ValidationError: sender(),
  InternalFailure: { status: 500, type: 'Receiver' },
};

export interface ResolvedError {
  readonly code: string;
  readonly message: string;
  readonly spec: ErrorSpec;
  /** The original exception when it was not a registered fault: log it, never show it. */
  readonly internal?: unknown;
}

export function resolveError(
  error: unknown,
  serviceErrors: Readonly<Record<string, ErrorSpec>>,
): ResolvedError {
  if (error instanceof Fault) {
    const spec = serviceErrors[error.code] ?? COMMON_ERRORS[error.code];
    if (spec) return { code: error.code, message: error.message, spec };
  }
  return {
    code: 'InternalFailure',
    message: 'The request processing has failed because of an unknown error.',
    spec: COMMON_ERRORS.InternalFailure ?? { status: 500, type: 'Receiver' },
    internal: error,
  };
}
