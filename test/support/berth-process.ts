import { ECSClient } from '@aws-sdk/client-ecs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Berth as people run it: `berth up` / `berth server` in a child process (through tsx, no build
 * needed) on a scratch data dir, and the AWS CLI against it. Children get a clean environment:
 * no AWS_*, BERTH_* or test-runner variables of this process leak in, and the AWS CLI reads no
 * real profile. Every child and scratch dir is tracked: `cleanup()` (call it from `after`) kills
 * what still runs and removes the dirs, and a process exit hook does the same if a test dies.
 */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Milliseconds from the stop signal to the exit (0 when it had already exited). */
  readonly ms: number;
}

export interface BerthProcess {
  readonly command: 'up' | 'server';
  readonly pid: number;
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly dataDir: string;
  /** From the printed lines (`up`), or as passed in (`server` prints none). */
  readonly credentials: Credentials | undefined;
  /** The stdout lines printed up to readiness. */
  readonly lines: readonly string[];
  stdout(): string;
  stderr(): string;
  /** An SDK client for this process (one attempt per call: a dead server is an error, not a retry). */
  ecs(): ECSClient;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILLs and throws after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  readonly exited: Promise<Omit<Exit, 'ms'>>;
}

export interface StartOptions {
  readonly command?: 'up' | 'server';
  /** Reuse a data dir (a restart); default a fresh scratch dir. */
  readonly dataDir?: string;
  readonly region?: string;
  /** More flags, after `--port 0 --data-dir <dir>`. */
  readonly args?: readonly string[];
  /** For `server`, which prints no key. */
  readonly credentials?: Credentials;
  readonly env?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
}

const children = new Set<ChildProcess>();
const scratchDirs = new Set<string>();
const sdkClients = new Set<ECSClient>();

/** A fresh temporary directory, removed by `cleanup()`. */
export function scratchDir(prefix = 'berth-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.add(dir);
  return dir;
}

let home: string | undefined;
/** An empty HOME, config and credentials file for child processes, made once per test process. */
export function isolatedHome(): { home: string; awsConfig: string; awsCredentials: string } {
  home ??= scratchDir('berth-home-');
  const awsConfig = join(home, 'aws-config');
  const awsCredentials = join(home, 'aws-credentials');
  writeFileSync(awsConfig, '');
  writeFileSync(awsCredentials, '');
  return { home, awsConfig, awsCredentials };
}

