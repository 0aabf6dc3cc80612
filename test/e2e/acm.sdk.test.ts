import {
  AddTagsToCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RemoveTagsFromCertificateCommand,
  type ACMClient,
  type ListCertificatesCommandInput,
} from '@aws-sdk/client-acm';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DeleteListenerCommand,
  DescribeListenersCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { certificateSource } from '../../src/control/acm/certificate-source.js';
import { loadBalancingModel } from '../../src/control/elbv2/model.js';
import { acmClient, issuedBy, scratch, selfSigned, type TestCertificate } from '../support/acm.js';
import { aws } from '../support/berth-process.js';
import { elbClient, fixed404, rejects } from '../support/elbv2.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * ACM through @aws-sdk/client-acm (awsJson1_1) and the AWS CLI: imported certificates described
 * as ACM describes them, listed, tagged, re-imported in place, refused with ACM's errors while
 * nothing is stored, and used by ELBv2 HTTPS listeners — which makes them undeletable and hands
 * their PEM material to the data plane.
 */
describe('ACM certificate store through the AWS SDK', () => {
  let berth: TestServer;
  let acm: ACMClient;
  let elb: ElasticLoadBalancingV2Client;
  let dir: string;
  let app: TestCertificate;

  const importPem = async (c: TestCertificate, extra: { CertificateArn?: string; chain?: string } = {}) =>
    (
      await acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(c.certificatePem),
          PrivateKey: Buffer.from(c.keyPem),
          ...(extra.chain !== undefined ? { CertificateChain: Buffer.from(extra.chain) } : {}),
          ...(extra.CertificateArn !== undefined ? { CertificateArn: extra.CertificateArn } : {}),
        }),
      )
    ).CertificateArn ?? '';
  const describeArn = async (arn: string) =>
    (await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate ?? {};
  const listAll = async (input: ListCertificatesCommandInput = {}) => {
    const arns: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await acm.send(new ListCertificatesCommand({ ...input, NextToken }));
      arns.push(...(page.CertificateSummaryList ?? []).map((c) => c.CertificateArn ?? ''));
      NextToken = page.NextToken;
    } while (NextToken !== undefined);
    return arns;
  };

  before(async () => {
    berth = await startTestServer({ serviceScheduler: { run: false } });
    acm = acmClient(berth);
    elb = elbClient(berth);
    dir = scratch();
    app = selfSigned(dir, 'app');
  });
  after(async () => {
    acm.destroy();
    elb.destroy();
    await berth.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a certificate and describes it as ACM describes an imported one', async () => {
    const arn = (
      await acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(app.certificatePem),
          PrivateKey: Buffer.from(app.keyPem),
          Tags: [{ Key: 'team', Value: 'web' }],
        }),
      )
    ).CertificateArn;
    assert.match(arn ?? '', /^arn:aws:acm:us-east-1:123456789012:certificate\/[0-9a-f-]{36}$/);
    const x509 = new X509Certificate(app.certificatePem);
    const c = await describeArn(arn ?? '');
    assert.equal(c.CertificateArn, arn);
    assert.equal(c.DomainName, 'app.example.test');
    assert.deepEqual(c.SubjectAlternativeNames, ['app.example.test', 'www.example.test']);
    assert.equal(c.Subject, 'CN=app.example.test');
    assert.equal(c.Issuer, 'app.example.test');
    assert.equal(
      c.Serial?.replaceAll(':', '').toUpperCase().replace(/^0+/, ''),
      x509.serialNumber.replace(/^0+/, ''),
    );
    assert.match(c.Serial ?? '', /^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    assert.equal(c.NotBefore?.getTime(), Date.parse(x509.validFrom));
    assert.equal(c.NotAfter?.getTime(), Date.parse(x509.validTo));
    assert.equal(c.KeyAlgorithm, 'RSA_2048');
    assert.equal(c.SignatureAlgorithm, 'SHA256WITHRSA');
    assert.equal(c.Type, 'IMPORTED');
    assert.equal(c.Status, 'ISSUED');
    assert.ok(c.ImportedAt instanceof Date && Math.abs(c.ImportedAt.getTime() - Date.now()) < 60_000);
    assert.equal(c.CreatedAt, undefined);
    assert.deepEqual(c.InUseBy, []);
    const tags = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'web' }]);
  });

  it('gets the certificate and its chain, never the key', async () => {
    const ca = selfSigned(dir, 'ca', { cn: 'Test CA', sans: ['ca.example.test'] });
    const leaf = issuedBy(dir, 'leaf', ca, 'leaf.example.test');
    const arn = await importPem(leaf, { chain: ca.certificatePem });
    const got = await acm.send(new GetCertificateCommand({ CertificateArn: arn }));
    assert.equal(got.Certificate, leaf.certificatePem);
    assert.equal(got.CertificateChain, ca.certificatePem);
    assert.ok(!JSON.stringify(got).includes('PRIVATE KEY'));
    const c = await describeArn(arn);
    assert.equal(c.Subject, 'CN=leaf.example.test,O=Leaf Org');
    assert.equal(c.Issuer, 'Test CA');
    assert.deepEqual(c.SubjectAlternativeNames, ['leaf.example.test']);
  });

  it('lists RSA certificates by default, pages them, and filters by key type and status', async () => {
    const rsa = [await importPem(selfSigned(dir, 'l1')), await importPem(selfSigned(dir, 'l2'))];
    const ec = await importPem(selfSigned(dir, 'l3', { ec: true }));
    const everyRsa = await listAll();
    for (const arn of rsa) assert.ok(everyRsa.includes(arn));
    assert.ok(!everyRsa.includes(ec), 'ACM lists only RSA_1024/RSA_2048 without Includes.keyTypes');

    const first = await acm.send(new ListCertificatesCommand({ MaxItems: 2 }));
    assert.equal(first.CertificateSummaryList?.length, 2);
    assert.ok(first.NextToken);
    const paged = await listAll({ MaxItems: 1 });
    assert.deepEqual(paged, everyRsa, 'pages of one add up to the whole list, in the same order');

    const summary = (
      await acm.send(new ListCertificatesCommand({ Includes: { keyTypes: ['EC_prime256v1'] } }))
    ).CertificateSummaryList;
    assert.deepEqual(
      summary?.map((s) => [s.CertificateArn, s.KeyAlgorithm, s.Status, s.Type, s.InUse]),
      [[ec, 'EC_prime256v1', 'ISSUED', 'IMPORTED', false]],
    );
    assert.deepEqual(await listAll({ CertificateStatuses: ['EXPIRED'] }), []);
    assert.deepEqual(await listAll({ CertificateStatuses: ['ISSUED'] }), everyRsa);
    const newestFirst = await listAll({ SortBy: 'CREATED_AT', SortOrder: 'DESCENDING' });
    assert.deepEqual(newestFirst, [...everyRsa].reverse());
  });

  it('adds, lists and removes tags with ACM rules', async () => {
    const arn = await importPem(selfSigned(dir, 'tags'));
    const tagsOf = async () =>
      (await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags;
    await acm.send(
      new AddTagsToCertificateCommand({
        CertificateArn: arn,
        Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'ops' }, { Key: 'flag' }],
      }),
    );
    assert.deepEqual(await tagsOf(), [
      { Key: 'env', Value: 'prod' },
      { Key: 'flag', Value: '' },
      { Key: 'owner', Value: 'ops' },
    ]);
    // A value given on removal must match; without one the key goes whatever its value.
    await acm.send(
      new RemoveTagsFromCertificateCommand({
        CertificateArn: arn,
        Tags: [{ Key: 'env', Value: 'staging' }, { Key: 'owner' }],
      }),
    );
    assert.deepEqual(await tagsOf(), [
      { Key: 'env', Value: 'prod' },
      { Key: 'flag', Value: '' },
    ]);
    await rejects(
      acm.send(
        new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'aws:x', Value: 'y' }] }),
      ),
      'InvalidTagException',
    );
    const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await rejects(
      acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: many })),
      'TooManyTagsException',
    );
    assert.equal((await tagsOf())?.length, 2, 'a refused tag call changes nothing');
  });

  it('re-imports in place: same ARN, new material, tags kept; the key algorithm may not change', async () => {
    const arn = await importPem(
      selfSigned(dir, 'old', { cn: 'old.example.test', sans: ['old.example.test'] }),
    );
    await acm.send(
      new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'keep', Value: 'me' }] }),
    );
    const renewed = selfSigned(dir, 'new', { cn: 'new.example.test', sans: ['new.example.test'] });
    assert.equal(await importPem(renewed, { CertificateArn: arn }), arn);
    const c = await describeArn(arn);
    assert.equal(c.DomainName, 'new.example.test');
    assert.equal(
      (await acm.send(new GetCertificateCommand({ CertificateArn: arn }))).Certificate,
      renewed.certificatePem,
    );
    assert.deepEqual((await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags, [
      { Key: 'keep', Value: 'me' },
    ]);
    await rejects(
      importPem(selfSigned(dir, 'ec-over', { ec: true }), { CertificateArn: arn }),
      'ValidationException',
    );
    assert.equal((await describeArn(arn)).DomainName, 'new.example.test');
    const unknown = arn.replace(/[0-9a-f]{12}$/, '000000000000');
    await rejects(importPem(renewed, { CertificateArn: unknown }), 'ResourceNotFoundException');
  });

  it('refuses a key that does not match, garbage PEM, and bad ARNs, storing nothing', async () => {
    const before = await listAll({ Includes: { keyTypes: ['RSA_2048', 'EC_prime256v1'] } });
    const other = selfSigned(dir, 'other');
    await assert.rejects(
      acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(app.certificatePem),
          PrivateKey: Buffer.from(other.keyPem),
        }),
      ),
      (err: Error) => err.name === 'ValidationException' && /private key does not match/.test(err.message),
    );
    await assert.rejects(
      acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(
            '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
          ),
          PrivateKey: Buffer.from(app.keyPem),
        }),
      ),
      (err: Error) =>
        err.name === 'ValidationException' && /certificate could not be parsed/.test(err.message),
    );
    await assert.rejects(
      acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(app.certificatePem),
          PrivateKey: Buffer.from('hello'),
        }),
      ),
      (err: Error) => err.name === 'ValidationException' && /private key/.test(err.message),
    );
    assert.deepEqual(await listAll({ Includes: { keyTypes: ['RSA_2048', 'EC_prime256v1'] } }), before);
    await rejects(
      acm.send(
        new DescribeCertificateCommand({
          CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/nope',
        }),
      ),
      'ResourceNotFoundException',
    );
    await rejects(
      acm.send(
        new DescribeCertificateCommand({ CertificateArn: 'arn:aws:elasticloadbalancing:us-east-1:1:x/y' }),
      ),
      'InvalidArnException',
    );
    await rejects(
      acm.send(new DeleteCertificateCommand({ CertificateArn: 'certificate' })),
      'InvalidArnException',
    );
  });

  it('serves HTTPS listeners: unknown ARNs are CertificateNotFound, used ones cannot be deleted', async () => {
    const lb = await elb.send(new CreateLoadBalancerCommand({ Name: 'tls' }));
    const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
    const pem = selfSigned(dir, 'listener');
    const arn = await importPem(pem);
    const https = (Port: number, CertificateArn: string) =>
      elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lbArn,
          Protocol: 'HTTPS',
          Port,
          Certificates: [{ CertificateArn }],
          DefaultActions: [fixed404],
        }),
      );
    await rejects(https(19443, arn.replace(/[0-9a-f]{12}$/, '000000000000')), 'CertificateNotFoundException');
    assert.deepEqual(
      (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners,
      [],
    );

    const listenerArn = (await https(19443, arn)).Listeners?.[0]?.ListenerArn ?? '';
    assert.deepEqual((await describeArn(arn)).InUseBy, [listenerArn]);
    const inUse = (await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList?.find(
      (s) => s.CertificateArn === arn,
    );
    assert.equal(inUse?.InUse, true);

    const model = await loadBalancingModel(
      { store: berth.server.store, now: Date.now },
      certificateSource({ store: berth.server.store }),
    );
    const served = model.loadBalancers.find((l) => l.arn === lbArn)?.listeners[0]?.certificates;
    assert.deepEqual(served, [{ arn, certificatePem: pem.certificatePem, privateKeyPem: pem.keyPem }]);

    await rejects(acm.send(new DeleteCertificateCommand({ CertificateArn: arn })), 'ResourceInUseException');
    assert.equal((await describeArn(arn)).Status, 'ISSUED');
    await elb.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
    await acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));
    await rejects(
      acm.send(new DescribeCertificateCommand({ CertificateArn: arn })),
      'ResourceNotFoundException',
    );
    await rejects(
      acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn })),
      'ResourceNotFoundException',
    );
  });

  it('imports through the AWS CLI from fileb:// files', async () => {
    const cli = selfSigned(dir, 'cli', { cn: 'cli.example.test', sans: ['cli.example.test'], ec: true });
    const out = await aws<{ CertificateArn: string }>(berth, [
      'acm',
      'import-certificate',
      '--certificate',
      `fileb://${cli.certificatePath}`,
      '--private-key',
      `fileb://${cli.keyPath}`,
    ]);
    const described = await aws<{ Certificate: { DomainName: string; KeyAlgorithm: string } }>(berth, [
      'acm',
      'describe-certificate',
      '--certificate-arn',
      out.CertificateArn,
    ]);
    assert.equal(described.Certificate.DomainName, 'cli.example.test');
    assert.equal(described.Certificate.KeyAlgorithm, 'EC_prime256v1');
  });
});
