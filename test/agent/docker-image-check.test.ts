import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { DockerRuntime } from '../../src/agent/runtime/docker.js';

/**
 * `DockerRuntime.ensureImage` skips the image inspect for `prefer-cached` (and `once`) when it found
 * the image present moments ago, and checks again after a create that Docker answers 404. Over a
 * stub of the few dockerode calls involved (no engine needed).
 */
function stubDocker(): { docker: Docker; inspects: () => number; present: (yes: boolean) => void } {
  let inspects = 0;
  let present = true;
  const notFound = (): Error => Object.assign(new Error('No such image'), { statusCode: 404 });
  const docker = {
    getImage: () => ({
      inspect: () => {
        inspects++;
        return present ? Promise.resolve({ Id: 'sha256:abc', RepoDigests: [] }) : Promise.reject(notFound());
      },
    }),
    createContainer: () => Promise.reject(notFound()),
  } as unknown as Docker;
  return { docker, inspects: () => inspects, present: (yes) => (present = yes) };
}

describe('DockerRuntime image check', () => {
  it('inspects a prefer-cached image once within imagePresentForMs', async () => {
    const stub = stubDocker();
    const rt = new DockerRuntime({ docker: stub.docker, imagePresentForMs: 60_000 });
    const first = await rt.ensureImage('busybox:1', 'prefer-cached');
    const second = await rt.ensureImage('busybox:1', 'prefer-cached');
    assert.deepEqual(second, first);
    assert.deepEqual(first, { imageId: 'sha256:abc', pulled: false });
    assert.equal(stub.inspects(), 1);
  });

  it('inspects every time with imagePresentForMs 0', async () => {
    const stub = stubDocker();
    const rt = new DockerRuntime({ docker: stub.docker, imagePresentForMs: 0 });
    await rt.ensureImage('busybox:1', 'prefer-cached');
    await rt.ensureImage('busybox:1', 'prefer-cached');
    assert.equal(stub.inspects(), 2);
  });

  it('checks again after a create that Docker answers 404', async () => {
    const stub = stubDocker();
    const rt = new DockerRuntime({ docker: stub.docker, imagePresentForMs: 60_000 });
    await rt.ensureImage('busybox:1', 'prefer-cached');
    stub.present(false);
    await assert.rejects(
      rt.create({ name: 'x', image: 'busybox:1', labels: {} }),
      /CannotCreateContainerError/,
    );
    assert.equal(stub.inspects(), 1);
    // Not present now, and no registry in the stub: the pull fails, after a fresh inspect.
    await assert.rejects(rt.ensureImage('busybox:1', 'prefer-cached'));
    assert.equal(stub.inspects(), 2);
  });

  it('does not skip the inspect for once when this runtime never pulled the image', async () => {
    const stub = stubDocker();
    const rt = new DockerRuntime({ docker: stub.docker, imagePresentForMs: 60_000 });
    await rt.ensureImage('busybox:1', 'prefer-cached');
    await assert.rejects(rt.ensureImage('busybox:1', 'once')); // would pull: no registry in the stub
    assert.equal(stub.inspects(), 2);
  });
});
