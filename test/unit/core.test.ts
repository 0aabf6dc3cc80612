import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArn } from '../../src/core/arn.js';
import { checkStrategy, mergeSettings } from '../../src/core/ecs/cluster.js';
import { mergeTags, validateTags } from '../../src/core/ecs/tags.js';
import { Fault } from '../../src/core/fault.js';
import { decodeToken, encodeToken, page, pageSize } from '../../src/core/pagination.js';

const faultCode = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Fault);
    return error.code;
  }
  return 'accepted';
};

describe('pagination', () => {
  it('round-trips a token and refuses a forged one', () => {
    assert.deepEqual(decodeToken(encodeToken(['web', 3])), ['web', 3]);
    assert.equal(
      faultCode(() => decodeToken('not-a-token')),
      'InvalidParameterException',
    );
  });
  it('pages with one extra row and tokens the last key', () => {
    const { items, nextToken } = page([1, 2, 3], 2, (n) => [n]);
    assert.deepEqual(items, [1, 2]);
    assert.deepEqual(decodeToken(nextToken), [2]);
    assert.equal(page([1, 2], 2, (n) => [n]).nextToken, undefined);
  });
  it('bounds maxResults to 1..100', () => {
    assert.equal(pageSize(undefined), 100);
    assert.equal(
      faultCode(() => pageSize(0)),
      'InvalidParameterException',
    );
    assert.equal(
      faultCode(() => pageSize(101)),
      'InvalidParameterException',
    );
  });
});

describe('tags', () => {
  it('refuses the reserved aws: prefix, long keys and more than 50 tags', () => {
    assert.equal(
      faultCode(() => validateTags([{ key: 'aws:x', value: '1' }])),
      'InvalidParameterException',
    );
    assert.equal(
      faultCode(() => validateTags([{ key: 'k'.repeat(129), value: '' }])),
      'InvalidParameterException',
    );
    assert.equal(
      faultCode(() => validateTags([{ key: 'k', value: 'v'.repeat(257) }])),
      'InvalidParameterException',
    );
    const many = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: '' }));
    assert.equal(
      faultCode(() => validateTags(many)),
      'InvalidParameterException',
    );
  });
  it('merges new values over old ones', () => {
    assert.deepEqual(
      mergeTags(
        [{ key: 'a', value: '1' }],
        [
          { key: 'a', value: '2' },
          { key: 'b', value: '3' },
        ],
      ),
      [
        { key: 'a', value: '2' },
        { key: 'b', value: '3' },
      ],
    );
  });
});

describe('clusters', () => {
  it('accepts containerInsights values and refuses others', () => {
    assert.deepEqual(mergeSettings([], [{ name: 'containerInsights', value: 'enhanced' }]), [
      { name: 'containerInsights', value: 'enhanced' },
    ]);
    assert.equal(
      faultCode(() => mergeSettings([], [{ name: 'containerInsights', value: 'on' }])),
      'InvalidParameterException',
    );
  });
  it('checks strategies against the cluster providers, with at most one base', () => {
    assert.equal(
      faultCode(() => checkStrategy([{ capacityProvider: 'X' }], ['FARGATE'])),
      'InvalidParameterException',
    );
    assert.equal(
      faultCode(() =>
        checkStrategy(
          [
            { capacityProvider: 'FARGATE', base: 1 },
            { capacityProvider: 'FARGATE_SPOT', base: 2 },
          ],
          ['FARGATE', 'FARGATE_SPOT'],
        ),
      ),
      'InvalidParameterException',
    );
    assert.equal(
      faultCode(() => checkStrategy([{ capacityProvider: 'FARGATE', weight: 1, base: 2 }], ['FARGATE'])),
      'accepted',
    );
  });
});

describe('ARNs', () => {
  it('parses resources that contain colons', () => {
    assert.deepEqual(parseArn('arn:aws:ecs:us-east-1:123:task-definition/web:3'), {
      partition: 'aws',
      service: 'ecs',
      region: 'us-east-1',
      accountId: '123',
      resource: 'task-definition/web:3',
    });
    assert.equal(parseArn('not-an-arn'), undefined);
  });
});
