/** ARNs in the long format ECS uses: arn:aws:<service>:<region>:<account>:<resource>. */
export interface Scope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

export function arn(scope: Scope, service: string, resource: string, region = scope.region): string {
  return `arn:${scope.partition}:${service}:${region}:${scope.accountId}:${resource}`;
}

export interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly accountId: string;
  readonly resource: string;
}

export function parseArn(value: string): ParsedArn | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', accountId = ''] = parts;
  if (!partition || !service) return undefined;
  return { partition, service, region, accountId, resource: parts.slice(5).join(':') };
}

export const isArn = (value: string): boolean => value.startsWith('arn:');
