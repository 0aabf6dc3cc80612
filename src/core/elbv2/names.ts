import { elbFault, validationError } from './faults.js';

/**
 * Names of load balancers and target groups: 1–32 alphanumerics and hyphens, not starting or ending
 * with a hyphen; a load balancer's may not start with `internal-` (ELB puts that in front of an
 * internal load balancer's DNS name).
 */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

export function checkLoadBalancerName(name: string): void {
  checkName(name, 'Load balancer');
  if (name.startsWith('internal-')) {
    throw validationError(`Load balancer name '${name}' cannot begin with 'internal-'`);
  }
}

export function checkTargetGroupName(name: string): void {
  checkName(name, 'Target group');
}

function checkName(name: string, what: string): void {
  if (name.length > 32) {
    throw validationError(`${what} name '${name}' cannot be longer than '32' characters`);
  }
  if (name.startsWith('-') || name.endsWith('-')) {
    throw validationError(`${what} name '${name}' cannot begin or end with '-'`);
  }
  if (!NAME.test(name)) {
    throw validationError(
      `${what} name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`,
    );
  }
}

export function checkPort(port: number, what = 'port'): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw validationError(`The value of '${what}' must be between 1 and 65535`);
  }
}

/** A whole number in [lo, hi], or a ValidationError naming the parameter. */
export function checkRange(value: number, lo: number, hi: number, what: string): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw validationError(`${what} must be between ${lo} and ${hi}`);
  }
}

/** Tags: 1–128 character keys not starting with `aws:`, values up to 256; at most 50 per resource. */
export const MAX_TAGS = 50;

export function checkTags(tags: readonly { readonly Key: string; readonly Value?: string }[]): void {
  const seen = new Set<string>();
  for (const { Key, Value } of tags) {
    if (Key.length < 1 || Key.length > 128)
      throw validationError('Tag keys must be 1 to 128 characters long');
    if (Key.startsWith('aws:')) throw validationError(`Tag key '${Key}' cannot start with 'aws:'`);
    if ((Value ?? '').length > 256) throw validationError('Tag values cannot be longer than 256 characters');
    if (seen.has(Key)) {
      throw elbFault('DuplicateTagKeys', `Tag key '${Key}' is specified more than once`);
    }
    seen.add(Key);
  }
}
