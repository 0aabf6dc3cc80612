import {
  CreateClusterCommand,
  DiscoverPollEndpointCommand,
  ECSClient,
  RegisterContainerInstanceCommand,
} from '@aws-sdk/client-ecs';
import { arch, cpus, totalmem } from 'node:os';
import { setTimeout } from 'node:timers/promises';
import type { Logger } from 'pino';
import { agentConfig, type AgentConfig } from '../agent/config.js';
import { ChannelClient } from '../agent/channel/client.js';
import { runPollLoop } from '../agent/channel/poll-loop.js';
import { Reporter } from '../agent/channel/reporter.js';
import { startMetadataEndpoint, type MetadataEndpoint } from '../agent/endpoints/metadata.js';
import { tagSource } from '../agent/endpoints/metadata-tags.js';
import { TaskEngine } from '../agent/engine/engine.js';
import { fileIdentity, type IdentityStore } from '../agent/identity.js';
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
export type AgentOptions = AgentSettings & AgentState;

/**
 * Where the agent keeps its state: a data dir (the host identity, the metadata endpoint's secret
 * and port), or — `berth sim`'s thousands of simulated hosts — nothing on disk: the identity in
 * memory and no metadata endpoint (its containers are simulated and read nothing, and a listener
 * per host would cost a port and a server each).
 */
export type AgentState =
  | {
      readonly dataDir: string;
      /** Default: `<dataDir>/agent-state.json`. */
      readonly identity?: IdentityStore;
      /** Whether to serve the task metadata endpoint; default true. */
      readonly metadataEndpoint?: boolean;
    }
  | { readonly dataDir?: undefined; readonly identity: IdentityStore; readonly metadataEndpoint: false };

export interface AgentSettings {
  readonly endpoint: string;
  readonly region: string;
  /** Omitted: the AWS SDK's default chain (AWS_ACCESS_KEY_ID, profiles, …). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * The ECS client for registration and reports, shared by many agents (`berth sim`: one client and
   * one bounded socket pool for thousands of hosts instead of a client and keep-alive sockets each);
   * the agent does not destroy it. Default: a client of its own.
   */
  readonly client?: ECSClient;
  /**
   * What the agent registers of its host instead of this machine's cores and memory (`berth sim`'s
   * simulated hosts of given sizes).
   */
  readonly host?: Pick<HostFacts, 'cpuUnits' | 'memoryMiB'>;
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
  /**
   * Settles once the first Poll was answered: the control plane then counts the agent connected
   * and places tasks on this host. Never rejects (a stop before it leaves it pending).
   */
  readonly connected: Promise<void>;
  /** The task engine (what the agent runs now). */
  readonly engine: TaskEngine;
  close(): Promise<void>;
}

const BACKOFF_MS = { first: 500, max: 30_000 };
/** On every container this agent creates: the host identity it belongs to. */
export const HOST_LABEL = 'berth.host-id';

