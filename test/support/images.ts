import Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { DOCKER_API_VERSION } from '../../src/agent/runtime/docker.js';

/**
 * The test image, built offline: `FROM scratch` plus Debian's static busybox (package
 * `busybox-static`, at /bin/busybox), with applet symlinks for what tests run (sh, httpd, sleep …)
 * and a page for httpd at /www/index.html. Built once per machine and content (the tag is reused;
 * the `berth.test.content` label tells when the content changed); concurrent builds are harmless.
 *
 * Environment:
 * - `BERTH_TEST_BUSYBOX` (default /bin/busybox): the static busybox binary to put in the image.
 * - `BERTH_TEST_REQUIRE_DOCKER=1` (CI): Docker cases never skip; an unreachable daemon fails them.
 */
export const TEST_IMAGE = 'berth-test/busybox:1';
export const TEST_PAGE = 'berth-test ok\n';
export const REQUIRE_DOCKER_ENV = 'BERTH_TEST_REQUIRE_DOCKER';

const APPLETS = [
  'sh',
  'httpd',
  'sleep',
  'wget',
  'cat',
  'echo',
  'true',
  'false',
  'kill',
  'head',
  'dd',
  'ls',
  'env',
  'id',
  'ps',
  'yes',
  'touch',
  'test',
  'nc',
  'hostname',
  'printf',
];

export function testDocker(): Docker {
  return new Docker({ version: DOCKER_API_VERSION });
}

/** Why Docker cases must skip (no daemon answering), or false when they run. */
export async function dockerSkipReason(docker: Docker = testDocker()): Promise<string | false> {
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref()),
    ]);
    return false;
  } catch (err) {
    const reason = `no Docker daemon answers (${(err as Error).message}); set DOCKER_HOST or start dockerd`;
    if (process.env[REQUIRE_DOCKER_ENV] === '1') throw new Error(`${REQUIRE_DOCKER_ENV}=1 but ${reason}`);
    return reason;
  }
}

/** Builds TEST_IMAGE unless an image with the same content is already tagged; returns the tag. */
export async function ensureTestImage(docker: Docker = testDocker()): Promise<string> {
  const context = buildContext();
  const contentHash = createHash('sha256').update(context).digest('hex').slice(0, 16);
  try {
    const info = await docker.getImage(TEST_IMAGE).inspect();
    if (info.Config.Labels?.['berth.test.content'] === contentHash) return TEST_IMAGE;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const stream = await docker.buildImage(Readable.from([context]), {
    t: TEST_IMAGE,
    labels: { 'berth.test': '1', 'berth.test.content': contentHash },
    rm: true,
    forcerm: true,
  });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = output.find((line) => line.error !== undefined);
      if (err) reject(err);
      else if (failed) reject(new Error(`building ${TEST_IMAGE}: ${failed.error}`));
      else resolve();
    });
  });
  return TEST_IMAGE;
}

/** The build context: a tar with the Dockerfile and the root file system under rootfs/. */
function buildContext(): Buffer {
  const busybox = readFileSync(process.env['BERTH_TEST_BUSYBOX'] ?? '/bin/busybox');
  const tar = new TarWriter();
  tar.file('Dockerfile', 'FROM scratch\nCOPY rootfs/ /\nCMD ["/bin/sh"]\n');
  tar.dir('rootfs/');
  tar.dir('rootfs/bin/');
  tar.file('rootfs/bin/busybox', busybox, 0o755);
  for (const applet of APPLETS) tar.symlink(`rootfs/bin/${applet}`, 'busybox');
  tar.dir('rootfs/tmp/', 0o1777);
  tar.dir('rootfs/www/');
  tar.file('rootfs/www/index.html', TEST_PAGE);
  tar.dir('rootfs/etc/');
  tar.file('rootfs/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  tar.file('rootfs/etc/group', 'root:x:0:\nnogroup:x:65534:\n');
  return tar.finish();
}

/** A minimal ustar writer: regular files, directories and symlinks, fixed mtime (reproducible). */
class TarWriter {
  private readonly blocks: Buffer[] = [];

  file(name: string, content: string | Buffer, mode = 0o644): void {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    this.blocks.push(header(name, mode, data.length, '0', ''), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad > 0) this.blocks.push(Buffer.alloc(pad));
  }

  dir(name: string, mode = 0o755): void {
    this.blocks.push(header(name, mode, 0, '5', ''));
  }

  symlink(name: string, target: string): void {
    this.blocks.push(header(name, 0o777, 0, '2', target));
  }

  finish(): Buffer {
    return Buffer.concat([...this.blocks, Buffer.alloc(1024)]);
  }
}

function header(name: string, mode: number, size: number, type: string, linkname: string): Buffer {
  const h = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number): void => {
    h.write(text.slice(0, length), offset, 'ascii');
  };
  const octal = (value: number, offset: number, length: number): void =>
    put(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
  put(name, 0, 100);
  octal(mode, 100, 8);
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(size, 124, 12);
  octal(1_700_000_000, 136, 12); // mtime
  put('        ', 148, 8); // checksum placeholder
  put(type, 156, 1);
  put(linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}
