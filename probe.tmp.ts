import { startTestServer } from './test/support/server.js';
import { signedRequest, ECS_TARGET } from './test/support/signed.js';
import * as ecs from '@aws-sdk/client-ecs';
const berth = await startTestServer();
const opts = { credentials: berth.credentials, region: berth.region };
async function call(op: string, body: string) {
  const r = await signedRequest(berth.endpoint, { target: `${ECS_TARGET}.${op}`, body }, opts);
  if (r.status >= 500) console.log(op, body.slice(0, 120), '->', r.status, r.text.slice(0, 200));
}
const ops = ['CreateCluster','DescribeClusters','ListClusters','UpdateCluster','UpdateClusterSettings','DeleteCluster','PutClusterCapacityProviders','RegisterTaskDefinition','DescribeTaskDefinition','ListTaskDefinitions','ListTaskDefinitionFamilies','DeregisterTaskDefinition','DeleteTaskDefinitions','TagResource','UntagResource','ListTagsForResource','PutAccountSetting','PutAccountSettingDefault','ListAccountSettings','DeleteAccountSetting'];
for (const op of ops) {
  const s = (ecs as any)[op + 'Request$'];
  const members: string[] = s[4];
  for (const m of members) {
    await call(op, JSON.stringify({ [m]: null }));
    await call(op, JSON.stringify({ name: 'containerInsights', value: 'enabled', cluster: 'default', resourceArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default', taskDefinition: 'x:1', [m]: null }));
  }
}
console.log('done');
await berth.close();
