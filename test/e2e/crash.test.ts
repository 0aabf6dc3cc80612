import {
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanup, scratchDir, startBerth, type BerthProcess } from '../support/berth-process.js';
import { webWithSidecar } from '../support/fixtures.js';
import { uniqueName } from '../support/server.js';

/**
 * Crash safety of revision allocation: `berth up` is SIGKILLed in the middle of a burst of
 * concurrent RegisterTaskDefinition calls, again and again on one data dir. Whatever the client was
 * told must be there after the restart, whole, and each family's revisions stay 1..max with no gap
 * and no duplicate — a revision the crash cut off leaves no trace, not even a skipped number.
 */
interface Ack {
  readonly id: string;
  readonly family: string;
  readonly revision: number;
  readonly taskDefinition: TaskDefinition;
  readonly tags: Tag[] | undefined;
}

const CLIENTS = 6;
const KILLS = 3;

/** One registration, recognisable after the crash by its id in the image, an env var and a tag. */
function definition(family: string, id: string): ReturnType<typeof webWithSidecar> {
  const input = webWithSidecar(family, id);
  input.containerDefinitions![0]!.environment!.push({ name: 'BURST_ID', value: id });
  input.tags = [...(input.tags ?? []), { key: 'burst', value: id }];
  return input;
}

/**
 * Several clients register into both families as fast as they can; after `killAfter` acks the
 * server gets SIGKILL. Returns every ack (some arrive after the kill: they were sent before it).
 */
async function burstThenKill(
  berth: BerthProcess,
  families: readonly string[],
  round: number,
  killAfter: number,
): Promise<{ acks: Ack[]; inFlightAtKill: number }> {
  const acks: Ack[] = [];
  const errorsBeforeKill: unknown[] = [];
  let killed = false;
  let inFlight = 0;
  let inFlightAtKill = 0;
  const worker = async (ecs: ECSClient, w: number): Promise<void> => {
    // Bounded: the kill comes after `killAfter` acks; the bound only stops a runaway loop.
    for (let i = 0; !killed && i < 1_000; i++) {
      const family = families[(w + i) % families.length]!;
      const id = `r${round}-c${w}-${i}`;
      inFlight++;
      try {
        const out = await ecs.send(new RegisterTaskDefinitionCommand(definition(family, id)));
        acks.push({
          id,
          family,
          revision: out.taskDefinition!.revision!,
          taskDefinition: out.taskDefinition!,
          tags: out.tags,
        });
        if (acks.length >= killAfter && !killed) {
          killed = true;
          inFlightAtKill = inFlight - 1;
          process.kill(berth.pid, 'SIGKILL');
        }
      } catch (err) {
        if (!killed) errorsBeforeKill.push(err);
        return;
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, w) => worker(berth.ecs(), w)));
  assert.deepEqual(errorsBeforeKill, [], 'no registration failed before the kill');
  assert.ok(killed, 'the burst reached the kill');
  const exit = await berth.exited;
  assert.equal(exit.signal, 'SIGKILL');
  return { acks, inFlightAtKill };
}

/** Every revision of `family` that the store lists as ACTIVE, in order. */
async function listRevisions(ecs: ECSClient, family: string): Promise<number[]> {
  const revisions: number[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ecs.send(
      new ListTaskDefinitionsCommand({
        familyPrefix: family,
        maxResults: 100,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const arn of out.taskDefinitionArns ?? []) {
      const [name, revision] = arn.split('/').pop()!.split(':');
      assert.equal(name, family);
      revisions.push(Number(revision));
    }
    nextToken = out.nextToken;
  } while (nextToken);
  return revisions;
}

const byKey = (tags: Tag[] | undefined): Tag[] =>
  [...(tags ?? [])].sort((a, b) => (a.key! < b.key! ? -1 : 1));

async function inBatches<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/**
 * After a restart: every ack is there as acknowledged, each family is exactly 1..max, and every
 * stored revision — acknowledged or not — is whole (its tags committed with it). Returns each max.
 */
async function verify(
  ecs: ECSClient,
  families: readonly string[],
  acks: readonly Ack[],
): Promise<Map<string, number>> {
  const maxima = new Map<string, number>();
  for (const family of families) {
    const acked = acks.filter((a) => a.family === family).map((a) => a.revision);
    assert.equal(new Set(acked).size, acked.length, `${family}: no revision was handed out twice`);
    const stored = await listRevisions(ecs, family);
    const max = stored.length;
    assert.deepEqual(
      stored,
      Array.from({ length: max }, (_, i) => i + 1),
      `${family}: revisions are 1..${max} with no gap or duplicate`,
    );
    assert.ok(
      acked.every((r) => r <= max),
      `${family}: every acknowledged revision is within 1..${max}`,
    );
    maxima.set(family, max);

    await inBatches(stored, 16, async (revision) => {
      const out = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: `${family}:${revision}`, include: ['TAGS'] }),
      );
      const id = out.tags?.find((t) => t.key === 'burst')?.value;
      assert.ok(id, `${family}:${revision} has its tags`);
      const web = out.taskDefinition?.containerDefinitions?.find((c) => c.name === 'web');
      assert.equal(web?.image, `registry.local/web:${id}`, `${family}:${revision} is whole`);
      assert.ok(web?.environment?.some((e) => e.name === 'BURST_ID' && e.value === id));
    });
  }
  await inBatches(acks, 16, async (ack) => {
    const out = await ecs.send(
      new DescribeTaskDefinitionCommand({
        taskDefinition: `${ack.family}:${ack.revision}`,
        include: ['TAGS'],
      }),
    );
    assert.deepEqual(out.taskDefinition, ack.taskDefinition, `${ack.id} is there as acknowledged`);
    assert.deepEqual(byKey(out.tags), byKey(ack.tags), `${ack.id} has its tags (in any order)`);
  });
  return maxima;
}

describe('berth up killed with SIGKILL during concurrent registrations', { timeout: 90_000 }, () => {
  after(cleanup);

  it(`keeps every acknowledged revision and numbers revisions 1..max across ${KILLS} kills`, async (t) => {
    const dataDir = join(scratchDir(), 'data');
    const families = [uniqueName('burstA'), uniqueName('burstB')];
    const acks: Ack[] = [];
    let berth = await startBerth({ dataDir });
    let maxima = new Map<string, number>();

    for (let round = 1; round <= KILLS; round++) {
      const killAfter = 20 + 10 * round;
      const burst = await burstThenKill(berth, families, round, killAfter);
      acks.push(...burst.acks);
      t.diagnostic(
        `round ${round}: ${burst.acks.length} acks, ${burst.inFlightAtKill} requests in flight at the kill`,
      );
      assert.ok(burst.acks.length >= killAfter);
      assert.ok(burst.inFlightAtKill > 0, 'the kill landed in the middle of the burst');

      berth = await startBerth({ dataDir });
      const before = maxima;
      maxima = await verify(berth.ecs(), families, acks);
      for (const family of families) {
        assert.ok(maxima.get(family)! > (before.get(family) ?? 0), `${family} grew in round ${round}`);
      }
    }

    // Registering after the last crash continues right after the highest stored revision.
    const ecs = berth.ecs();
    for (const family of families) {
      const out = await ecs.send(new RegisterTaskDefinitionCommand(definition(family, 'after-crash')));
      assert.equal(out.taskDefinition?.revision, maxima.get(family)! + 1);
    }
    const stop = await berth.stop();
    assert.equal(stop.code, 0);
  });
});
