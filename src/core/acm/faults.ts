import { Fault } from '../fault.js';

/** ACM's error codes (the API model's error shapes) that Berth answers. */
export type AcmErrorCode =
  | 'ValidationException'
  | 'InvalidArnException'
  | 'InvalidArgsException'
  | 'InvalidTagException'
  | 'ResourceNotFoundException'
  | 'ResourceInUseException'
  | 'TooManyTagsException'
  | 'ConflictException';

export const acmFault = (code: AcmErrorCode, message: string): Fault => new Fault(code, message);

export const validation = (message: string): Fault => acmFault('ValidationException', message);

export const notFound = (arn: string): Fault =>
  acmFault('ResourceNotFoundException', `Could not find certificate ${arn}.`);