export function startAgent(options: AgentOptions): RunningAgent {
  const config = agentConfig(options.env); // bad settings fail here, before anything starts
  const runtime = options.runtime ?? new DockerRuntime();
  const client =
    options.client ??
    new ECSClient({
      endpoint: options.endpoint,
      region: options.region,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  const stop = new AbortController();
  const log = options.logger.child({ component: 'agent', cluster: config.cluster });
  const identities =
    options.dataDir === undefined ? options.identity : (options.identity ?? fileIdentity(options.dataDir));
  const { hostId } = identities.load();

  async function registerOnce(): Promise<string> {
    const host: HostFacts = {
      // As the ECS agent: 1,024 CPU units per core.
      cpuUnits: options.host?.cpuUnits ?? cpus().length * 1024,
      memoryMiB: options.host?.memoryMiB ?? Math.floor(totalmem() / 1024 / 1024),
      cpuArchitecture: arch() === 'x64' ? 'x86_64' : arch(),
      engineVersion: await runtime.engineVersion({ signal: stop.signal }),
    };
    const identity = identities.load();
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
    identities.save({ ...identity, cluster: config.cluster, containerInstanceArn: arn });
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

  // The task metadata endpoint (docs/agent-design.md item 5): registration waits for it (below), so
  // it listens before the engine creates any container, whose environment carries its URL.
  const metadata: MetadataEndpoint | undefined =
    options.dataDir === undefined || options.metadataEndpoint === false
      ? undefined
      : startMetadataEndpoint({
          source: { described: () => engine.described() },
          runtime,
          tags: tagSource(client, () => registered),
          dataDir: options.dataDir,
          port: config.taskMetadataPort,
          availabilityZone: config.availabilityZone,
          log,
          signal: stop.signal,
        });
  const reporter = new Reporter(log, stop.signal);
  const engine = new TaskEngine({
    runtime,
    config,
    report: (change) => reporter.report(change),
    // The host label marks what this agent created, so after a restart it takes over exactly its
    // own containers (several agents may share one Docker engine).
    additions: {
      labels: { ...options.labels, [HOST_LABEL]: hostId },
      environment: (task, container) => metadata?.environment(task, container) ?? {},
    },
    // One event subscription for the agent: its own containers only.
    eventLabels: { [HOST_LABEL]: hostId },
  });
  /** The channel at the endpoint DiscoverPollEndpoint names (the one the agent reached, if it names none). */
  async function openChannel(containerInstance: string): Promise<ChannelClient> {
    let endpoint = options.endpoint;
    try {
      const found = await client.send(
        new DiscoverPollEndpointCommand({ cluster: config.cluster, containerInstance }),
        {
          abortSignal: stop.signal,
        },
      );
      endpoint = found.endpoint ?? endpoint;
    } catch (err) {
      log.warn({ err }, 'DiscoverPollEndpoint failed; polling the endpoint the agent was given');
    }
    return new ChannelClient({
      endpoint,
      region: options.region,
      credentials: options.credentials ?? client.config.credentials,
    });
  }

  /** Hands the containers a previous run of this agent left to the engine (retried until Docker answers). */
  async function adoptLeftContainers(): Promise<void> {
    for (let delay = BACKOFF_MS.first; !stop.signal.aborted; delay = Math.min(delay * 2, BACKOFF_MS.max)) {
      try {
        const left = await runtime.list({ labels: { [HOST_LABEL]: hostId }, signal: stop.signal });
        if (left.length > 0)
          log.info({ containers: left.length }, 'taking over the containers left on this host');
        engine.adopt(left);
        return;
      } catch (err) {
        if (stop.signal.aborted) return;
        log.warn({ err, retryInMs: delay }, "cannot list this host's containers; retrying");
        await setTimeout(delay * (0.5 + Math.random()), undefined, { signal: stop.signal }).catch(
          () => undefined,
        );
      }
    }
  }

  let markConnected: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (markConnected = resolve));
  // The metadata endpoint first (see above).
  const registered: Promise<string> = (metadata?.ready ?? Promise.resolve()).then(register);
  registered.catch(() => undefined); // a stop before registration is not an unhandled rejection
  const polling = registered.then(
    async (containerInstanceArn) => {
      await adoptLeftContainers();
      const channel = await openChannel(containerInstanceArn);
      reporter.attach(channel, containerInstanceArn); // reports go through the channel
      return runPollLoop({
        client: channel,
        cluster: config.cluster,
        containerInstanceArn,
        desire: (specs) => {
          engine.desire(specs);
          markConnected();
        },
        log,
        signal: stop.signal,
        ...(options.pollWaitSeconds !== undefined ? { waitSeconds: options.pollWaitSeconds } : {}),
      });
    },
    () => undefined,
  );
  return {
    config,
    registered,
    connected,
    engine,
    async close() {
      stop.abort();
      await polling;
      await engine.close(); // containers keep running (a restarted agent re-attaches later)
      await reporter.drained();
      await metadata?.close();
      if (options.client === undefined) client.destroy(); // a shared client is its owner's
    },
  };
}
