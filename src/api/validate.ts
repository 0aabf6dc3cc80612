import { Fault } from '../core/fault.js';

/**
 * Checks a decoded request body against the operation's input shape before any handler runs.
 * The shapes are the runtime schemas the AWS SDK v3 client packages ship (member names, types,
 * required members); enum value sets come from the SDK's enum objects through an `EnumTable`,
 * because the schemas do not carry them. What AWS services answer, and so what Berth answers:
 * - a value of the wrong JSON type → `SerializationException`;
 * - a missing required member, a value outside its enum, a string over the size limit →
 *   `InvalidParameterException` in the service's "validation error detected" wording.
 * Unknown members are ignored, as AWS JSON services do.
 */

/** An SDK schema reference: a type code, a thunk, a schema array, or [ref, traits]. */
export type SchemaRef = unknown;

/** `"<StructureName>.<member>"` → allowed values (for a list of enums: of each element). */
export type EnumTable = Readonly<Record<string, Readonly<Record<string, string>>>>;

export const MAX_STRING_LENGTH = 65_536;

/** The SDK's schema type codes (@smithy/core/schema). */
const Code = {
  String: 0,
  Boolean: 2,
  Document: 15,
  Blob: 21,
  ListOf: 64,
  MapOf: 128,
} as const;

type Node =
  | { kind: 'string' | 'number' | 'boolean' | 'timestamp' | 'document' | 'blob' }
  | { kind: 'list'; member: SchemaRef }
  | { kind: 'map'; value: SchemaRef }
  | {
      kind: 'structure' | 'union';
      name: string;
      members: readonly string[];
      schemas: readonly SchemaRef[];
      required: number;
    };

function simple(code: number): Node {
  if (code & Code.MapOf) return { kind: 'map', value: code & ~Code.MapOf };
  if (code & Code.ListOf) return { kind: 'list', member: code & ~Code.ListOf };
  if (code === Code.String) return { kind: 'string' };
  if (code === Code.Boolean) return { kind: 'boolean' };
  if (code === Code.Document) return { kind: 'document' };
  if (code === Code.Blob) return { kind: 'blob' };
  if (code >= 4 && code <= 7) return { kind: 'timestamp' };
  return { kind: 'number' };
}

const resolved = new WeakMap<object, Node>();

function resolve(ref: SchemaRef): Node {
  let current = ref;
  for (;;) {
    if (typeof current === 'function') current = (current as () => unknown)();
    else if (typeof current === 'number') return simple(current);
    else if (Array.isArray(current)) {
      const cached = resolved.get(current);
      if (cached) return cached;
      const head: unknown = current[0];
      if (typeof head !== 'number' || current.length === 2) {
        current = head; // [ref, memberTraits]
        continue;
      }
      const node = fromSchemaArray(current);
      if (node === undefined) {
        current = current[4]; // a simple type with traits: [0, ns, name, traits, type]
        continue;
      }
      resolved.set(current, node);
      return node;
    } else {
      throw new Error(`unexpected SDK schema reference: ${String(current)}`);
    }
  }
}

function fromSchemaArray(schema: readonly unknown[]): Node | undefined {
  switch (schema[0]) {
    case 1:
      return { kind: 'list', member: schema[4] };
    case 2:
      return { kind: 'map', value: schema[5] };
    case 3:
    case -3:
    case 4:
      return {
        kind: schema[0] === 4 ? 'union' : 'structure',
        name: String(schema[2]),
        members: schema[4] as string[],
        schemas: schema[5] as SchemaRef[],
        required: typeof schema[6] === 'number' ? schema[6] : 0,
      };
    default:
      return undefined;
  }
}

/** The member names of a structure schema (used by the model conformance test and by encoders). */
export function structureMembers(ref: SchemaRef): readonly string[] {
  const node = resolve(ref);
  return node.kind === 'structure' || node.kind === 'union' ? node.members : [];
}

/**
 * Validates `value` and returns the input as the operation sees it: only the modelled members, with
 * null members and null map values dropped (an absent member, as AWS deserializers read it). Nothing
 * a client adds outside the model reaches a handler or the store.
 */
