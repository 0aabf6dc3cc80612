import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTaskDefinition } from '../../src/core/ecs/task-definition/register.js';
import { Fault } from '../../src/core/fault.js';
import { checkDefinitionConstraints, combineConstraints } from '../../src/core/placement/constraints.js';
import { compileQuery } from '../../src/core/placement/query-eval.js';

/** Placement constraints as ECS checks and combines them (task definition + RunTask/service). */
const faultOf = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    if (err instanceof Fault) return `${err.code}: ${err.message}`;
    throw err;
  }
  return assert.fail('no fault');
};

describe('placement constraints', () => {
  it("combines the definition's memberOf with the call's memberOf and distinctInstance", () => {
    const combined = combineConstraints(
      [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }],
      [{ type: 'memberOf', expression: 'attribute:EBS == io1' }, { type: 'distinctInstance' }],
    );
    assert.equal(combined.memberOf.length, 2);
    assert.equal(combined.distinctInstance, true);
    const [byType, byEbs] = combined.memberOf.map((q) => compileQuery(q));
    const view = { attributes: { 'ecs.instance-type': 't2.micro', EBS: 'io1' }, agentConnected: true };
    assert.ok(byType?.(view) && byEbs?.(view));
    assert.deepEqual(combineConstraints([], []), { memberOf: [], distinctInstance: false });
  });

  it('refuses what ECS refuses, with an InvalidParameterException saying what to change', () => {
    const eleven = Array.from({ length: 11 }, () => ({ type: 'memberOf', expression: 'attribute:a exists' }));
    const cases: [() => unknown, RegExp][] = [
      [() => combineConstraints(eleven.slice(0, 6), eleven.slice(0, 5)), /At most 10/],
      [() => combineConstraints([], [{ type: 'spread' }]), /Unknown placement constraint type 'spread'/],
      [() => combineConstraints([], [{ type: 'memberOf' }]), /needs an expression/],
      [() => combineConstraints([], [{ type: 'memberOf', expression: 'attribute:a ==' }]), /at character/],
      [() => combineConstraints([], [{ type: 'distinctInstance', expression: 'x' }]), /takes no expression/],
      [() => checkDefinitionConstraints([{ type: 'distinctInstance' }]), /not supported in task definitions/],
      [() => checkDefinitionConstraints(eleven), /at most 10/i],
    ];
    for (const [run, message] of cases) {
      const fault = faultOf(run);
      assert.match(fault, /^InvalidParameterException: /);
      assert.match(fault, message);
    }
  });

  it('RegisterTaskDefinition checks its constraints', () => {
    const input = {
      family: 'web',
      containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64 }],
    };
    assert.match(
      faultOf(() =>
        // The SDK's type allows only memberOf; a raw request may still send distinctInstance.
        buildTaskDefinition({ ...input, placementConstraints: [{ type: 'distinctInstance' as 'memberOf' }] }),
      ),
      /distinctInstance/,
    );
    assert.match(
      faultOf(() =>
        buildTaskDefinition({
          ...input,
          placementConstraints: [{ type: 'memberOf', expression: 'nope == 1' }],
        }),
      ),
      /^InvalidParameterException: .*at character 1/,
    );
  });
});
