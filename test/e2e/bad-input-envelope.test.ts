import type { ECSClient } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  assertAwsError,
  assertQueryError,
  createFixture,
  observableState,
  type Fixture,
} from '../support/bad-input.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ECS_TARGET,
  presignedRequest,
  send,
  signRequest,
  signatureOf,
  signedRequest,
  type RawRequest,
  type SignOptions,
} from '../support/signed.js';

/**
 * What goes wrong before an operation runs: routing (X-Amz-Target), SigV4 (header and presigned
 * forms, clock skew, credential scope) and body size. Each answer is the error AWS gives, in the
 * protocol's shape (awsJson `__type` for ECS, `<ErrorResponse>` XML for STS), and nothing changes.
 */

const MINUTE = 60_000;
const LIST_CLUSTERS: RawRequest = { target: `${ECS_TARGET}.ListClusters`, body: '{}' };
const CALLER_IDENTITY: RawRequest = {
  body: 'Action=GetCallerIdentity&Version=2011-06-15',
  contentType: 'application/x-www-form-urlencoded; charset=utf-8',
};

describe('bad requests around the operations: routing, SigV4, body size', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  let fx: Fixture;
  let state: unknown;
  let signing: SignOptions;
  let sts: SignOptions;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
    fx = await createFixture(ecs, 'bad-envelope');
    state = await observableState(ecs, fx);
    signing = { credentials: berth.credentials, region: berth.region };
    sts = { ...signing, service: 'sts' };
  });
  after(() => berth.close());

  describe('routing', () => {
    it('answers an operation ECS does not have with UnknownOperationException (400)', async () => {
      const res = await signedRequest(
        berth.endpoint,
        { target: `${ECS_TARGET}.LaunchRockets`, body: '{}' },
        signing,
      );
      assertAwsError(res, 400, 'UnknownOperationException');
      assert.match(String(res.json?.message), /LaunchRockets/);
    });

    it('answers a target prefix no service has with UnknownOperationException (400)', async () => {
      for (const target of [
        'AmazonEC2ContainerServiceV20990101.ListClusters',
        'DynamoDB_20120810.ListTables',
        'ListClusters',
        `${ECS_TARGET}.`,
        '.',
      ]) {
        const res = await signedRequest(berth.endpoint, { target, body: '{}' }, signing);
        assertAwsError(res, 400, 'UnknownOperationException', `X-Amz-Target: ${target}`);
      }
    });

    it('answers a Query action STS does not have with InvalidAction (400, XML)', async () => {
      const res = await signedRequest(
        berth.endpoint,
        { ...CALLER_IDENTITY, body: 'Action=LaunchRockets&Version=2011-06-15' },
        sts,
      );
      assertQueryError(res, 400, 'InvalidAction');
      const missing = await signedRequest(
        berth.endpoint,
        { ...CALLER_IDENTITY, body: 'Version=2011-06-15' },
        sts,
      );
      assertQueryError(missing, 400, 'MissingAction');
    });
  });

  describe('SigV4 in the Authorization header', () => {
    it('answers GetCallerIdentity and ListClusters when signed right (the control case)', async () => {
      const identity = await signedRequest(berth.endpoint, CALLER_IDENTITY, sts);
      assert.equal(identity.status, 200, identity.text);
      assert.match(identity.text, /<Arn>arn:aws:iam::123456789012:user\/berth-admin<\/Arn>/);
      assert.equal((await signedRequest(berth.endpoint, LIST_CLUSTERS, signing)).status, 200);
    });

    it('answers an unsigned request with MissingAuthenticationTokenException (403)', async () => {
      assertAwsError(
        await signedRequest(berth.endpoint, LIST_CLUSTERS, undefined),
        403,
        'MissingAuthenticationTokenException',
      );
      assertQueryError(
        await signedRequest(berth.endpoint, CALLER_IDENTITY, undefined),
        403,
        'MissingAuthenticationToken',
      );
    });

    it('answers an Authorization header that is not SigV4, or lacks X-Amz-Date, with IncompleteSignatureException (403)', async () => {
      const bearer = await signedRequest(
        berth.endpoint,
        { ...LIST_CLUSTERS, headers: { authorization: 'Bearer abc' } },
        undefined,
      );
      assertAwsError(bearer, 403, 'IncompleteSignatureException');
      const signed = await signRequest(berth.endpoint, LIST_CLUSTERS, signing);
      delete signed.headers['x-amz-date'];
      assertAwsError(await send(berth.endpoint, signed), 403, 'IncompleteSignatureException');
    });

    it('answers a signature with one hex digit changed with InvalidSignatureException (403)', async () => {
      const signed = await signRequest(berth.endpoint, LIST_CLUSTERS, signing);
      const signature = signatureOf(signed);
      const tampered = (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1);
      signed.headers.authorization = signed.headers.authorization!.replace(signature, tampered);
      assertAwsError(await send(berth.endpoint, signed), 403, 'InvalidSignatureException');
    });

    it('answers a body changed after signing with InvalidSignatureException (403)', async () => {
      // Signed to delete a cluster that does not exist; sent to delete the fixture's cluster.
      const request = {
        target: `${ECS_TARGET}.DeleteCluster`,
        body: JSON.stringify({ cluster: 'no-such-cluster' }),
      };
      const changed = JSON.stringify({ cluster: fx.cluster });
      const signed = await signRequest(berth.endpoint, request, signing);
      signed.body = changed;
      assertAwsError(
        await send(berth.endpoint, signed),
        403,
        'InvalidSignatureException',
        'with x-amz-content-sha256',
      );
      const unhashed = await signRequest(berth.endpoint, request, signing);
      unhashed.body = changed;
      delete unhashed.headers['x-amz-content-sha256'];
      assertAwsError(
        await send(berth.endpoint, unhashed),
        403,
        'InvalidSignatureException',
        'without x-amz-content-sha256',
      );
    });

    it('answers a request signed with the wrong secret key with InvalidSignatureException / SignatureDoesNotMatch (403)', async () => {
      const wrong = { ...signing, credentials: { ...berth.credentials, secretAccessKey: 'not-the-secret' } };
      assertAwsError(
        await signedRequest(berth.endpoint, LIST_CLUSTERS, wrong),
        403,
        'InvalidSignatureException',
      );
      assertQueryError(
        await signedRequest(berth.endpoint, CALLER_IDENTITY, { ...wrong, service: 'sts' }),
        403,
        'SignatureDoesNotMatch',
      );
    });

    it('answers an access key nobody has with UnrecognizedClientException / InvalidClientTokenId (403)', async () => {
      const unknown = {
        ...signing,
        credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
      };
      assertAwsError(
        await signedRequest(berth.endpoint, LIST_CLUSTERS, unknown),
        403,
        'UnrecognizedClientException',
      );
      assertQueryError(
        await signedRequest(berth.endpoint, CALLER_IDENTITY, { ...unknown, service: 'sts' }),
        403,
        'InvalidClientTokenId',
      );
    });

    it('answers a request signed 20 minutes ago with 403: the signature expired', async () => {
      const stale = { ...signing, signingDate: new Date(Date.now() - 20 * MINUTE) };
      const res = await signedRequest(berth.endpoint, LIST_CLUSTERS, stale);
      assertAwsError(res, 403, 'InvalidSignatureException');
      assert.match(String(res.json?.message), /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
      const query = await signedRequest(berth.endpoint, CALLER_IDENTITY, { ...stale, service: 'sts' });
      assertQueryError(query, 403, 'SignatureDoesNotMatch');
      assert.match(query.text, /Signature expired/);
    });

    it('answers a request signed 20 minutes in the future with 403: the signature is not yet current', async () => {
      const res = await signedRequest(berth.endpoint, LIST_CLUSTERS, {
        ...signing,
        signingDate: new Date(Date.now() + 20 * MINUTE),
      });
      assertAwsError(res, 403, 'InvalidSignatureException');
      assert.match(String(res.json?.message), /^Signature not yet current/);
    });

    it('accepts a clock 10 minutes off either way (AWS allows 15)', async () => {
      for (const skew of [-10 * MINUTE, 10 * MINUTE]) {
        const res = await signedRequest(berth.endpoint, LIST_CLUSTERS, {
          ...signing,
          signingDate: new Date(Date.now() + skew),
        });
        assert.equal(res.status, 200, `${skew / MINUTE} minutes: ${res.text}`);
      }
    });

    it('answers a credential scoped to another region with InvalidSignatureException (403)', async () => {
      const res = await signedRequest(berth.endpoint, LIST_CLUSTERS, { ...signing, region: 'eu-west-1' });
      assertAwsError(res, 403, 'InvalidSignatureException');
      assert.match(String(res.json?.message), /scoped to a valid region.*eu-west-1/);
    });

    it('answers a credential scoped to another service with InvalidSignatureException (403)', async () => {
      for (const service of ['sts', 'ec2', 'elasticloadbalancing']) {
        const res = await signedRequest(berth.endpoint, LIST_CLUSTERS, { ...signing, service });
        assertAwsError(res, 403, 'InvalidSignatureException', `scoped to ${service}`);
        assert.match(String(res.json?.message), /scoped to correct service: 'ecs'/);
      }
    });
  });

  describe('SigV4 in the query string (presigned URLs)', () => {
    const identityQuery = { Action: 'GetCallerIdentity', Version: '2011-06-15' };

    it('answers a GET presigned for sts GetCallerIdentity with the caller', async () => {
      const presigned = await presignedRequest(
        berth.endpoint,
        { query: identityQuery },
        { ...sts, expiresIn: 60 },
      );
      assert.ok(presigned.query['X-Amz-Signature'], 'the signature is in the query');
      assert.equal(presigned.headers.authorization, undefined);
      const res = await send(berth.endpoint, presigned);
      assert.equal(res.status, 200, res.text);
      assert.match(
        res.text,
        /<GetCallerIdentityResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">/,
      );
      assert.match(res.text, /<Account>123456789012<\/Account>/);
      assert.match(res.text, /<UserId>AKIA/);
    });

    it('refuses a presigned URL past its expiry with 403 SignatureDoesNotMatch', async () => {
      const presigned = await presignedRequest(
        berth.endpoint,
        { query: identityQuery },
        { ...sts, expiresIn: 60, signingDate: new Date(Date.now() - 5 * MINUTE) },
      );
      const res = await send(berth.endpoint, presigned);
      assertQueryError(res, 403, 'SignatureDoesNotMatch');
      assert.match(res.text, /expired/);
    });

    it('refuses a presigned URL whose parameters or signature were changed with 403 SignatureDoesNotMatch', async () => {
      const presigned = await presignedRequest(
        berth.endpoint,
        { query: identityQuery },
        { ...sts, expiresIn: 60 },
      );
      const changed = {
        ...presigned,
        query: { ...presigned.query, Version: '2011-06-16' },
      };
      assertQueryError(await send(berth.endpoint, changed), 403, 'SignatureDoesNotMatch', 'Version changed');
      const signature = String(presigned.query['X-Amz-Signature']);
      const flipped = {
        ...presigned,
        query: {
          ...presigned.query,
          'X-Amz-Signature': signature.replace(/^./, (c) => (c === '0' ? '1' : '0')),
        },
      };
      assertQueryError(
        await send(berth.endpoint, flipped),
        403,
        'SignatureDoesNotMatch',
        'signature changed',
      );
    });

    it('refuses presigned parameters that are missing or out of range with 403 IncompleteSignature', async () => {
      const presigned = await presignedRequest(
        berth.endpoint,
        { query: identityQuery },
        { ...sts, expiresIn: 60 },
      );
      for (const [name, value] of [
        ['X-Amz-Expires', '0'],
        ['X-Amz-Expires', '604801'],
        ['X-Amz-Expires', 'soon'],
        ['X-Amz-Algorithm', 'AWS4-HMAC-SHA1'],
        ['X-Amz-Date', 'yesterday'],
        ['X-Amz-Credential', 'AKIA/only/three'],
      ] as const) {
        const broken = { ...presigned, query: { ...presigned.query, [name]: value } };
        assertQueryError(await send(berth.endpoint, broken), 403, 'IncompleteSignature', `${name}=${value}`);
      }
    });
  });

  describe('body size', () => {
    const MiB = 1024 * 1024;
    /** `{"x":"aaa…"}` of exactly `size` bytes: ignored by ListClusters when it gets through. */
    const bodyOf = (size: number): string => `{"x":"${'a'.repeat(size - 8)}"}`;

    it('accepts a body of exactly 1 MiB', async () => {
      const res = await signedRequest(berth.endpoint, { ...LIST_CLUSTERS, body: bodyOf(MiB) }, signing);
      assert.equal(res.status, 200, res.text.slice(0, 300));
    });

    it('answers a body over 1 MiB with RequestEntityTooLargeException (413), signed or not', async () => {
      for (const options of [signing, undefined]) {
        const res = await signedRequest(berth.endpoint, { ...LIST_CLUSTERS, body: bodyOf(MiB + 1) }, options);
        assertAwsError(res, 413, 'RequestEntityTooLargeException', options ? 'signed' : 'unsigned');
      }
      const huge = await signedRequest(
        berth.endpoint,
        { ...LIST_CLUSTERS, body: bodyOf(5 * MiB) },
        undefined,
      );
      assertAwsError(huge, 413, 'RequestEntityTooLargeException', '5 MiB');
    });

    it('answers a chunked body that grows past 1 MiB with 413, and keeps serving', async () => {
      const url = new URL(berth.endpoint);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: '/',
            headers: {
              'content-type': 'application/x-amz-json-1.1',
              'x-amz-target': `${ECS_TARGET}.ListClusters`,
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        const chunk = 'a'.repeat(64 * 1024);
        for (let i = 0; i < 20; i++) req.write(chunk);
        req.end();
      });
      assert.equal(status, 413);
      assert.equal((await signedRequest(berth.endpoint, LIST_CLUSTERS, signing)).status, 200);
    });
  });

  it('leaves clusters, task definitions, tags and account settings exactly as they were', async () => {
    assert.deepEqual(await observableState(ecs, fx), state);
    const health = await fetch(`${berth.endpoint}/health`);
    assert.equal(health.status, 200);
  });
});
