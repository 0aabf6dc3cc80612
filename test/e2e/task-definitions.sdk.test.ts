import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  ClientException,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { webWithSidecar } from '../support/fixtures.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

describe('task definitions through @aws-sdk/client-ecs', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
  });
  after(() => berth.close());

  it('registers three revisions of a multi-container definition and describes each as registered', async () => {
    const family = uniqueName('web');
    const revisions = [];
    for (const tag of ['1.0', '1.1', '1.2']) {
      const out = await ecs.send(new RegisterTaskDefinitionCommand(webWithSidecar(family, tag)));
      revisions.push(out.taskDefinition!);
      assert.deepEqual(out.tags, [{ key: 'team', value: 'web' }]);
    }
    assert.deepEqual(
      revisions.map((r) => r.revision),
      [1, 2, 3],
    );
    const third = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }),
    );
    const td = third.taskDefinition!;
    assert.equal(td.taskDefinitionArn, `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:3`);
    assert.equal(td.status, 'ACTIVE');
    assert.ok(td.registeredAt instanceof Date);
    assert.equal(td.registeredBy, 'arn:aws:iam::123456789012:user/berth-admin');
    const web = td.containerDefinitions!.find((c) => c.name === 'web')!;
    assert.equal(web.image, 'registry.local/web:1.2');
    assert.deepEqual(web.portMappings, [
      { containerPort: 8080, hostPort: 0, protocol: 'tcp', name: 'http', appProtocol: 'http' },
    ]);
    assert.equal(web.secrets?.length, 2);
    assert.deepEqual(web.healthCheck?.command, [
      'CMD-SHELL',
      'wget -q -O- http://localhost:8080/health || exit 1',
    ]);
    assert.equal(web.logConfiguration?.options?.['awslogs-group'], '/ecs/web');
    const sidecar = td.containerDefinitions!.find((c) => c.name === 'log-router')!;
    assert.equal(sidecar.essential, false);
    assert.equal(sidecar.cpu, 0, 'ECS fills in cpu 0 when a container sets none');
    assert.deepEqual(
      td.volumes?.map((v) => v.name),
      ['shared-logs', 'config'],
    );
    assert.deepEqual(third.tags, [{ key: 'team', value: 'web' }]);
    assert.ok(td.requiresAttributes?.some((a) => a.name === 'ecs.capability.container-health-check'));
    assert.ok(
      td.requiresAttributes?.some((a) => a.name === 'ecs.capability.secrets.asm.environment-variables'),
    );

    const byRevision = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${family}:1` }));
    assert.equal(byRevision.taskDefinition?.containerDefinitions?.[0]?.image, 'registry.local/web:1.0');
    assert.equal(byRevision.tags, undefined, 'tags only come back with include: TAGS');
  });

  it('lists, deregisters and deletes revisions; numbers are never reused', async () => {
    const family = uniqueName('api');
    for (let i = 0; i < 3; i++) await ecs.send(new RegisterTaskDefinitionCommand(webWithSidecar(family)));
    const listed = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, sort: 'DESC' }));
    assert.deepEqual(
      listed.taskDefinitionArns?.map((a) => a.split(':').pop()),
      ['3', '2', '1'],
    );
    const dereg = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `${family}:3` }));
    assert.equal(dereg.taskDefinition?.status, 'INACTIVE');
    assert.ok(dereg.taskDefinition?.deregisteredAt instanceof Date);
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
    assert.equal(latest.taskDefinition?.revision, 2, 'a bare family means its latest ACTIVE revision');
    const inactive = await ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'INACTIVE' }),
    );
    assert.equal(inactive.taskDefinitionArns?.length, 1);

    const refused = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [`${family}:2`] }));
    assert.equal(refused.taskDefinitions?.length, 0);
    assert.equal(refused.failures?.length, 1, 'an ACTIVE revision cannot be deleted');
    const deleted = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [`${family}:3`] }));
    assert.equal(deleted.taskDefinitions?.[0]?.status, 'DELETE_IN_PROGRESS');

    const next = await ecs.send(new RegisterTaskDefinitionCommand(webWithSidecar(family)));
    assert.equal(next.taskDefinition?.revision, 4);
    const families = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: family }));
    assert.deepEqual(families.families, [family]);
  });

  it('refuses a definition whose mount point names no declared volume, and stores nothing', async () => {
    const family = uniqueName('bad');
    const input = webWithSidecar(family);
    input.containerDefinitions![0]!.mountPoints = [{ sourceVolume: 'missing', containerPath: '/x' }];
    await assert.rejects(ecs.send(new RegisterTaskDefinitionCommand(input)), (err: unknown) => {
      assert.ok(err instanceof ClientException);
      assert.match(err.message, /sourceVolume 'missing'/);
      return true;
    });
    const families = await ecs.send(
      new ListTaskDefinitionFamiliesCommand({ familyPrefix: family, status: 'ALL' }),
    );
    assert.deepEqual(families.families, []);
  });
});
