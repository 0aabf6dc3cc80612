import type { ECSClient } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ecsService } from '../../src/api/ecs/index.js';
import type { EcsControl } from '../../src/control/ecs/index.js';
import {
  LONG_NAME,
  OPERATIONS,
  assertAwsError,
  createFixture,
  ecsRequest,
  inputSchema,
  observableState,
  requiredMembers,
  showPath,
  typedPaths,
  valueAt,
  withValue,
  wrongTypeFor,
  type Fixture,
} from '../support/bad-input.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Bad input to every served ECS operation, one broken thing at a time: each gets the AWS error a
 * real endpoint answers (`SerializationException` for the wrong JSON type or malformed JSON,
 * `InvalidParameterException` / `ClientException` for values ECS refuses) and changes nothing.
 */

const MALFORMED_BODIES = [
  '{',
  '{"cluster": ',
  '{"cluster": "a",}',
  "{'cluster': 'a'}",
  '{"cluster": "a"}}',
  '{"a": 1}{"b": 2}',
  '{"cluster": undefined}',
  '{"maxResults": NaN}',
  'nul',
  '<xml/>',
  'cluster=a&maxResults=1',
  '[]',
  '[{"cluster": "a"}]',
  '"cluster"',
  '42',
  'true',
  'null',
];

describe('bad input to each ECS operation', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  let fx: Fixture;
  let before_: unknown;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
    fx = await createFixture(ecs, 'bad-ops');
    before_ = await observableState(ecs, fx);
  });
  after(() => berth.close());

  it('covers every operation the ECS facade serves', () => {
    const served = Object.keys(ecsService({} as EcsControl).operations).sort();
    assert.deepEqual(OPERATIONS.map((c) => c.op).sort(), served);
    assert.equal(served.length, 44);
  });

  for (const c of OPERATIONS) {
    describe(c.op, () => {
      const required = requiredMembers(c.op);
      if (required.length === 0) {
        it('has no required member to leave out', { skip: `every member of ${c.op}Request is optional` });
      } else {
        it(`refuses a request missing a required member (${required.join(', ')}) with InvalidParameterException`, async () => {
          for (const member of required) {
            for (const missing of [undefined, null]) {
              const body = withValue(c.valid(fx), [member], missing);
              const res = await ecsRequest(berth, c.op, JSON.stringify(body));
              assertAwsError(
                res,
                400,
                'InvalidParameterException',
                `${c.op} with ${member}: ${String(missing)}`,
              );
              assert.match(String(res.json?.message), new RegExp(`'${member}'.*must not be null`));
            }
          }
        });
      }

      it('answers a value of the wrong JSON type, at any member, with SerializationException', async () => {
        const valid = c.valid(fx);
        const paths = typedPaths(inputSchema(c.op), valid);
        assert.ok(paths.length > 0);
        for (const { path, node } of paths) {
          const wrong = wrongTypeFor(node.kind);
          const res = await ecsRequest(berth, c.op, JSON.stringify(withValue(valid, path, wrong.value)));
          assertAwsError(res, 400, 'SerializationException', `${c.op}: ${wrong.what} at ${showPath(path)}`);
        }
      });

      if (typeof c.enums === 'string') {
        it('has no enum member to set to an unknown value', { skip: c.enums });
      } else {
        const enums = c.enums;
        it(`refuses an unknown enum value (${enums.map(showPath).join(', ')}) with InvalidParameterException`, async () => {
          const valid = c.valid(fx);
          for (const path of enums) {
            const good = valueAt(valid, path);
            assert.equal(typeof good, 'string', `${showPath(path)} is set in the valid input`);
            const wrongCase =
              String(good).toUpperCase() === good ? String(good).toLowerCase() : String(good).toUpperCase();
            for (const bad of ['NOT_AN_ENUM_VALUE', wrongCase, '']) {
              const res = await ecsRequest(berth, c.op, JSON.stringify(withValue(valid, path, bad)));
              assertAwsError(res, 400, 'InvalidParameterException', `${c.op}: '${bad}' at ${showPath(path)}`);
              assert.match(String(res.json?.message), /enum value set/);
            }
          }
        });
      }

      it(`refuses a 70,000-character string (${showPath(c.oversized)}) with InvalidParameterException`, async () => {
        const body = withValue(c.valid(fx), c.oversized, 'x'.repeat(70_000));
        const res = await ecsRequest(berth, c.op, JSON.stringify(body));
        assertAwsError(
          res,
          400,
          'InvalidParameterException',
          `${c.op}: 70,000 characters at ${showPath(c.oversized)}`,
        );
        assert.match(String(res.json?.message), /length less than or equal to 65536/);
        assert.ok(res.text.length < 2_000, 'the error does not echo the oversized value');
      });

      const longName = c.longName;
      if (typeof longName === 'string') {
        it('has no name member to make 256 characters long', { skip: longName });
      } else if ('code' in longName) {
        it(`answers a 256-character name (${showPath(longName.path)}) with ${longName.code}`, async () => {
          const body = withValue(c.valid(fx), longName.path, longName.value ?? LONG_NAME);
          const res = await ecsRequest(berth, c.op, JSON.stringify(body));
          assertAwsError(
            res,
            400,
            longName.code,
            `${c.op}: a 256-character name at ${showPath(longName.path)}`,
          );
        });
      } else {
        it(`reports a 256-character name (${showPath(longName.path)}) as a ${longName.failure} failure, as for any unknown name`, async () => {
          const body = withValue(c.valid(fx), longName.path, longName.value ?? LONG_NAME);
          const res = await ecsRequest(berth, c.op, JSON.stringify(body));
          assert.equal(res.status, 200, res.text);
          const failures = res.json?.failures as { arn: string; reason: string }[];
          assert.ok(
            failures.some((f) => f.reason === longName.failure && f.arn.endsWith(`/${LONG_NAME}`)),
            res.text,
          );
        });
      }

      it('answers a body that is not a JSON object with SerializationException', async () => {
        for (const body of MALFORMED_BODIES) {
          const res = await ecsRequest(berth, c.op, body);
          assertAwsError(res, 400, 'SerializationException', `${c.op}: body ${JSON.stringify(body)}`);
        }
        const truncated = JSON.stringify(c.valid(fx)).slice(0, -1);
        assertAwsError(
          await ecsRequest(berth, c.op, truncated),
          400,
          'SerializationException',
          `${c.op}: truncated`,
        );
      });
    });
  }

  describe('values only the handlers check', () => {
    it('refuses NUL in any string, which no ECS name or value can hold, with InvalidParameterException', async () => {
      const cases: [string, string][] = [
        ['DescribeClusters', JSON.stringify({ clusters: ['a\u0000b'] })],
        ['DeleteCluster', JSON.stringify({ cluster: `${fx.cluster}\u0000` })],
        ['ListTagsForResource', JSON.stringify({ resourceArn: `${fx.clusterArn}\u0000` })],
        [
          'PutAccountSetting',
          JSON.stringify({
            name: 'containerInsights',
            value: 'enabled',
            principalArn: 'arn:aws:iam::123456789012:user/a\u0000',
          }),
        ],
      ];
      for (const [op, body] of cases) {
        assertAwsError(await ecsRequest(berth, op, body), 400, 'InvalidParameterException', `${op} ${body}`);
      }
    });

    it('reads a null member as an absent one, as AWS deserializers do', async () => {
      const res = await ecsRequest(
        berth,
        'ListAccountSettings',
        JSON.stringify({ principalArn: null, nextToken: null }),
      );
      assert.equal(res.status, 200, res.text);
      const cluster = await ecsRequest(
        berth,
        'DescribeClusters',
        JSON.stringify({ clusters: [fx.cluster], include: null }),
      );
      assert.equal(cluster.status, 200, cluster.text);
    });

    it('refuses forged pagination tokens with InvalidParameterException', async () => {
      const forged = (key: unknown): string => Buffer.from(JSON.stringify(key)).toString('base64url');
      const cases: [string, string | undefined][] = [
        ['ListClusters', 'not a token'],
        ['ListClusters', forged([{ name: 'a' }])],
        ['ListClusters', forged(['a\u0000'])],
        ['ListTaskDefinitions', forged(['family-only'])],
        ['ListTaskDefinitions', forged([fx.family, 'two'])],
        ['ListTaskDefinitions', forged([fx.family, 1.5])],
        ['ListTaskDefinitionFamilies', forged('a string')],
        ['ListAccountSettings', forged([null])],
      ];
      for (const [op, nextToken] of cases) {
        const res = await ecsRequest(berth, op, JSON.stringify({ nextToken }));
        assertAwsError(res, 400, 'InvalidParameterException', `${op} nextToken ${String(nextToken)}`);
      }
    });

    it('ignores members outside the model: they are neither stored nor echoed', async () => {
      const body = `{"clusters":["${fx.cluster}"],"include":["TAGS"],"extra":{"deep":[[[1]]]},"__proto__":{"x":1}}`;
      const res = await ecsRequest(berth, 'DescribeClusters', body);
      assert.equal(res.status, 200, res.text);
      assert.doesNotMatch(res.text, /deep|extra/);
    });
  });

  it('leaves clusters, task definitions, tags and account settings exactly as they were', async () => {
    assert.deepEqual(await observableState(ecs, fx), before_);
  });
});
