import { acmFault } from './faults.js';
import type { AcmTag } from './types.js';

/**
 * ACM's tag rules: keys 1–128 and values 0–256 characters of letters, digits, spaces and
 * `_ . : / = + - @`, no `aws:` prefix, at most 50 per certificate. A tag without a value is stored
 * with the empty value (the shared tag table has no null values) and listed with `Value: ""`.
 */
export const MAX_TAGS = 50;
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function checkTags(tags: readonly AcmTag[]): void {
  for (const { Key: key, Value: value = '' } of tags) {
    if (
      key.length < 1 ||
      key.length > 128 ||
      value.length > 256 ||
      !ALLOWED.test(key) ||
      !ALLOWED.test(value)
    ) {
      throw acmFault(
        'InvalidTagException',
        `Tag '${key}' is not valid: keys are 1–128 and values 0–256 letters, digits, spaces or _ . : / = + - @.`,
      );
    }
    if (key.toLowerCase().startsWith('aws:') || value.toLowerCase().startsWith('aws:')) {
      throw acmFault('InvalidTagException', `Tag '${key}' is not valid: the aws: prefix is reserved.`);
    }
  }
}

/** The current tags with `added` set over them (the last value of a key given twice wins). */
export function addTags(
  current: readonly AcmTag[],
  added: readonly AcmTag[],
): { readonly Key: string; readonly Value: string }[] {
  const merged = new Map(current.map((t) => [t.Key, t.Value ?? '']));
  for (const t of added) merged.set(t.Key, t.Value ?? '');
  if (merged.size > MAX_TAGS) {
    throw acmFault('TooManyTagsException', `A certificate can have at most ${MAX_TAGS} tags.`);
  }
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

/** Removes each named key; a tag given with a value is removed only when the value matches. */
export function removeTags(current: readonly AcmTag[], removed: readonly AcmTag[]): AcmTag[] {
  return current.filter(
    (t) => !removed.some((r) => r.Key === t.Key && (r.Value === undefined || r.Value === (t.Value ?? ''))),
  );
}
