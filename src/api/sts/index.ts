import { parseArn } from '../../core/arn.js';
import type { QueryService } from '../service.js';

/**
 * STS on the awsQuery protocol. GetCallerIdentity answers "who am I?" for the credentials a client
 * signs with (`aws sts get-caller-identity`): the first Query operation, ready for roles later.
 */
export function stsService(): QueryService {
  return {
    protocol: 'query',
    signingName: 'sts',
    xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
    errors: {},
    operations: {
      GetCallerIdentity: {
        run: (_params, ctx) =>
          Promise.resolve({
            UserId: ctx.caller.accessKeyId,
            Account: parseArn(ctx.caller.principalArn)?.accountId ?? '',
            Arn: ctx.caller.principalArn,
          }),
      },
    },
  };
}
