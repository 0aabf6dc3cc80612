import { CreateClusterCommand, ECSClient, RegisterContainerInstanceCommand } from '@aws-sdk/client-ecs';
import { arch, cpus, totalmem } from 'node:os';
import { setTimeout } from 'node:timers/promises';
import type { Logger } from 'pino';
import { agentConfig, type AgentConfig } from '../agent/config.js';
import { ChannelClient } from '../agent/channel/client.js';
import { runPollLoop } from '../agent/channel/poll-loop.js';
import { Reporter } from '../agent/channel/reporter.js';
import { TaskEngine } from '../agent/engine/engine.js';
import { loadIdentity, saveIdentity } from '../agent/identity.js';
import { registrationRequest, type HostFacts } from '../agent/registration.js';
import { DockerRuntime } from '../agent/runtime/docker.js';
import type { Runtime } from '../agent/runtime/runtime.js';

/**
 * Composition root of `berth agent` (and of the agent `berth up` runs for its own host). The agent
 * reaches the control plane only through the public API with the AWS SDK, as a remote host would,
 * also when it runs in the same process.
 *
 * The agent registers its host as a container instance (and re-registers as the same instance
 * after a restart), then long-polls `BerthAgentV1.Poll` for the tasks assigned to it, runs them
 * with the task engine over its Runtime, and reports every change with SubmitContainerStateChange /
 * SubmitTaskStateChange. Restart re-attach and the metadata endpoint follow (docs/agent-design.md).
 */
export interface AgentOptions {
  readonly endpoint: string;
  readonly region: string;
  /** Omitted: the AWS SDK's default chain (AWS_ACCESS_KEY_ID, profiles, …). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly dataDir: string;
  /** The ECS_* settings, normally process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Default: Docker on the local socket. */
  readonly runtime?: Runtime;
  /** Extra labels on every container the agent creates (tests mark theirs with these). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Seconds each Poll may be held (default 20). */
  readonly pollWaitSeconds?: number;
}

export interface RunningAgent {
  readonly config: AgentConfig;
  /** Settles with the container instance ARN once registered (retried with backoff until then). */
  readonly registered: Promise<string>;
  /** The task engine (what the agent runs now). */
  readonly engine: TaskEngine;
  close(): Promise<void>;
}

const BACKOFF_MS = { first: 500, max: 30_000 };

export function startAgent(options: AgentOptions): RunningAgent {
  const config = agentConfig(options.env); // bad settings fail here, before anything starts
  const runtime = options.runtime ?? new DockerRuntime();
  const client = new ECSClient({
    endpoint: options.endpoint,
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const stop = new AbortController();
  const log = options.logger.child({ component: 'agent', cluster: config.cluster });

  async function registerOnce(): Promise<string> {
    const host: HostFacts = {
      cpuCores: cpus().length,
      memoryMiB: Math.floor(totalmem() / 1024 / 1024),
      cpuArchitecture: arch() === 'x64' ? 'x86_64' : arch(),
      engineVersion: await runtime.engineVersion({ signal: stop.signal }),
    };
    const identity = loadIdentity(options.dataDir);
    // Like the ECS agent: the `default` cluster is created when the agent is the first to need it.
    if (config.cluster === 'default') {
      await client.send(new CreateClusterCommand({ clusterName: 'default' }), { abortSignal: stop.signal });
    }
    const sameCluster = identity.cluster === config.cluster ? identity.containerInstanceArn : undefined;
    const { containerInstance } = await client.send(
      new RegisterContainerInstanceCommand(registrationRequest(config, host, identity.hostId, sameCluster)),
      { abortSignal: stop.signal },
    );
    const arn = containerInstance?.containerInstanceArn ?? '';
    saveIdentity(options.dataDir, { ...identity, cluster: config.cluster, containerInstanceArn: arn });
    return arn;
  }

  async function register(): Promise<string> {
    for (let delay = BACKOFF_MS.first; ; delay = Math.min(delay * 2, BACKOFF_MS.max)) {
      try {
        const arn = await registerOnce();
        log.info({ containerInstanceArn: arn }, 'registered as a container instance');
        return arn;
      } catch (err) {
        if (stop.signal.aborted) throw err;
        log.warn({ err, retryInMs: delay }, 'registration failed; retrying');
        await setTimeout(delay * (0.5 + Math.random()), undefined, { signal: stop.signal });
      }
    }
  }

  const reporter = new Reporter(client, log, stop.signal);
  const engine = new TaskEngine({
    runtime,
    config,
    report: (change) => reporter.report(change),
    additions: { ...(options.labels ? { labels: options.labels } : {}) },
  });
  const channel = new ChannelClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials ?? client.config.credentials,
  });

  const registered = register();
  registered.catch(() => undefined); // a stop before registration is not an unhandled rejection
  const polling = registered.then(
    (containerInstanceArn) =>
      runPollLoop({
        client: channel,
        cluster: config.cluster,
        containerInstanceArn,
        desire: (specs) => engine.desire(specs),
        log,
        signal: stop.signal,
        ...(options.pollWaitSeconds !== undefined ? { waitSeconds: options.pollWaitSeconds } : {}),
      }),
    () => undefined,
  );
  return {
    config,
    registered,
    engine,
    async close() {
      stop.abort();
      await polling;
      await engine.close(); // containers keep running (a restarted agent re-attaches later)
      await reporter.drained();
      client.destroy();
    },
  };
}
