import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/**
 * HAProxy as a child process in master-worker mode (`-W -db -S <master.sock>`): started once,
 * reloaded through the master CLI (the master re-executes itself with the new config; old workers
 * stop accepting and finish their connections, so a reload is hitless), stopped on close.
 */

/** One command on a HAProxy CLI socket; the answer is everything up to the socket's end. */
export function cliCommand(socketPath: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`HAProxy CLI: no answer to '${command}'`)));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('end', () => resolve(answer));
    socket.once('error', reject);
    // Half-closing after the command makes the master answer once and close (non-interactive).
    socket.end(`${command}\n`);
  });
}

/** The outcome of `haproxy -c`: undefined when valid, else HAProxy's alerts (or the spawn error). */
export function checkConfig(
  binary: string,
  configPath: string,
): Promise<{ missing: boolean; message?: string }> {
  return new Promise((resolve) => {
    execFile(binary, ['-c', '-q', '-f', configPath], (error, _stdout, stderr) => {
      if (error === null) return resolve({ missing: false });
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      const alerts = stderr
        .split('\n')
        .filter((line) => line.includes('[ALERT]'))
        .join('; ');
      resolve({
        missing,
        message: missing ? `${binary} not found: install HAProxy` : alerts || error.message,
      });
    });
  });
}

/**
 * Whether another program holds `port`: a listen test (HAProxy refuses a whole config when one
 * bind fails, so taken ports are found and left out first). Racy by nature; best effort.
 */
export async function portTaken(address: string, port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(true));
    server.listen({ port, host: address === '*' ? '0.0.0.0' : address, exclusive: true }, () =>
      server.close(() => resolve(false)),
    );
  });
}

/** The worker pids and the master's failed-reload count, from `show proc`. */
export function parseShowProc(text: string): { workers: number[]; failed: number } {
  const failed = Number(/\[failed: (\d+)\]/.exec(text)?.[1] ?? 0);
  const workers = text
    .split('\n')
    .map((line) => /^(\d+)\s+worker\s/.exec(line)?.[1])
    .filter((pid): pid is string => pid !== undefined)
    .map(Number);
  return { workers, failed };
}

export class HaproxyProcess {
  readonly #child: ChildProcess;
  readonly #gone: Promise<void>;
  #stderr = '';

  constructor(
    binary: string,
    configPath: string,
    readonly masterSocket: string,
    log: Logger,
  ) {
    // A process group of its own: stopping it reaches the workers too, even once the master is gone.
    this.#child = spawn(binary, ['-W', '-db', '-S', masterSocket, '-f', configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    // 'close': every process holding stderr (the master and its workers, old ones too) has exited.
    this.#gone = new Promise((resolve) => this.#child.once('close', () => resolve()));
    this.#child.once('error', (error) => log.error({ err: error }, 'haproxy failed to start'));
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (chunk: string) => {
      // The tail is kept for fault messages; HAProxy's alerts and warnings go to the log.
      this.#stderr = (this.#stderr + chunk).slice(-4000);
      for (const line of chunk.split('\n')) if (line.trim() !== '') log.debug({ haproxy: line }, 'haproxy');
    });
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** What HAProxy last wrote about an alert, for a fault message. */
  alerts(): string {
    const alerts = this.#stderr.split('\n').filter((line) => line.includes('[ALERT]'));
    return alerts.slice(-3).join('; ') || 'haproxy exited';
  }

  async showProc(): Promise<{ workers: number[]; failed: number } | undefined> {
    return cliCommand(this.masterSocket, 'show proc').then(parseShowProc, () => undefined);
  }

  /** Resolves once a worker serves; rejects when the master exits or nothing serves within 10 s. */
  async ready(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(this.alerts());
      if (((await this.showProc())?.workers.length ?? 0) > 0) return;
      await sleep(50);
    }
    throw new Error('haproxy did not start a worker within 10 s');
  }

  /**
   * Reloads the config file and waits for the outcome: a new worker (true), or a failed reload
   * (false; the old workers keep serving the previous config).
   */
  async reload(): Promise<boolean> {
    const before = await this.showProc();
    await cliCommand(this.masterSocket, 'reload').catch(() => '');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && this.running) {
      await sleep(50);
      const now = await this.showProc();
      if (now === undefined) continue; // the master is re-executing
      if (before !== undefined && now.failed > before.failed) return false;
      if (now.workers.some((pid) => !(before?.workers ?? []).includes(pid))) return true;
    }
    return false;
  }

  /**
   * Soft stop of the whole group (listeners close at once, connections finish), then SIGKILL for
   * whatever is left after `graceMs`.
   */
  async stop(graceMs = 5_000): Promise<void> {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pid, signal);
      } catch {
        // the group is gone already
      }
    };
    signalGroup('SIGUSR1');
    const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
    await this.#gone;
    clearTimeout(timer);
  }
}
