import { Fault } from '../../core/fault.js';

/**
 * Decodes awsQuery form parameters into a structure, by a shape: members are `Prefix.Member`,
 * list items `Prefix.member.N` (1-based; `Prefix=` alone is an empty list), as the AWS SDKs and
 * CLI send them. Members outside the shape are ignored, as AWS Query services do. A value of the
 * wrong type, a missing required member, or a NUL character is a ValidationError in AWS's
 * "validation error detected" wording, naming the member path in lowerCamel case.
 */
export type QueryShape = 'string' | 'integer' | 'boolean' | ListShape | StructShape;

export interface ListShape {
  readonly list: QueryShape;
}

export interface StructShape {
  readonly struct: Readonly<Record<string, QueryShape>>;
  readonly required?: readonly string[];
}

export const list = (of: QueryShape): ListShape => ({ list: of });
export const struct = (
  members: Readonly<Record<string, QueryShape>>,
  required: readonly string[] = [],
): StructShape => ({
  struct: members,
  required,
});

export function decodeQueryInput(
  shape: StructShape,
  params: ReadonlyMap<string, string>,
): Record<string, unknown> {
  const problems: string[] = [];
  const value = decodeStruct(shape, params, '', '', problems) ?? {};
  if (problems.length > 0) {
    const shown = problems.slice(0, 5);
    throw new Fault(
      'ValidationError',
      `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${shown.join('; ')}`,
    );
  }
  return value;
}

const camel = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

function decode(
  shape: QueryShape,
  params: ReadonlyMap<string, string>,
  key: string,
  path: string,
  problems: string[],
): unknown {
  if (shape === 'string' || shape === 'integer' || shape === 'boolean') {
    const raw = params.get(key);
    if (raw === undefined) return undefined;
    return scalar(shape, raw, path, problems);
  }
  if ('list' in shape) return decodeList(shape, params, key, path, problems);
  return decodeStruct(shape, params, `${key}.`, `${path}.`, problems);
}

function scalar(
  shape: 'string' | 'integer' | 'boolean',
  raw: string,
  path: string,
  problems: string[],
): unknown {
  if (raw.includes('\u0000')) {
    problems.push(
      `Value at '${path}' failed to satisfy constraint: Member must not contain the NUL character`,
    );
    return undefined;
  }
  if (shape === 'string') return raw;
  if (shape === 'boolean') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    problems.push(`Value '${raw}' at '${path}' failed to satisfy constraint: Member must be a boolean`);
    return undefined;
  }
  if (/^-?\d{1,10}$/.test(raw)) return Number(raw);
  problems.push(`Value '${raw}' at '${path}' failed to satisfy constraint: Member must be an integer`);
  return undefined;
}

function decodeList(
  shape: ListShape,
  params: ReadonlyMap<string, string>,
  key: string,
  path: string,
  problems: string[],
): unknown[] | undefined {
  const head = `${key}.member.`;
  const indexes = new Set<number>();
  for (const name of params.keys()) {
    if (!name.startsWith(head)) continue;
    const index = /^(\d+)(?:\.|$)/.exec(name.slice(head.length))?.[1];
    if (index !== undefined) indexes.add(Number(index));
  }
  if (indexes.size === 0) return params.has(key) ? [] : undefined;
  return [...indexes]
    .sort((a, b) => a - b)
    .map((i) => decode(shape.list, params, `${head}${i}`, `${path}.${i}.member`, problems))
    .filter((v) => v !== undefined);
}

function decodeStruct(
  shape: StructShape,
  params: ReadonlyMap<string, string>,
  prefix: string,
  pathPrefix: string,
  problems: string[],
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(shape.struct)) {
    const value = decode(member, params, `${prefix}${name}`, `${pathPrefix}${camel(name)}`, problems);
    if (value !== undefined) out[name] = value;
  }
  // A nested structure with no member given is absent; the top level is always there.
  if (Object.keys(out).length === 0 && prefix !== '') return undefined;
  for (const name of shape.required ?? []) {
    if (out[name] === undefined) {
      problems.push(
        `Value null at '${pathPrefix}${camel(name)}' failed to satisfy constraint: Member must not be null`,
      );
    }
  }
  return out;
}
