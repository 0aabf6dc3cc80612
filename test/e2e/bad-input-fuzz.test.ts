import { ListClustersCommand, type ECSClient } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  OPERATIONS,
  createFixture,
  ecsRequest,
  inputSchema,
  schemaNode,
  withValue,
  type Body,
  type Fixture,
  type OperationCase,
  type Path,
} from '../support/bad-input.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ECS_TARGET, signedRequest } from '../support/signed.js';

/**
 * A seeded fuzz pass over every served ECS operation: mutated valid inputs (random types at random
 * paths, nulls, unicode, huge numbers, deep nesting), random JSON and broken JSON text. Whatever
 * comes in, the answer is below 500, AWS-shaped when it is an error, and the server keeps serving.
 *
 * Replaying: every body is generated from (seed, operation, case number) alone, so a failure
 * message names all three; rerun with BERTH_FUZZ_SEED=<seed> (and BERTH_FUZZ_CASES=<n> for more).
 */

const SEED = Number(process.env.BERTH_FUZZ_SEED ?? 0x5eed_2026);
const CASES = Number(process.env.BERTH_FUZZ_CASES ?? 200);
/**
 * One request at a time: the fuzz is about bad input. (Concurrent writers to one cluster may
 * legitimately lose their optimistic retries and get ServerException, a 500 that SDKs retry.)
 */
const CONCURRENCY = 1;

// ---------------------------------------------------------------------------------------------
// A seeded PRNG (mulberry32) and the values it draws

class Rng {
  private state: number;
  constructor(...seeds: number[]) {
    // FNV-1a over the seeds, so (seed, op, case) pairs land far apart.
    let h = 0x811c9dc5;
    for (const s of seeds) {
      h ^= s >>> 0;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    this.state = h;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

const UNICODE = [
  'é',
  'ß',
  'İ',
  'Ω',
  '漢字',
  '😀',
  '👩‍👩‍👧',
  '\u200b',
  '\u202e',
  '\u0301',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\u0000',
  '\u0007',
  '\n',
  '\t',
  '"',
  '\\',
  '/',
  '%00',
  "'",
  ':',
  '*',
  '..',
  '${x}',
  '<x/>',
];

/** Numbers as JSON text: some are not representable (they parse to Infinity or lose precision). */
const NUMBER_TEXT = [
  '0',
  '-0',
  '-1',
  '1.5',
  '2147483648',
  '-2147483649',
  '9007199254740993',
  '123456789012345678901234567890',
  '1e308',
  '-1e308',
  '1e400',
  '-1e400',
  '1e-400',
  '4.9e-324',
  '0.1e1',
  '1E2',
];

function randomString(rng: Rng): string {
  switch (rng.int(6)) {
    case 0:
      return '';
    case 1:
      return rng.pick([
        'ACTIVE',
        'TAGS',
        'FARGATE',
        'containerInsights',
        'enabled',
        'bridge',
        'arn:aws:ecs:us-east-1:123456789012:cluster/x',
      ]);
    case 2:
      return Array.from({ length: 1 + rng.int(8) }, () => rng.pick(UNICODE)).join('');
    case 3:
      return 'x'.repeat(rng.pick([255, 256, 1024, 65_536, 65_537, 70_000]));
    default:
      return Math.abs(rng.next() * 1e9).toString(36);
  }
}

/** Raw JSON text spliced into a body after JSON.stringify: deep nesting and number literals. */
class RawSlots {
  private readonly texts: string[] = [];
  add(text: string): string {
    this.texts.push(text);
    return `@@raw${this.texts.length - 1}@@`;
  }
  splice(json: string): string {
    return json.replace(/"@@raw(\d+)@@"/g, (_, i: string) => this.texts[Number(i)] ?? 'null');
  }
}

function deepText(rng: Rng): string {
  const depth = rng.pick([100, 1_000, 10_000, 50_000]);
  const leaf = rng.pick(['1', '"x"', 'null', '{}', '[]']);
  if (rng.chance(0.5)) return '['.repeat(depth) + leaf + ']'.repeat(depth);
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

function randomValue(rng: Rng, raw: RawSlots, members: readonly string[], depth = 3): unknown {
  switch (rng.int(depth > 0 ? 9 : 6)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return raw.add(rng.pick(NUMBER_TEXT));
    case 3:
      return rng.int(2_000_000) - 1_000_000;
    case 4:
    case 5:
      return randomString(rng);
    case 6:
      return raw.add(deepText(rng));
    case 7:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, raw, members, depth - 1));
    default: {
      const object: Body = {};
      for (let i = rng.int(4); i > 0; i--) {
        const key =
          rng.chance(0.6) && members.length > 0 ? rng.pick(members) : randomString(rng).slice(0, 40);
        object[key] = randomValue(rng, raw, members, depth - 1);
      }
      return object;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations of a valid input

/** Every path in a JSON value (objects and arrays descended), the root excluded. */
function pathsOf(value: unknown, path: Path = []): Path[] {
  const out: Path[] = path.length > 0 ? [path] : [];
  if (Array.isArray(value)) value.forEach((item, i) => out.push(...pathsOf(item, [...path, i])));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...path, key]));
  }
  return out;
}

/** Every member name the operation's input can hold, at any depth: fuzzed keys hit real members. */
function memberNames(schema: unknown, seen = new Set<unknown>(), names = new Set<string>()): string[] {
  if (seen.has(schema)) return [...names];
  seen.add(schema);
  const node = schemaNode(schema);
  if (node.kind === 'structure') {
    node.members.forEach((name, i) => {
      names.add(name);
      memberNames(node.schemas[i], seen, names);
    });
  } else if (node.kind === 'list') memberNames(node.member, seen, names);
  else if (node.kind === 'map') memberNames(node.value, seen, names);
  return [...names];
}

/** Replaces every leaf for which `pick` answers a value (undefined keeps it). */
function mapLeaves(value: unknown, pick: (leaf: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapLeaves(v, pick));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapLeaves(v, pick)]));
  }
  const replaced = pick(value);
  return replaced === undefined ? value : replaced;
}

