import type { AcmErrorCode } from '../../core/acm/faults.js';
import type { ErrorSpec } from '../errors.js';

const client: ErrorSpec = { status: 400, type: 'Sender' };

/**
 * ACM's errors and their HTTP statuses (all 400 in the model). Keyed by the codes core/acm may
 * throw, plus InvalidParameterException, which api/validate.ts answers for a missing member or a
 * value outside an enum.
 */
export const ACM_ERRORS: Readonly<Record<AcmErrorCode | 'InvalidParameterException', ErrorSpec>> = {
  ValidationException: client,
  InvalidArnException: client,
  InvalidArgsException: client,
  InvalidParameterException: client,
  InvalidTagException: client,
  ResourceNotFoundException: client,
  ResourceInUseException: client,
  TooManyTagsException: client,
  ConflictException: client,
};
