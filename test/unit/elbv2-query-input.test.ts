import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SHAPES } from '../../src/api/elbv2/shapes.js';
import { decodeQueryInput } from '../../src/api/protocol/query-input.js';

/** The awsQuery decoder over ELBv2's shapes: form parameters in, the operation's input out. */

const params = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('awsQuery input decoding', () => {
  it('decodes nested lists of structures, integers and booleans in member order', () => {
    const input = decodeQueryInput(
      SHAPES.CreateListener,
      params({
        LoadBalancerArn: 'arn:lb',
        Port: '80',
        'DefaultActions.member.2.Type': 'fixed-response',
        'DefaultActions.member.2.FixedResponseConfig.StatusCode': '404',
        'DefaultActions.member.1.Type': 'forward',
        'DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn': 'arn:tg',
        'DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight': '3',
        'DefaultActions.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled': 'false',
        Unmodelled: 'ignored',
      }),
    );
    assert.deepEqual(input, {
      LoadBalancerArn: 'arn:lb',
      Port: 80,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [{ TargetGroupArn: 'arn:tg', Weight: 3 }],
            TargetGroupStickinessConfig: { Enabled: false },
          },
        },
        { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } },
      ],
    });
  });

  it('reads `Names=` as an empty list and leaves absent members out', () => {
    assert.deepEqual(decodeQueryInput(SHAPES.DescribeLoadBalancers, params({ Names: '' })), { Names: [] });
    assert.deepEqual(decodeQueryInput(SHAPES.DescribeLoadBalancers, params({})), {});
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['a missing required member', {}, /Value null at 'loadBalancerArn'/],
    [
      'an integer that is not one',
      { LoadBalancerArn: 'a', Port: 'eighty', 'DefaultActions.member.1.Type': 'x' },
      /'eighty' at 'port'/,
    ],
    ['a NUL character', { LoadBalancerArn: 'a\u0000', 'DefaultActions.member.1.Type': 'x' }, /NUL/],
    [
      'a present structure without its required member',
      {
        LoadBalancerArn: 'a',
        'DefaultActions.member.1.Type': 'redirect',
        'DefaultActions.member.1.RedirectConfig.Host': 'h',
      },
      /defaultActions\.1\.member\.redirectConfig\.statusCode/,
    ],
  ];
  for (const [name, given, message] of bad) {
    it(`answers ValidationError for ${name}`, () => {
      assert.throws(
        () => decodeQueryInput(SHAPES.CreateListener, params(given)),
        (err: Error & { code?: string }) => err.code === 'ValidationError' && message.test(err.message),
      );
    });
  }
});
