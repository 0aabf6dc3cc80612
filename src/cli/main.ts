import { builtInDataPlane, haproxyDataPlane } from '../app/data-plane.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import type { RunningServer, ServerOptions } from '../app/server.js';
import { startAgent } from '../app/agent.js';
import { startServer } from '../app/server.js';
import { simReadyLine, startSim, type SimServerOptions } from '../app/sim.js';
import { up } from '../app/up.js';
import { parseAttribute, parseSizes, parseZones, type AttributeCycle } from '../sim/fleet.js';
import { planCommand } from './plan.js';

/** The `berth` command. Verbs for people; each deployable has its composition root in app/. */

// The AWS SDK (pinned at a version that runs on Node 20) warns on every start that later versions
// will need Node 22. That is for Berth's maintainers (see docs/dependencies.md), not its users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is an integer from 0 to 65535.');
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a count is a positive integer.');
  return n;
}

/** commander parser from one that throws plain errors (the fleet's spellings). */
function parsed<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('a duration is a positive number of seconds.');
  return n;
}

function logger(): Logger {
  return pino({ level: process.env.BERTH_LOG_LEVEL ?? 'info' }, pino.destination(2));
}

interface CommonFlags {
  port: number;
  host: string;
  dataDir: string;
  region: string;
  accountId: string;
  store?: string;
  stoppedTaskRetention: number;
  taskHealthWait: number;
  /** berth up / berth server only. */
  loadBalancer?: 'builtin' | 'haproxy';
}

function serverOptions(flags: CommonFlags, log: Logger): ServerOptions {
  return {
    ...serverSettings(flags),
    dataDir: resolve(flags.dataDir),
    region: flags.region,
    logger: log,
    // Load balancer listeners: served by whichever replica holds the data plane's lease.
    dataPlane:
      flags.loadBalancer === 'haproxy'
        ? haproxyDataPlane({ logger: log, workDir: join(resolve(flags.dataDir), 'haproxy') })
        : builtInDataPlane({ logger: log }),
  };
}

/** The control plane's settings from the flags, but where it keeps its state (`berth sim` shares them). */
function serverSettings(
  flags: Omit<CommonFlags, 'dataDir'>,
): Omit<ServerOptions, 'dataDir' | 'region' | 'logger'> {
  return {
    host: flags.host,
    port: flags.port,
    accountId: flags.accountId,
    ...(flags.store ? { store: flags.store } : {}),
    stoppedTaskRetentionMs: flags.stoppedTaskRetention * 1000,
    serviceScheduler: { noHealthCheckWaitMs: flags.taskHealthWait * 1000 },
  };
}

/** Runs until SIGINT/SIGTERM, then closes what runs (in-flight requests finish, the store closes). */
function untilSignal(server: Pick<RunningServer, 'close'>, log: Logger): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function withCommonFlags(
  command: Command,
  dataDir: { readonly help: string; readonly default?: string } = {
    help: 'where Berth keeps its state',
    default: process.env.BERTH_DATA_DIR ?? './.berth',
  },
): Command {
  return command
    .option('--port <port>', 'the one port for every API', port, 4566)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', dataDir.help, dataDir.default)
    .option('--region <region>', 'the AWS region Berth presents', process.env.BERTH_REGION ?? 'us-east-1')
    .option(
      '--account-id <id>',
      'the 12-digit account id in ARNs',
      process.env.BERTH_ACCOUNT_ID ?? '000000000000',
    )
    .option(
      '--stopped-task-retention <seconds>',
      'how long STOPPED tasks stay visible before they are removed',
      seconds,
      Number(process.env.BERTH_STOPPED_TASK_RETENTION ?? 3600),
    )
    .option(
      '--task-health-wait <seconds>',
      'how long a service task without health checks runs before it counts as healthy (ECS: 40)',
      seconds,
      Number(process.env.BERTH_TASK_HEALTH_WAIT ?? 40),
    );
}

/** Which data plane serves the load balancers' listeners (docs/load-balancing.md). */
function withLoadBalancerFlag(command: Command): Command {
  return command.addOption(
    new Option('--load-balancer <driver>', 'the load-balancer data plane: builtin (Node) or haproxy')
      .choices(['builtin', 'haproxy'])
      .default('builtin'),
  );
}

const program = new Command('berth')
  .description('Berth: a self-hosted container orchestrator that speaks the Amazon ECS API.')
  .version(version, '-v, --version');

withLoadBalancerFlag(withCommonFlags(program.command('up')))
  .description('run everything on this machine with the embedded SQLite store')
  .action(async (flags: CommonFlags) => {
    const log = logger();
    const running = await up(serverOptions(flags, log));
    const { envLines } = running;
    // Handlers first: whoever reads the lines may signal at once, and must get a clean shutdown.
    untilSignal(running, log);
    process.stdout.write(envLines.join('\n') + '\n');
  });

