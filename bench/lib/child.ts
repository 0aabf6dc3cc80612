import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

/**
 * A server in its own Node process, so the load generator and the server under test never share
 * an event loop. The child prints one JSON line on stdout once it listens (its port, and whatever
 * else it needs to tell), then answers one stdout line per command line the parent writes to its
 * stdin; it exits when its stdin closes or on SIGTERM.
 */
export interface ServerChild<T> {
  readonly info: T;
  readonly process: ChildProcess;
  /** Sends one command line and resolves with the child's one-line answer. */
  command(line: string): Promise<string>;
  /** The child's CPU time (user + system) so far, in microseconds. */
  cpuUs(): Promise<number>;
  /** The child's memory now (after a full GC when it runs with `--expose-gc`). */
  memory(): Promise<ChildMemory>;
  stop(): Promise<void>;
}

export interface ChildMemory {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  /** Memory of C++ objects bound to JS ones (buffers, the SQLite driver's statements, …). */
  readonly externalBytes: number;
  /** Whether a full GC ran first (then heapUsed is the live heap, not live + garbage). */
  readonly afterGc: boolean;
}

export async function startChild<T>(
  script: string,
  args: readonly string[] = [],
  /** Node flags before the script, e.g. `--expose-gc` (so `memory` measures the live heap). */
  nodeFlags: readonly string[] = [],
): Promise<ServerChild<T>> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      // A child that dies on its own (a crash, a signal from outside) may leave no trace of its own.
      if (!stopping)
        process.stderr.write(`${script} (pid ${child.pid}) exited: ${signal ?? `code ${code}`}\n`);
      resolve();
    }),
  );
  const lines = createInterface({ input: child.stdout });
  const nextLine = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`${script} exited (${code})`));
      child.once('exit', onExit);
      lines.once('line', (line) => {
        child.off('exit', onExit);
        resolve(line);
      });
    });
  const ready = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    nextLine().then(resolve, reject);
  });
  let info: T;
  try {
    info = JSON.parse(ready) as T;
  } catch (error) {
    child.kill();
    throw new Error(`${script} printed '${ready}' instead of its JSON ready line: ${String(error)}`);
  }
  const command = (line: string): Promise<string> => {
    const answer = nextLine();
    child.stdin.write(`${line}\n`);
    return answer;
  };
  return {
    info,
    process: child,
    command,
    async cpuUs() {
      const answer = await command('cpu');
      const us = Number(answer);
      if (!Number.isFinite(us)) throw new Error(`${script} answered 'cpu' with '${answer}'`);
      return us;
    },
    async memory() {
      const answer = await command('memory');
      try {
        return JSON.parse(answer) as ChildMemory;
      } catch {
        throw new Error(`${script} answered 'memory' with '${answer}'`);
      }
    },
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      lines.close();
    },
  };
}

/**
 * In a server child: answer the parent's command lines (one stdout line each) — `cpu` with this
 * process's CPU time so far in microseconds, `memory` with its memory as JSON (`ChildMemory`),
 * anything else with `onCommand` — and call `shutdown` once, when the parent closes our stdin or
 * sends SIGTERM/SIGINT.
 */
export function serveParent(
  shutdown: () => Promise<void>,
  onCommand: (line: string) => Promise<string> = (line) => Promise.resolve(`unknown command: ${line}`),
): Interface {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const cpu = (): Promise<string> => {
      const { user, system } = process.cpuUsage();
      return Promise.resolve(String(user + system));
    };
    (line === 'cpu' ? cpu() : line === 'memory' ? Promise.resolve(memory()) : onCommand(line)).then(
      (answer) => process.stdout.write(`${answer.replace(/\n/g, ' ')}\n`),
      (error: unknown) => process.stdout.write(`error: ${String(error)}\n`),
    );
  });
  commands.on('close', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return commands;
}

function memory(): string {
  // `--expose-gc` makes `gc` a global; without it the heap figure includes uncollected garbage.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  const answer: ChildMemory = {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    afterGc: gc !== undefined,
  };
  return JSON.stringify(answer);
}