type Mutation = (
  rng: Rng,
  valid: Body,
  raw: RawSlots,
  /** Member names at any depth of the input. */
  members: readonly string[],
  /** The input structure's own members. */
  topLevel: readonly string[],
) => string;

const MUTATIONS: readonly [string, Mutation][] = [
  [
    'random value at a random path',
    (rng, valid, raw, members) => {
      let body = valid;
      for (let n = 1 + rng.int(3); n > 0; n--) {
        const paths = pathsOf(body);
        const path = paths.length > 0 ? rng.pick(paths) : [rng.pick(members)];
        body = withValue(body, path, randomValue(rng, raw, members));
      }
      return JSON.stringify(body);
    },
  ],
  [
    'random member added at a random depth',
    (rng, valid, raw, members) => {
      const objects = pathsOf(valid).filter((p) => {
        let v: unknown = valid;
        for (const k of p) v = (v as Record<string | number, unknown>)[k];
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      });
      const at = objects.length > 0 && rng.chance(0.5) ? rng.pick(objects) : [];
      const key = rng.chance(0.7) ? rng.pick(members) : randomString(rng).slice(0, 60);
      return JSON.stringify(withValue(valid, [...at, key], randomValue(rng, raw, members)));
    },
  ],
  [
    'members removed',
    (rng, valid) => {
      let body = valid;
      for (let n = 1 + rng.int(3); n > 0; n--) {
        const paths = pathsOf(body);
        if (paths.length > 0) body = withValue(body, rng.pick(paths), undefined);
      }
      return JSON.stringify(body);
    },
  ],
  [
    'null everywhere',
    (rng, valid) => {
      const p = rng.pick([0.3, 1]);
      const nulled = mapLeaves(valid, () => (rng.chance(p) ? null : undefined)) as Body;
      const container = pathsOf(nulled);
      const path = container.length > 0 && rng.chance(0.5) ? rng.pick(container) : undefined;
      return JSON.stringify(path ? withValue(nulled, path, null) : nulled);
    },
  ],
  [
    'optional members sent as null',
    (rng, valid, _raw, _members, topLevel) => {
      const body: Body = { ...valid };
      for (const name of topLevel) if (rng.chance(name in valid ? 0.3 : 0.7)) body[name] = null;
      return JSON.stringify(body);
    },
  ],
  [
    'huge and odd numbers',
    (rng, valid, raw) => {
      const body = mapLeaves(valid, (leaf) =>
        typeof leaf === 'number' || rng.chance(0.3) ? raw.add(rng.pick(NUMBER_TEXT)) : undefined,
      );
      return raw.splice(JSON.stringify(body));
    },
  ],
  [
    'unicode strings',
    (rng, valid) => {
      const body = mapLeaves(valid, (leaf) =>
        typeof leaf === 'string' && rng.chance(0.7)
          ? rng.chance(0.5)
            ? leaf + rng.pick(UNICODE)
            : Array.from({ length: 1 + rng.int(6) }, () => rng.pick(UNICODE)).join('')
          : undefined,
      );
      return JSON.stringify(body);
    },
  ],
  [
    'deep nesting at a random path',
    (rng, valid, raw) => {
      const paths = pathsOf(valid);
      const path = paths.length > 0 && rng.chance(0.8) ? rng.pick(paths) : ['deep'];
      return raw.splice(JSON.stringify(withValue(valid, path, raw.add(deepText(rng)))));
    },
  ],
  [
    'random JSON',
    (rng, _valid, raw, members) => raw.splice(JSON.stringify(randomValue(rng, raw, members, 4))),
  ],
  [
    'broken JSON text',
    (rng, valid) => {
      const text = JSON.stringify(valid);
      const at = rng.int(text.length);
      switch (rng.int(4)) {
        case 0:
          return text.slice(0, at);
        case 1:
          return (
            text.slice(0, at) + rng.pick(['"', '{', ']', ',', ':', '\\', '\u0000', 'ÿ']) + text.slice(at + 1)
          );
        case 2:
          return text + rng.pick(['}', ',', ' x', '{}', '\n[]']);
        default:
          return text.slice(0, at) + text.slice(at + 1 + rng.int(10));
      }
    },
  ],
];