withLoadBalancerFlag(withCommonFlags(program.command('server')))
  .description('run the control plane only (several replicas may share one PostgreSQL store)')
  .option('--store <location>', 'postgres://… URL or SQLite file path (default <data-dir>/berth.db)')
  .action(async (flags: CommonFlags) => {
    const log = logger();
    const server = await startServer(serverOptions(flags, log));
    untilSignal(server, log);
    process.stdout.write(`AWS_ENDPOINT_URL=${server.endpoint}\n`);
  });

interface AgentFlags {
  endpoint?: string;
  dataDir: string;
  region: string;
}

program
  .command('agent')
  .description(
    'register this host with a Berth control plane (ECS_CLUSTER, ECS_RESERVED_MEMORY, … as for the ECS agent); signs with the standard AWS credential variables',
  )
  .option('--endpoint <url>', 'the control plane (default: AWS_ENDPOINT_URL)')
  .option(
    '--data-dir <dir>',
    "the agent's state: its host identity",
    process.env.BERTH_AGENT_DATA_DIR ?? './.berth-agent',
  )
  .option(
    '--region <region>',
    'the region to sign for',
    process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
  )
  .action(async (flags: AgentFlags) => {
    const log = logger();
    const endpoint = flags.endpoint ?? process.env.AWS_ENDPOINT_URL;
    if (!endpoint) throw new Error('no control plane: set AWS_ENDPOINT_URL or pass --endpoint.');
    const agent = startAgent({
      endpoint,
      region: flags.region,
      dataDir: resolve(flags.dataDir),
      env: process.env,
      logger: log,
    });
    untilSignal(agent, log);
    const arn = await agent.registered;
    process.stdout.write(`CONTAINER_INSTANCE_ARN=${arn}\n`);
  });

interface SimFlags extends Omit<CommonFlags, 'dataDir'> {
  dataDir?: string;
  instances: number;
  zones?: string[];
  sizes: ReturnType<typeof parseSizes>;
  attribute: AttributeCycle[];
  cluster: string;
  registerConcurrency: number;
  endpoint?: string;
}

withCommonFlags(program.command('sim'), {
  help: 'where the control plane keeps its state (default: a temporary dir, removed on exit)',
})
  .description(
    'run the control plane with simulated hosts: real Berth agents over a simulated container engine (docs/sim.md)',
  )
  .option('--instances <n>', 'simulated hosts', count, 100)
  .option(
    '--zones <list>',
    'availability zones, dealt round the hosts (default <region>a,b,c)',
    parsed(parseZones),
  )
  .option(
    '--sizes <list>',
    'host sizes <cpu units>:<memory MiB> (or <type>=<cpu>:<memory>), dealt evenly within each zone',
    parsed(parseSizes),
    parseSizes('2048:3800,4096:7700,8192:15600'),
  )
  .option(
    '--attribute <name=value>',
    'a custom attribute on every host; name=v1|v2|… deals the values round the hosts (repeatable)',
    (text: string, all: AttributeCycle[]) => [...all, parsed(parseAttribute)(text)],
    [],
  )
  .option('--cluster <name>', 'the cluster the hosts join (created if missing)', 'sim')
  .option('--register-concurrency <n>', 'hosts registering at once', count, 32)
  .option(
    '--endpoint <url>',
    'attach the hosts to this control plane instead of starting one (signs with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
  )
  .option('--store <location>', 'postgres://… URL or SQLite file path (default <data-dir>/berth.db)')
  .action(async (flags: SimFlags) => {
    const log = logger();
    const starting = new AbortController();
    const abort = (): void => starting.abort(new Error('interrupted while starting'));
    process.once('SIGINT', abort);
    process.once('SIGTERM', abort);
    const sim = await startSim({
      controlPlane: flags.endpoint ? { attach: attached(flags.endpoint) } : { start: simServer(flags) },
      region: flags.region,
      cluster: flags.cluster,
      instances: flags.instances,
      fleet: {
        zones: flags.zones ?? ['a', 'b', 'c'].map((z) => `${flags.region}${z}`),
        sizes: flags.sizes,
        attributes: flags.attribute,
      },
      env: process.env,
      logger: log,
      registerConcurrency: flags.registerConcurrency,
      signal: starting.signal,
    });
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
    untilSignal(sim, log);
    process.stdout.write(simReadyLine(sim) + '\n');
  });

/** The control plane `berth sim` starts: as `berth server`, but in a temporary data dir by default. */
function simServer(flags: SimFlags): SimServerOptions {
  return { ...serverSettings(flags), ...(flags.dataDir ? { dataDir: resolve(flags.dataDir) } : {}) };
}

function attached(endpoint: string): {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new Error(
      "--endpoint needs the control plane's key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
    );
  return { endpoint, credentials: { accessKeyId, secretAccessKey } };
}

program.addCommand(planCommand());

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`berth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
