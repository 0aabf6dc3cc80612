import Docker from 'dockerode';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DOCKER_API_VERSION } from '../../src/agent/runtime/docker.js';
import { ensureTestImage } from './images.js';

/**
 * A Docker engine of the test's own: its own socket, data root and exec root, and its own network
 * namespace (`unshare --net`), with no bridge and no iptables rules (containers use `host` or
 * `none` networking, inside that namespace). The machine's shared dockerd is used by every test at
 * once, so the fault tests that restart an engine restart this one instead. The namespace matters:
 * a dockerd started with `--bridge none` deletes any `docker0` it can see — in the host namespace,
 * the shared daemon's bridge. Needs root, `dockerd` and `unshare`; `skipReason()` says what is missing.
 */
export class PrivateDockerd {
  /** Short: containerd's socket path under the exec root must stay under 104 bytes. */
  readonly dir = `/tmp/bd-${randomBytes(4).toString('hex')}`;
  readonly socket = `${this.dir}/d.sock`;
  readonly host = `unix://${this.socket}`;
  private child: ChildProcess | undefined;

  static skipReason(): string | false {
    if (process.getuid?.() !== 0) return 'a private dockerd needs root';
    const found = spawnSync('sh', ['-c', 'command -v dockerd && command -v unshare'], { encoding: 'utf8' });
    if (found.status !== 0) return 'no dockerd or unshare binary (apt-get install docker.io util-linux)';
    return false;
  }

  docker(): Docker {
    return new Docker({ socketPath: this.socket, version: DOCKER_API_VERSION });
  }

  /** Starts the engine and waits until it answers; the first start also builds the test image. */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const child = spawn(
      'unshare',
      [
        '--net',
        '--',
        'dockerd',
        '--host',
        this.host,
        '--data-root',
        `${this.dir}/root`,
        '--exec-root',
        `${this.dir}/x`,
        '--pidfile',
        `${this.dir}/d.pid`,
        '--bridge',
        'none',
        '--iptables=false',
        '--ip6tables=false',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    const docker = this.docker();
    for (let i = 0; ; i++) {
      try {
        await docker.ping();
        break;
      } catch (err) {
        if (child.exitCode !== null || i > 150)
          throw new Error(`private dockerd did not start: ${String(err)}`);
        await sleep(200);
      }
    }
    await ensureTestImage(docker);
  }

  /** Stops the engine as a service manager does (SIGTERM: running containers are killed). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the engine, removing its containers first, and deletes everything it kept. */
  async dispose(): Promise<void> {
    if (this.child !== undefined) {
      const docker = this.docker();
      const all = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(
        all.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
    }
    await this.stop();
    // Mounts the engine may have left under its root (overlay layers) must go before the files.
    spawnSync('sh', ['-c', `grep -o ' ${this.dir}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}
