import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Reading the AWS API models (Smithy JSON AST, as published in aws/api-models-aws) and the
 * runtime schemas of the AWS SDK v3 client packages, for the model conformance tests.
 * The models are data on disk, never copied into the repository: see `locateModels`.
 */

// ---------------------------------------------------------------------------------------------
// Where the models are

export interface ModelsLocation {
  readonly dir: string;
  /** Why the suite must be skipped (saying where it looked), or undefined when the model file exists. */
  readonly skip: string | undefined;
}

/** `$BERTH_AWS_MODELS`, else `<repo>/../shared/aws-models`. */
export function locateModels(file: string): ModelsLocation {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const dir = process.env.BERTH_AWS_MODELS ?? join(repo, '..', 'shared', 'aws-models');
  const path = join(dir, file);
  return {
    dir,
    skip: existsSync(path)
      ? undefined
      : `AWS API model ${file} not found in ${dir} (set BERTH_AWS_MODELS to the aws-models directory)`,
  };
}

// ---------------------------------------------------------------------------------------------
// The Smithy model

interface ShapeRef {
  readonly target: string;
  readonly traits?: Readonly<Record<string, unknown>>;
}

/** One shape of the Smithy JSON AST (only the fields these tests read). */
interface Shape {
  readonly type: string;
  readonly members?: Readonly<Record<string, ShapeRef>>;
  readonly member?: ShapeRef;
  readonly key?: ShapeRef;
  readonly value?: ShapeRef;
  readonly input?: ShapeRef;
  readonly output?: ShapeRef;
  readonly errors?: readonly ShapeRef[];
  readonly operations?: readonly ShapeRef[];
  readonly traits?: Readonly<Record<string, unknown>>;
}

/** The JSON-level kind of a shape: what awsJson puts on the wire. */
export type Kind =
  | 'string'
  | 'number'
  | 'boolean'
  | 'timestamp'
  | 'blob'
  | 'document'
  | 'list'
  | 'map'
  | 'structure'
  | 'union';

export interface ModelMember {
  readonly name: string;
  readonly target: string;
  /** The member has the `smithy.api#required` trait. */
  readonly required: boolean;
}

export interface ModelOperation {
  readonly name: string;
  readonly input: string | undefined;
  readonly output: string | undefined;
  /** Short names of the error shapes the operation may answer (the `__type` of an error). */
  readonly errors: readonly string[];
}

const PRELUDE_KINDS: Readonly<Record<string, Kind>> = {
  String: 'string',
  Boolean: 'boolean',
  PrimitiveBoolean: 'boolean',
  Timestamp: 'timestamp',
  Blob: 'blob',
  Document: 'document',
  Unit: 'structure',
};

const SCALAR_KINDS: Readonly<Record<string, Kind>> = {
  string: 'string',
  enum: 'string',
  boolean: 'boolean',
  timestamp: 'timestamp',
  blob: 'blob',
  document: 'document',
  byte: 'number',
  short: 'number',
  integer: 'number',
  intEnum: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bigInteger: 'number',
  bigDecimal: 'number',
  list: 'list',
  set: 'list',
  map: 'map',
  structure: 'structure',
  union: 'union',
};

const INTEGRAL = new Set(['byte', 'short', 'integer', 'intEnum', 'long', 'bigInteger']);

/** A service's Smithy model: shapes by absolute id (`com.amazonaws.ecs#Cluster`). */
export class ApiModel {
  private constructor(private readonly shapes: Readonly<Record<string, Shape>>) {}

  static load(path: string): ApiModel {
    const ast = JSON.parse(readFileSync(path, 'utf8')) as { shapes: Record<string, Shape> };
    return new ApiModel(ast.shapes);
  }

  /** The service shape's id (there is one per model file). */
  get serviceId(): string {
    const id = Object.keys(this.shapes).find((k) => this.shapes[k]?.type === 'service');
    if (!id) throw new Error('the model has no service shape');
    return id;
  }

  /** Short names of the operations the service lists. */
  operationNames(): string[] {
    return (this.shape(this.serviceId).operations ?? []).map((o) => shortName(o.target));
  }

  operation(name: string): ModelOperation {
    const namespace = this.serviceId.split('#')[0] ?? '';
    const shape = this.shape(`${namespace}#${name}`);
    if (shape.type !== 'operation') throw new Error(`${name} is not an operation`);
    return {
      name,
      input: unitless(shape.input),
      output: unitless(shape.output),
      errors: (shape.errors ?? []).map((e) => shortName(e.target)),
    };
  }

