import type {
  RegisterContainerInstanceCommandInput,
  RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';

/**
 * A realistic multi-container task definition: a web container and a log-shipping sidecar, with
 * port mappings, a health check, environment, secrets references, volumes and log configuration.
 */
export function webWithSidecar(family: string, imageTag = '1.0'): RegisterTaskDefinitionCommandInput {
  return {
    family,
    networkMode: 'bridge',
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
    volumes: [
      { name: 'shared-logs', dockerVolumeConfiguration: { scope: 'task', driver: 'local' } },
      { name: 'config', host: { sourcePath: '/etc/berth-demo' } },
    ],
    containerDefinitions: [
      {
        name: 'web',
        image: `registry.local/web:${imageTag}`,
        essential: true,
        cpu: 256,
        memory: 512,
        memoryReservation: 256,
        portMappings: [
          { containerPort: 8080, hostPort: 0, protocol: 'tcp', name: 'http', appProtocol: 'http' },
        ],
        environment: [
          { name: 'APP_ENV', value: 'production' },
          { name: 'PORT', value: '8080' },
        ],
        secrets: [
          {
            name: 'DB_PASSWORD',
            valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password-AbCdEf',
          },
          { name: 'API_KEY', valueFrom: '/web/api-key' },
        ],
        healthCheck: {
          command: ['CMD-SHELL', 'wget -q -O- http://localhost:8080/health || exit 1'],
          interval: 10,
          timeout: 3,
          retries: 3,
          startPeriod: 15,
        },
        mountPoints: [
          { sourceVolume: 'shared-logs', containerPath: '/var/log/web' },
          { sourceVolume: 'config', containerPath: '/etc/web', readOnly: true },
        ],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/ecs/web',
            'awslogs-region': 'us-east-1',
            'awslogs-stream-prefix': 'web',
          },
        },
        dependsOn: [{ containerName: 'log-router', condition: 'START' }],
        ulimits: [{ name: 'nofile', softLimit: 65536, hardLimit: 65536 }],
        dockerLabels: { 'com.example.team': 'web' },
      },
      {
        name: 'log-router',
        image: 'registry.local/log-router:2.1',
        essential: false,
        memoryReservation: 64,
        command: ['tail', '-F', '/var/log/web/access.log'],
        mountPoints: [{ sourceVolume: 'shared-logs', containerPath: '/var/log/web', readOnly: true }],
        logConfiguration: { logDriver: 'json-file', options: { 'max-size': '10m' } },
      },
    ],
    tags: [{ key: 'team', value: 'web' }],
  };
}

/** A RegisterContainerInstance input as an agent sends it, for `hostId` in `cluster`. */
export function registration(cluster: string, hostId: string): RegisterContainerInstanceCommandInput {
  return {
    cluster,
    instanceIdentityDocument: JSON.stringify({
      instanceId: hostId,
      availabilityZone: 'us-east-1a',
      instanceType: 'm5.large',
    }),
    totalResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375', '2376', '51678', '51679'] },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ],
    versionInfo: { agentVersion: '1.89.0', agentHash: '4e2d8c1b', dockerVersion: 'DockerVersion: 25.0.3' },
    attributes: [
      { name: 'ecs.os-type', value: 'linux' },
      { name: 'ecs.cpu-architecture', value: 'x86_64' },
      { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.44' },
      { name: 'rack', value: 'r1' },
    ],
    tags: [{ key: 'owner', value: 'platform' }],
  };
}
