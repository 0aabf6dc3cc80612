import { Fault } from '../core/fault.js';
import type { Authorizer } from './service.js';

/**
 * The authorization hook every operation passes through. Until IAM policies land, the only
 * principals with keys are administrators, and administrators may do everything; anyone else is
 * denied. The IAM issue replaces this with policy evaluation over (caller, action, resource).
 */
export function administratorsOnly(isAdministrator: (principalArn: string) => boolean): Authorizer {
  return {
    authorize({ caller, action }) {
      if (isAdministrator(caller.principalArn)) return Promise.resolve();
      return Promise.reject(
        new Fault(
          'AccessDeniedException',
          `User: ${caller.principalArn} is not authorized to perform: ${action}`,
        ),
      );
    },
  };
}