/** Variables a child may inherit: what finds programs (node, pyenv's aws) and the locale. */
const INHERITED = ['PATH', 'PYENV_ROOT', 'PYENV_VERSION', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

/** A clean environment: PATH and locale only, an empty HOME, and `extra`. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.HOME = isolatedHome().home;
  return { ...env, ...extra };
}

/** The environment for the AWS CLI: clean, no real profile, no pager, no instance metadata. */
export function awsEnv(
  credentials: Credentials,
  region: string,
  extra: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  const { awsConfig, awsCredentials } = isolatedHome();
  return cleanEnv({
    AWS_CONFIG_FILE: awsConfig,
    AWS_SHARED_CREDENTIALS_FILE: awsCredentials,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  });
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (killed after `timeoutMs`). */
export function run(
  file: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `berth <args>` to its end, e.g. `--help`, or `up` with a bad flag. */
export function runBerth(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: cleanEnv(options.env),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
}

let awsPath: string | undefined;
/** The AWS CLI on PATH; pyenv's shim re-resolves Python on every call, so it is resolved once. */
function awsBinary(): string {
  if (awsPath === undefined) {
    const which = spawnSync('pyenv', ['which', 'aws'], { env: cleanEnv(), encoding: 'utf8' });
    const resolved = which.status === 0 ? which.stdout.trim() : '';
    awsPath = resolved !== '' ? resolved : 'aws';
  }
  return awsPath;
}

/** `aws --endpoint-url <endpoint> <args> --output json`; `json` is the parsed stdout, if any. */
export async function runAws(
  berth: { endpoint: string; credentials: Credentials | undefined; region: string },
  args: readonly string[],
): Promise<RunResult & { json: unknown }> {
  if (!berth.credentials) throw new Error('runAws needs credentials');
  const result = await run(awsBinary(), ['--endpoint-url', berth.endpoint, '--output', 'json', ...args], {
    env: awsEnv(berth.credentials, berth.region),
  });
  let json: unknown;
  try {
    json = result.stdout.trim() === '' ? undefined : JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { ...result, json };
}

/** Like `runAws`, but a non-zero exit is an assertion failure that shows the CLI's stderr. */
export async function aws<T = Record<string, unknown>>(
  berth: { endpoint: string; credentials: Credentials | undefined; region: string },
  args: readonly string[],
): Promise<T> {
  const result = await runAws(berth, args);
  if (result.code !== 0) {
    throw new Error(`aws ${args.join(' ')} exited ${String(result.code)}:\n${result.stderr}${result.stdout}`);
  }
  return (result.json ?? {}) as T;
}

/** `KEY=value` lines into a record. */
export function parseEnvLines(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * Starts `berth up` (or `berth server`) with `--port 0` and waits until it has printed its lines:
 * all five for `up`, the endpoint for `server`.
 */
export function startBerth(options: StartOptions = {}): Promise<BerthProcess> {
  const command = options.command ?? 'up';
  const dataDir = options.dataDir ?? join(scratchDir(), 'data');
  const args = [
    '--import',
    'tsx',
    MAIN,
    command,
    '--port',
    '0',
    '--data-dir',
    dataDir,
    ...(options.region ? ['--region', options.region] : []), // else the CLI's default, us-east-1
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-64 * 1024); // keep the tail; never let the pipe fill up
  });
  const exited = new Promise<Omit<Exit, 'ms'>>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  const readyLine = command === 'up' ? /^AWS_DEFAULT_REGION=/m : /^AWS_ENDPOINT_URL=.*\n/m;
  const timeoutMs = options.readyTimeoutMs ?? 60_000;

  return new Promise<BerthProcess>((resolve, reject) => {
    let ready = false;
    const failed = (why: string): void => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`berth ${command} ${why}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    };
    const timer = setTimeout(() => failed(`printed no endpoint within ${timeoutMs} ms`), timeoutMs);
    child.on('error', (err) => failed(`could not start: ${err.message}`));
    void exited.then((e) => failed(`exited (${String(e.code ?? e.signal)}) before it was ready`));
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (ready || !readyLine.test(stdout) || !stdout.endsWith('\n')) return;
      const lines = stdout.split('\n').filter((l) => l !== '');
      const vars = parseEnvLines(lines);
      const endpoint = vars.AWS_ENDPOINT_URL ?? '';
      if (!/^http:\/\/[^/]+:\d+$/.test(endpoint)) return failed('printed no usable AWS_ENDPOINT_URL');
      ready = true;
      clearTimeout(timer);
      const credentials =
        vars.AWS_ACCESS_KEY_ID && vars.AWS_SECRET_ACCESS_KEY
          ? { accessKeyId: vars.AWS_ACCESS_KEY_ID, secretAccessKey: vars.AWS_SECRET_ACCESS_KEY }
          : options.credentials;
      resolve(
        handle({
          command,
          child,
          endpoint,
          region: vars.AWS_REGION ?? options.region ?? 'us-east-1',
          dataDir,
          credentials,
          lines,
          exited,
          out: () => stdout,
          err: () => stderr,
        }),
      );
    });
  });
}

function handle(p: {
  command: 'up' | 'server';
  child: ChildProcess;
  endpoint: string;
  region: string;
  dataDir: string;
  credentials: Credentials | undefined;
  lines: string[];
  exited: Promise<Omit<Exit, 'ms'>>;
  out: () => string;
  err: () => string;
}): BerthProcess {
  const clients: ECSClient[] = [];
  let done: Omit<Exit, 'ms'> | undefined;
  void p.exited.then((e) => {
    done = e;
    for (const c of clients) {
      c.destroy();
      sdkClients.delete(c);
    }
  });
  return {
    command: p.command,
    pid: p.child.pid!,
    endpoint: p.endpoint,
    port: Number(new URL(p.endpoint).port),
    region: p.region,
    dataDir: p.dataDir,
    credentials: p.credentials,
    lines: p.lines,
    stdout: p.out,
    stderr: p.err,
    exited: p.exited,
    ecs() {
      if (!p.credentials) throw new Error(`berth ${p.command} was started without known credentials`);
      const client = new ECSClient({
        endpoint: p.endpoint,
        region: p.region,
        credentials: { ...p.credentials }, // the SDK marks the object it is given
        maxAttempts: 1,
      });
      clients.push(client);
      sdkClients.add(client);
      return client;
    },
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (done) return { ...done, ms: 0 };
      const start = performance.now();
      p.child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const result = await Promise.race([p.exited, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        p.child.kill('SIGKILL');
        await p.exited;
        throw new Error(`berth ${p.command} did not exit within ${timeoutMs} ms of ${signal}\n${p.err()}`);
      }
      return { ...result, ms: performance.now() - start };
    },
  };
}

export interface AgentProcess {
  readonly pid: number;
  readonly containerInstanceArn: string;
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Omit<Exit, 'ms'>>;
  readonly exited: Promise<Omit<Exit, 'ms'>>;
}

export interface AgentStartOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: Credentials;
  readonly dataDir: string;
  /** ECS_CLUSTER, DOCKER_HOST, ECS_* settings. */
  readonly env?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
}

/** Runs `berth agent` as its own process; resolves once it printed its container instance ARN. */
export function startAgentProcess(options: AgentStartOptions): Promise<AgentProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'agent', '--data-dir', options.dataDir], {
    cwd: REPO_ROOT,
    env: cleanEnv({
      AWS_ENDPOINT_URL: options.endpoint,
      AWS_REGION: options.region,
      AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
      ...options.env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-64 * 1024);
  });
  const exited = new Promise<Omit<Exit, 'ms'>>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  return new Promise<AgentProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`berth agent did not register within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`berth agent exited (${String(e.code ?? e.signal)})\n${stderr}`));
    });
    child.stdout.on('data', () => {
      const arn = /^CONTAINER_INSTANCE_ARN=(.+)$/m.exec(stdout)?.[1];
      if (arn === undefined) return;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        containerInstanceArn: arn,
        stderr: () => stderr,
        exited,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** Kills every child still running, closes SDK clients and removes the scratch dirs. */
export async function cleanup(): Promise<void> {
  for (const c of sdkClients) c.destroy();
  sdkClients.clear();
  const running = [...children];
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  removeScratchDirs();
}

function removeScratchDirs(): void {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  scratchDirs.clear();
  home = undefined;
}

// A test file that forgets `after(cleanup)` still cleans up once its last test is done (a live
// child would otherwise keep the file's process, and so the test run, waiting forever) ...
after(cleanup);
// ... and a test process that dies some other way leaves no child and no scratch dir behind.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  removeScratchDirs();
});
