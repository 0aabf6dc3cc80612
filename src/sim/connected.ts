import { DescribeContainerInstancesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { setTimeout as sleep } from 'node:timers/promises';

/** DescribeContainerInstances takes at most this many instances per call. */
const PER_CALL = 100;
const CHECK_EVERY_MS = 250;

/**
 * Resolves once every instance of `arns` is ACTIVE with its agent connected, as a user sees it
 * through DescribeContainerInstances: only then does RunTask place tasks on it (placement refuses
 * an instance whose agent has not polled). An agent's first Poll follows its registration within
 * milliseconds; `timeoutMs` bounds the wait so a host that never connects is an error, not a hang.
 */
export async function untilConnected(
  client: ECSClient,
  cluster: string,
  arns: readonly string[],
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let waiting = [...arns];
  while (waiting.length > 0) {
    const still: string[] = [];
    for (let i = 0; i < waiting.length; i += PER_CALL) {
      const batch = waiting.slice(i, i + PER_CALL);
      const { containerInstances = [] } = await client.send(
        new DescribeContainerInstancesCommand({ cluster, containerInstances: batch }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      const ready = new Set(
        containerInstances
          .filter((c) => c.status === 'ACTIVE' && c.agentConnected === true)
          .map((c) => c.containerInstanceArn),
      );
      still.push(...batch.filter((arn) => !ready.has(arn)));
    }
    waiting = still;
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${waiting.length} of ${arns.length} simulated hosts are not ACTIVE and connected after ${options.timeoutMs} ms (first: ${waiting[0]})`,
      );
    }
    await sleep(CHECK_EVERY_MS, undefined, options.signal ? { signal: options.signal } : {});
  }
}
