import type { Tag } from '@aws-sdk/client-ecs';
import { invalidParameter } from '../fault.js';

/** ECS tag rules: at most 50 per resource, keys 1–128 and values 0–256 characters, `aws:` reserved. */
export const MAX_TAGS = 50;
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export interface ResourceTag {
  readonly key: string;
  readonly value: string;
}

export function validateTags(tags: readonly Tag[] | undefined): ResourceTag[] {
  if (!tags) return [];
  const seen = new Set<string>();
  const out: ResourceTag[] = [];
  for (const tag of tags) {
    const key = tag.key;
    const value = tag.value ?? '';
    if (key === undefined || key.length < 1 || key.length > 128) {
      throw invalidParameter('Tag keys must be between 1 and 128 characters.');
    }
    if (value.length > 256)
      throw invalidParameter(`The value of tag '${key}' is longer than 256 characters.`);
    if (!ALLOWED.test(key) || !ALLOWED.test(value)) {
      throw invalidParameter(
        `Tag '${key}' contains characters that are not allowed: use letters, numbers, spaces and _ . : / = + - @.`,
      );
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw invalidParameter(`Tag keys beginning with 'aws:' are reserved: '${key}'.`);
    }
    if (seen.has(key)) throw invalidParameter(`Tag key '${key}' appears more than once.`);
    seen.add(key);
    out.push({ key, value });
  }
  if (out.length > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags.`);
  return out;
}

/** Merges new tags over existing ones (TagResource semantics) and checks the total stays within the limit. */
export function mergeTags(existing: readonly ResourceTag[], added: readonly ResourceTag[]): ResourceTag[] {
  const merged = new Map(existing.map((t) => [t.key, t.value]));
  for (const t of added) merged.set(t.key, t.value);
  if (merged.size > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags.`);
  return [...merged].map(([key, value]) => ({ key, value }));
}
