import { randomBytes } from 'node:crypto';
import { elbFault } from '../../core/elbv2/faults.js';
import { checkTags } from '../../core/elbv2/names.js';
import type { Tag } from '../../core/elbv2/inputs.js';
import type { Repositories } from '../../store/index.js';

/** What every ELBv2 operation group shares: ids, tags written with a resource, conflict words. */

/** 16 lowercase hex digits, ELB's id format. */
export const newId = (): string => randomBytes(8).toString('hex');

/** A versioned write lost to another request every time it was retried. */
export const busy = (): ReturnType<typeof elbFault> =>
  elbFault(
    'PriorRequestNotComplete',
    'This operation is not allowed while a prior request has not been completed. Try again.',
  );

/** Tags given on Create*: checked before anything is written, stored in the creating transaction. */
export function checkedTags(tags: readonly Tag[] | undefined): readonly Tag[] {
  const given = tags ?? [];
  checkTags(given);
  if (given.length > 50) throw elbFault('TooManyTags', 'A resource can have at most 50 tags');
  return given;
}

export async function writeTags(repos: Repositories, arn: string, tags: readonly Tag[]): Promise<void> {
  if (tags.length === 0) return;
  await repos.tags.replace(
    arn,
    tags.map((t) => ({ key: t.Key, value: t.Value ?? '' })),
  );
}

/** Removes the tags of resources that are gone. */
export async function dropTags(repos: Repositories, arns: readonly string[]): Promise<void> {
  for (const arn of arns) await repos.tags.replace(arn, []);
}