export function validateInput(ref: SchemaRef, value: unknown, enums: EnumTable): Record<string, unknown> {
  const problems: string[] = [];
  const input = visit(resolve(ref), value, '', undefined, enums, problems) as Record<string, unknown>;
  if (problems.length > 0) {
    const shown = problems.slice(0, 5);
    throw new Fault(
      'InvalidParameterException',
      `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${shown.join('; ')}`,
    );
  }
  return input;
}

function serialization(message: string): Fault {
  return new Fault('SerializationException', message);
}

/** How Coral-style serializers name the JSON token they found. */
function describe(value: unknown): string {
  if (value === null) return 'NULL_VALUE';
  if (Array.isArray(value)) return 'START_ARRAY';
  if (typeof value === 'string') return 'STRING_VALUE';
  if (typeof value === 'number') return 'NUMBER_VALUE';
  if (typeof value === 'boolean') return value ? 'TRUE_VALUE' : 'FALSE_VALUE';
  return 'START_OBJECT';
}

function visit(
  node: Node,
  value: unknown,
  path: string,
  allowed: Readonly<Record<string, string>> | undefined,
  enums: EnumTable,
  problems: string[],
): unknown {
  const at = path || 'input';
  switch (node.kind) {
    case 'string':
      if (typeof value !== 'string')
        throw serialization(`${describe(value)} can not be converted to a String (at '${at}')`);
      if (value.length > MAX_STRING_LENGTH) {
        problems.push(
          `Value at '${at}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_STRING_LENGTH}`,
        );
      } else if (value.includes('\u0000')) {
        // No ECS string can carry NUL (names, images, env values all end up as C strings), and
        // PostgreSQL text cannot store it: refuse it here rather than fail in the store.
        problems.push(
          `Value at '${at}' failed to satisfy constraint: Member must not contain the NUL character (U+0000)`,
        );
      } else if (allowed && !Object.values(allowed).includes(value)) {
        problems.push(
          `Value '${value}' at '${at}' failed to satisfy constraint: Member must satisfy enum value set: [${Object.values(allowed).join(', ')}]`,
        );
      }
      return value;
    case 'number':
    case 'timestamp':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw serialization(
          `${describe(value)} can not be converted to a ${node.kind === 'number' ? 'Number' : 'Timestamp'} (at '${at}')`,
        );
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean')
        throw serialization(`${describe(value)} can not be converted to a Boolean (at '${at}')`);
      return value;
    case 'blob':
      if (typeof value !== 'string')
        throw serialization(`${describe(value)} can not be converted to a Blob (at '${at}')`);
      return value;
    case 'document':
      return value;
    case 'list': {
      if (!Array.isArray(value)) throw serialization(`Expected list or null (at '${at}')`);
      const member = resolve(node.member);
      return value.map((item: unknown, i) => {
        if (item === null) throw serialization(`Null is not allowed in a list (at '${at}.${i + 1}')`);
        return visit(member, item, `${path}.${i + 1}.member`, allowed, enums, problems);
      });
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw serialization(`Expected map or null (at '${at}')`);
      }
      const member = resolve(node.value);
      const entries: [string, unknown][] = [];
      for (const [key, item] of Object.entries(value)) {
        if (item !== null)
          entries.push([key, visit(member, item, `${path}.${key}`, undefined, enums, problems)]);
      }
      return Object.fromEntries(entries);
    }
    case 'structure':
    case 'union': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw serialization(
          typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
            ? `${describe(value)} can not be converted to a structure (at '${at}')`
            : `Start of list found where not expected (at '${at}')`,
        );
      }
      const record = value as Record<string, unknown>;
      const entries: [string, unknown][] = [];
      node.members.forEach((name, i) => {
        const memberValue = record[name];
        const memberPath = path ? `${path}.${name}` : name;
        if (memberValue === undefined || memberValue === null) {
          if (i < node.required) {
            problems.push(
              `Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`,
            );
          }
          return;
        }
        entries.push([
          name,
          visit(
            resolve(node.schemas[i]),
            memberValue,
            memberPath,
            enums[`${node.name}.${name}`],
            enums,
            problems,
          ),
        ]);
      });
      if (node.kind === 'union' && node.members.filter((m) => record[m] != null).length !== 1) {
        problems.push(
          `Value at '${at}' failed to satisfy constraint: exactly one member of the union must be set`,
        );
      }
      return Object.fromEntries(entries);
    }
  }
}