interface FuzzCase {
  readonly op: string;
  readonly index: number;
  readonly mutation: string;
  readonly body: string;
}

function generate(c: OperationCase, opIndex: number, fx: Fixture): FuzzCase[] {
  const members = memberNames(inputSchema(c.op));
  const input = schemaNode(inputSchema(c.op));
  const topLevel = input.kind === 'structure' ? input.members : [];
  const valid = c.valid(fx);
  return Array.from({ length: CASES }, (_, index) => {
    const rng = new Rng(SEED, opIndex, index);
    const [mutation, mutate] = rng.pick(MUTATIONS);
    const raw = new RawSlots();
    return { op: c.op, index, mutation, body: raw.splice(mutate(rng, valid, raw, members, topLevel)) };
  });
}

// ---------------------------------------------------------------------------------------------

describe('fuzzing every ECS operation with seeded bad bodies', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  let fx: Fixture;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
    fx = await createFixture(ecs, 'fuzz');
  });
  after(() => berth.close());

  OPERATIONS.forEach((c, opIndex) => {
    it(`${c.op}: ${CASES} mutated bodies never get a 5xx, and every refusal is AWS-shaped`, async (t) => {
      const cases = generate(c, opIndex, fx);
      const problems: string[] = [];
      const statuses = new Map<string, number>();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < cases.length) {
          const fuzz = cases[next++]!;
          const replay = `seed ${SEED}, ${fuzz.op} case ${fuzz.index} (${fuzz.mutation}): ${fuzz.body.slice(0, 200)}`;
          try {
            const res = await ecsRequest(berth, fuzz.op, fuzz.body);
            const code = res.status >= 400 ? String(res.json?.__type) : 'OK';
            statuses.set(`${res.status} ${code}`, (statuses.get(`${res.status} ${code}`) ?? 0) + 1);
            if (res.status >= 500) problems.push(`${res.status} ${res.text.slice(0, 200)} ← ${replay}`);
            else if (res.status >= 400) {
              const message = res.json?.message;
              if (typeof res.json?.__type !== 'string' || typeof message !== 'string' || message === '') {
                problems.push(`not AWS-shaped: ${res.status} ${res.text.slice(0, 200)} ← ${replay}`);
              }
              if (!res.headers.get('x-amzn-requestid')) problems.push(`no x-amzn-requestid ← ${replay}`);
            }
          } catch (error) {
            problems.push(`no answer (${String(error)}) ← ${replay}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      t.diagnostic(
        [...statuses]
          .sort()
          .map(([k, n]) => `${k}: ${n}`)
          .join(', '),
      );
      assert.deepEqual(problems.slice(0, 10), [], `${problems.length} bad answers`);
    });
  });

  it('never answers a garbage Authorization header or X-Amz-Target with a 5xx', async () => {
    const rng = new Rng(SEED, 1000);
    const problems: string[] = [];
    for (let i = 0; i < 100; i++) {
      const credential = `${randomString(rng).slice(0, 30)}/${rng.pick(['20260101', 'x', ''])}/${rng.pick(['us-east-1', ''])}/ecs/aws4_request`;
      const authorization = rng.pick([
        `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
        `AWS4-HMAC-SHA256 ${randomString(rng).slice(0, 100)}`,
        randomString(rng).slice(0, 200),
        'AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=',
      ]);
      const target = rng.chance(0.5)
        ? `${ECS_TARGET}.${randomString(rng).slice(0, 30)}`
        : randomString(rng).slice(0, 60);
      // Header values must be ISO-8859-1 without control characters to be sent at all.
      const latin1 = (s: string): string => s.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
      try {
        const res = await signedRequest(
          berth.endpoint,
          {
            body: '{}',
            target: latin1(target),
            headers: {
              authorization: latin1(authorization),
              'x-amz-date': latin1(rng.pick(['20260101T000000Z', randomString(rng).slice(0, 20)])),
            },
          },
          undefined,
        );
        if (res.status >= 500 || res.status < 400)
          problems.push(`${res.status} ← case ${i}: ${authorization} / ${target}`);
      } catch (error) {
        problems.push(`no answer (${String(error)}) ← case ${i}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('drops members outside the model, however deep, instead of storing them', async () => {
    const valid = OPERATIONS.find((c) => c.op === 'RegisterTaskDefinition')!.valid(fx);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const json = JSON.stringify(withValue(valid, ['containerDefinitions', 0, 'junk'], '@@deep@@'));
    const res = await ecsRequest(berth, 'RegisterTaskDefinition', json.replace('"@@deep@@"', deep));
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.doesNotMatch(res.text, /junk/);
  });

  it('answers concurrent CreateCluster calls of one name with 200 and the same cluster (a race the fuzz found)', async () => {
    // Four clients create the same ten clusters in the same order, so each name is raced for.
    const names = Array.from({ length: 10 }, (_, i) => `raced-${i}`);
    const client = async (): Promise<string[]> => {
      const answers = [];
      for (const clusterName of names) {
        const res = await ecsRequest(berth, 'CreateCluster', JSON.stringify({ clusterName }));
        const arn = (res.json?.cluster as { clusterArn?: string } | undefined)?.clusterArn;
        answers.push(`${res.status} ${arn ?? res.text.slice(0, 200)}`);
      }
      return answers;
    };
    const [first, ...others] = await Promise.all(Array.from({ length: 4 }, client));
    assert.deepEqual(
      first,
      names.map((n) => `200 arn:aws:ecs:us-east-1:123456789012:cluster/${n}`),
    );
    for (const answers of others) assert.deepEqual(answers, first);
  });

  it('still answers /health and SDK calls after all of it', async () => {
    const health = await fetch(`${berth.endpoint}/health`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    const listed = await ecs.send(new ListClustersCommand({}));
    assert.ok(Array.isArray(listed.clusterArns));
  });
});
