import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A server in its own Node process, so the load generator and the server under test never share
 * an event loop. The child prints one JSON line on stdout once it listens (its port, and whatever
 * else it needs to tell), and exits when its stdin closes or on SIGTERM.
 */
export interface ServerChild<T> {
  readonly info: T;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function startChild<T>(
  script: string,
  args: readonly string[] = [],
  nodeFlags: readonly string[] = [],
): Promise<ServerChild<T>> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<T>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as T);
      } catch (error) {
        reject(new Error(`${script} printed '${line}' instead of its JSON ready line: ${String(error)}`));
      }
    });
  });
  return {
    info,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      lines.close();
    },
  };
}

/** In a server child: call `shutdown` once, when the parent closes our stdin or sends SIGTERM/SIGINT. */
export function onParentGone(shutdown: () => Promise<void>): void {
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
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
