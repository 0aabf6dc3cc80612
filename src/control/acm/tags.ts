import { checkCertificateArn } from '../../core/acm/arns.js';
import { notFound } from '../../core/acm/faults.js';
import { addTags, checkTags, removeTags } from '../../core/acm/tags.js';
import type { AcmTag } from '../../core/acm/types.js';
import type { Repositories } from '../../store/index.js';
import type { ControlDeps } from '../context.js';

/**
 * AddTagsToCertificate, RemoveTagsFromCertificate, ListTagsForCertificate over the shared
 * `resource_tags` table. Each change reads, merges and replaces the set in one transaction (the
 * tag repository serialises those per resource), after holding the certificate so a concurrent
 * DeleteCertificate cannot leave orphan tags.
 */
export class CertificateTagOperations {
  constructor(private readonly deps: Pick<ControlDeps, 'store'>) {}

  async add(input: { readonly CertificateArn: string; readonly Tags: readonly AcmTag[] }): Promise<object> {
    checkTags(input.Tags);
    await this.change(input.CertificateArn, (current) => addTags(current, input.Tags));
    return {};
  }

  async remove(input: {
    readonly CertificateArn: string;
    readonly Tags: readonly AcmTag[];
  }): Promise<object> {
    checkTags(input.Tags);
    await this.change(input.CertificateArn, (current) => removeTags(current, input.Tags));
    return {};
  }

  async list(input: { readonly CertificateArn: string }): Promise<object> {
    checkCertificateArn(input.CertificateArn);
    const { store } = this.deps;
    if (!(await store.certificates.get(input.CertificateArn))) throw notFound(input.CertificateArn);
    const tags = await store.tags.list(input.CertificateArn);
    return { Tags: tags.map((t) => ({ Key: t.key, Value: t.value })) };
  }

  private async change(arn: string, next: (current: AcmTag[]) => readonly AcmTag[]): Promise<void> {
    checkCertificateArn(arn);
    await this.deps.store.transaction(async (repos) => {
      if (!(await repos.certificates.hold(arn))) throw notFound(arn);
      const current = (await repos.tags.list(arn)).map((t) => ({ Key: t.key, Value: t.value }));
      await repos.tags.replace(
        arn,
        next(current).map((t) => ({ key: t.Key, value: t.Value ?? '' })),
      );
    });
  }
}

/** Tags given with ImportCertificate, written in the importing transaction. */
export async function writeTags(repos: Repositories, arn: string, tags: readonly AcmTag[]): Promise<void> {
  if (tags.length === 0) return;
  await repos.tags.replace(
    arn,
    addTags([], tags).map((t) => ({ key: t.Key, value: t.Value })),
  );
}