  kind(id: string): Kind {
    if (id.startsWith('smithy.api#')) {
      const kind = PRELUDE_KINDS[shortName(id)];
      if (kind) return kind;
      return 'number'; // Integer, Long, Double, PrimitiveInteger, …
    }
    const kind = SCALAR_KINDS[this.shape(id).type];
    if (!kind) throw new Error(`${id}: unsupported shape type ${this.shape(id).type}`);
    return kind;
  }

  /** Whether a number shape only holds integers (JSON numbers without a fraction). */
  isIntegral(id: string): boolean {
    if (id.startsWith('smithy.api#')) return /Integer|Long|Short|Byte/.test(id);
    return INTEGRAL.has(this.shape(id).type);
  }

  /** The values of an enum shape, or undefined when the shape is not an enum. */
  enumValues(id: string): readonly string[] | undefined {
    if (id.startsWith('smithy.api#')) return undefined;
    const shape = this.shape(id);
    if (shape.type !== 'enum') return undefined;
    return Object.entries(shape.members ?? {}).map(([name, m]) => {
      const value = m.traits?.['smithy.api#enumValue'];
      return typeof value === 'string' ? value : name;
    });
  }

  /** `client` or `server` for an error shape (its `smithy.api#error` trait); undefined for anything else. */
  errorKind(id: string): 'client' | 'server' | undefined {
    const trait = this.shapes[id]?.traits?.['smithy.api#error'];
    return trait === 'client' || trait === 'server' ? trait : undefined;
  }

  /** The members of a structure or union, in model order. */
  members(id: string): readonly ModelMember[] {
    if (id === 'smithy.api#Unit') return [];
    return Object.entries(this.shape(id).members ?? {}).map(([name, m]) => ({
      name,
      target: m.target,
      required: m.traits?.['smithy.api#required'] !== undefined,
    }));
  }

  /** The element shape of a list. */
  listMember(id: string): string {
    const member = this.shape(id).member;
    if (!member) throw new Error(`${id} is not a list`);
    return member.target;
  }

  /** The value shape of a map (awsJson map keys are strings). */
  mapValue(id: string): string {
    const value = this.shape(id).value;
    if (!value) throw new Error(`${id} is not a map`);
    return value.target;
  }

  /** The enum shape of a member that is an enum, or a list of enums; undefined otherwise. */
  enumOf(id: string): string | undefined {
    if (this.enumValues(id)) return id;
    if (this.kind(id) === 'list') {
      const element = this.listMember(id);
      if (this.enumValues(element)) return element;
    }
    return undefined;
  }

  private shape(id: string): Shape {
    const shape = this.shapes[id];
    if (!shape) throw new Error(`no shape ${id} in the model`);
    return shape;
  }
}

export function shortName(id: string): string {
  return id.slice(id.indexOf('#') + 1);
}

function unitless(ref: ShapeRef | undefined): string | undefined {
  return ref === undefined || ref.target === 'smithy.api#Unit' ? undefined : ref.target;
}

// ---------------------------------------------------------------------------------------------
// The SDK's runtime schemas (the shapes Berth's validator walks: see src/api/validate.ts)

/** An SDK schema reference: a type code, a thunk, a schema array, or [ref, memberTraits]. */
export type SdkRef = unknown;

export type SdkNode =
  | { readonly kind: Exclude<Kind, 'list' | 'map' | 'structure' | 'union'> }
  | { readonly kind: 'list'; readonly member: SdkRef }
  | { readonly kind: 'map'; readonly value: SdkRef }
  | {
      readonly kind: 'structure' | 'union';
      readonly name: string;
      readonly members: readonly string[];
      readonly schemas: readonly SdkRef[];
      /** The first `required` members are the required ones. */
      readonly required: number;
    };

/** Simple type codes: 0 string, 1 number, 2 boolean, 4–7 timestamps, 15 document, 21 blob; |64 list of, |128 map of. */
function fromCode(code: number): SdkNode {
  if (code & 128) return { kind: 'map', value: code & ~128 };
  if (code & 64) return { kind: 'list', member: code & ~64 };
  if (code === 0) return { kind: 'string' };
  if (code === 2) return { kind: 'boolean' };
  if (code >= 4 && code <= 7) return { kind: 'timestamp' };
  if (code === 15) return { kind: 'document' };
  if (code === 21) return { kind: 'blob' };
  return { kind: 'number' };
}

