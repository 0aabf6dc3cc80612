import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { until } from './until.js';

/** Reading a cluster's services as a test waits on them: one service, its tasks, its steady state. */
export interface ServiceProbes {
  readonly describeService: (name: string) => Promise<Service>;
  /** Every task the service still lists (ListTasks: not yet STOPPED), described. */
  readonly liveTasks: (name: string) => Promise<Task[]>;
  /** Waits for one COMPLETED deployment with runningCount = desiredCount (`aws ecs wait services-stable`). */
  readonly steady: (name: string, timeoutMs?: number) => Promise<Service>;
}

export function serviceProbes(ecs: () => ECSClient, cluster: () => string): ServiceProbes {
  const describeService = async (name: string): Promise<Service> =>
    (await ecs().send(new DescribeServicesCommand({ cluster: cluster(), services: [name] })))
      .services?.[0] as Service;
  return {
    describeService,
    liveTasks: async (name) => {
      const arns =
        (await ecs().send(new ListTasksCommand({ cluster: cluster(), serviceName: name }))).taskArns ?? [];
      if (arns.length === 0) return [];
      return (await ecs().send(new DescribeTasksCommand({ cluster: cluster(), tasks: arns }))).tasks ?? [];
    },
    steady: (name, timeoutMs = 60_000) =>
      until(
        `service ${name} to reach a steady state`,
        async () => {
          const s = await describeService(name);
          const one = s.deployments?.length === 1 && s.deployments[0]?.rolloutState === 'COMPLETED';
          return one && s.runningCount === s.desiredCount ? s : undefined;
        },
        timeoutMs,
      ),
  };
}
