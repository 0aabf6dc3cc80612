import type { ContainerInstanceRecord } from '../../core/ecs/container-instance.js';
import { clientFault } from '../../core/fault.js';
import type { ControlDeps } from '../context.js';

/**
 * The container instance an agent-channel call speaks for: registered, not INACTIVE, in `cluster`
 * (a name). Anything else is a ClientException telling the agent to register first.
 */
export async function requireAgentInstance(
  deps: ControlDeps,
  cluster: string,
  arn: string | undefined,
): Promise<ContainerInstanceRecord> {
  const ref = arn ?? '';
  const instance = await deps.store.containerInstances.byArn(ref);
  if (!instance || instance.cluster !== cluster || instance.status === 'INACTIVE') {
    throw clientFault(
      `'${ref}' is not a registered container instance of cluster '${cluster}': register it first.`,
    );
  }
  return instance;
}