/**
 * Resolves an SDK schema reference. Schema arrays: `[3|-3, ns, name, traits, memberNames,
 * memberSchemas, requiredCount?]` structure (or error), `[4, …]` union, `[1, ns, name, traits,
 * member]` list, `[2, ns, name, traits, key, value]` map, `[0, ns, name, traits, type]` a simple
 * type with traits; `[ref, traits]` is a member reference carrying member traits.
 */
export function sdkNode(ref: SdkRef): SdkNode {
  let current = ref;
  for (;;) {
    if (typeof current === 'function') current = (current as () => unknown)();
    else if (typeof current === 'number') return fromCode(current);
    else if (Array.isArray(current)) {
      const head: unknown = current[0];
      if (typeof head !== 'number' || current.length === 2) {
        current = head;
        continue;
      }
      switch (head) {
        case 0:
          current = current[4];
          continue;
        case 1:
          return { kind: 'list', member: current[4] };
        case 2:
          return { kind: 'map', value: current[5] };
        case 3:
        case -3:
        case 4:
          return {
            kind: head === 4 ? 'union' : 'structure',
            name: String(current[2]),
            members: current[4] as string[],
            schemas: current[5] as SdkRef[],
            required: typeof current[6] === 'number' ? current[6] : 0,
          };
        default:
          throw new Error(`unexpected SDK schema kind ${head}`);
      }
    } else {
      throw new Error(`unexpected SDK schema reference: ${String(current)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Walking an input shape of the model and the SDK side by side

/** One model member reachable from an operation's input, with what the SDK schema says of it. */
export interface MemberPair {
  /** Where it is, e.g. `RegisterTaskDefinitionRequest.containerDefinitions[].portMappings[].protocol`. */
  readonly path: string;
  /** The model structure holding it (short name). */
  readonly owner: string;
  /** The SDK structure holding it (the name Berth's enum table is keyed by). */
  readonly sdkOwner: string;
  readonly member: ModelMember;
  readonly modelKind: Kind;
  /** Undefined when the SDK structure has no member of that name. */
  readonly sdk:
    | {
        readonly kind: Kind;
        readonly required: boolean;
      }
    | undefined;
}

/**
 * Every member of every structure reachable from `modelShape` (through lists, maps, structures
 * and unions), paired with the SDK schema's member of the same name. Each structure is visited
 * once. `sdkMembers` lists a structure's members as the validator sees them.
 */
export function pairMembers(
  model: ApiModel,
  modelShape: string,
  sdkRef: SdkRef,
  sdkMembers: (ref: SdkRef) => readonly string[],
): MemberPair[] {
  const pairs: MemberPair[] = [];
  const seen = new Set<string>();
  const descend = (target: string, ref: SdkRef, path: string): void => {
    const kind = model.kind(target);
    const node = sdkNode(ref);
    if (kind !== node.kind) return; // the mismatch is reported on the member that leads here
    if (node.kind === 'list') descend(model.listMember(target), node.member, `${path}[]`);
    else if (node.kind === 'map') descend(model.mapValue(target), node.value, `${path}{}`);
    else if (node.kind === 'structure' || node.kind === 'union') {
      if (seen.has(target)) return;
      seen.add(target);
      const names = sdkMembers(ref);
      for (const member of model.members(target)) {
        const index = names.indexOf(member.name);
        const sdkRefOf = index >= 0 ? node.schemas[index] : undefined;
        const memberPath = `${path}.${member.name}`;
        pairs.push({
          path: memberPath,
          owner: shortName(target),
          sdkOwner: node.name,
          member,
          modelKind: model.kind(member.target),
          sdk: index < 0 ? undefined : { kind: sdkNode(sdkRefOf).kind, required: index < node.required },
        });
        if (index >= 0) descend(member.target, sdkRefOf, memberPath);
      }
    }
  };
  descend(modelShape, sdkRef, shortName(modelShape));
  return pairs;
}

// ---------------------------------------------------------------------------------------------
// Checking a JSON response against an output shape

export interface OutputCheck {
  /** Keys the model does not know, values of the wrong type, enum values outside the model. */
  readonly problems: string[];
  /** What only the newer SDK knows: members and enum values added after the model's date. */
  readonly notes: string[];
}

export interface CheckOptions {
  /** The SDK schema of the same shape: a member missing from the model but in it is a note, not a problem. */
  readonly sdk?: SdkRef;
  /** Values the SDK's enum of that name has (the SDK is newer than the model). */
  readonly newerEnumValues?: (enumName: string) => readonly string[];
}

/**
 * Checks a decoded awsJson value against a model shape, recursively: every object key is a
 * member, every value has the member's type (timestamps are epoch seconds), enum values are the
 * model's. Members and enum values only the newer SDK knows are reported as notes.
 */
export function checkValue(
  model: ApiModel,
  target: string,
  value: unknown,
  path: string,
  options: CheckOptions = {},
): OutputCheck {
  const problems: string[] = [];
  const notes: string[] = [];
  const sdk = options.sdk === undefined ? undefined : sdkNode(options.sdk);
  const wrong = (expected: string): void => {
    problems.push(`${path}: expected ${expected}, got ${JSON.stringify(value)}`);
  };
  const nested = (t: string, v: unknown, p: string, sdkRef: SdkRef): void => {
    const inner = checkValue(model, t, v, p, { ...options, sdk: sdkRef });
    problems.push(...inner.problems);
    notes.push(...inner.notes);
  };
  if (value === null) {
    problems.push(`${path}: null (AWS omits absent members)`);
    return { problems, notes };
  }
  const kind = model.kind(target);
  switch (kind) {
    case 'string': {
      if (typeof value !== 'string') {
        wrong('a string');
        break;
      }
      const values = model.enumValues(target);
      if (values && !values.includes(value)) {
        const name = shortName(target);
        if (options.newerEnumValues?.(name).includes(value)) {
          notes.push(`${path}: '${value}' is not in the model's ${name}, but the newer SDK has it`);
        } else {
          problems.push(`${path}: '${value}' is not a ${name} value (${values.join(', ')})`);
        }
      }
      break;
    }
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) wrong('a number');
      else if (model.isIntegral(target) && !Number.isInteger(value)) wrong('an integer');
      break;
    case 'boolean':
      if (typeof value !== 'boolean') wrong('a boolean');
      break;
    case 'timestamp':
      // awsJson timestamps are epoch seconds; a value past 1e10 is almost surely milliseconds.
      if (typeof value !== 'number' || !(value > 0 && value < 1e10)) wrong('epoch seconds');
      break;
    case 'blob':
      if (typeof value !== 'string') wrong('a base64 string');
      break;
    case 'document':
      break;
    case 'list':
      if (!Array.isArray(value)) wrong('a list');
      else {
        const member = sdk?.kind === 'list' ? sdk.member : undefined;
        value.forEach((item, i) => nested(model.listMember(target), item, `${path}[${i}]`, member));
      }
      break;
    case 'map':
      if (!isObject(value)) wrong('a map');
      else {
        const member = sdk?.kind === 'map' ? sdk.value : undefined;
        for (const [key, item] of Object.entries(value)) {
          nested(model.mapValue(target), item, `${path}.${key}`, member);
        }
      }
      break;
    case 'structure':
    case 'union': {
      if (!isObject(value)) {
        wrong(`a ${shortName(target)} structure`);
        break;
      }
      const members = new Map(model.members(target).map((m) => [m.name, m]));
      const sdkMembers = sdk?.kind === 'structure' || sdk?.kind === 'union' ? sdk : undefined;
      for (const [key, item] of Object.entries(value)) {
        const member = members.get(key);
        const index = sdkMembers?.members.indexOf(key) ?? -1;
        if (member) nested(member.target, item, `${path}.${key}`, sdkMembers?.schemas[index]);
        else if (index >= 0) {
          notes.push(`${path}.${key}: not in the model's ${shortName(target)}, but the newer SDK has it`);
        } else problems.push(`${path}.${key}: not a member of ${shortName(target)}`);
      }
      if (kind === 'union' && Object.keys(value).length !== 1) wrong('exactly one union member');
      break;
    }
  }
  return { problems, notes };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The string values of an SDK enum object (`{ ACTIVE: 'ACTIVE', … }`), or undefined for anything else. */
export function enumObjectValues(value: unknown): readonly string[] | undefined {
  if (!isObject(value)) return undefined;
  const values = Object.values(value);
  return values.length > 0 && values.every((v): v is string => typeof v === 'string') ? values : undefined;
}
