// The index across real gateway processes: one killed (SIGKILL) in the middle of its backfill
// resumes from its checkpoint at the next start, without listing again what was done, and ends
// with every dispute once; three replicas on one PostgreSQL elect one sync leader, every replica
// reads, a leader killed is replaced within the lease's term, and one stopped (SIGTERM) hands the
// lease over at once; a deadline reminder goes out once among them, and not again after a restart.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/index/sqlite.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';
import type { ProviderFake } from '../../src/sandbox/types.js';
import { freshDatabase } from '../../scripts/postgres-server.js';
import { postgresServer } from '../helpers/index-stores.js';
import { readyUrl, spawnGateway } from '../helpers/process.js';
import { postWebhook } from '../helpers/events.js';
import { encodeDisputeId } from '../../src/domain/ids.js';

const started: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function gatewayProcess(env: Record<string, string>) {
  const proc = spawnGateway({ PORT: '0', GATEWAY_AUTH: 'none', LOG_LEVEL: 'info', INDEX: 'on', ...env });
  started.push(proc);
  const out = { out: '' };
  const url = await readyUrl(proc, out, 30_000);
  return { proc, url, out };
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: any[]; extensions?: any };
}

/** Announces, by a signed Stripe webhook to each of `urls`, a new dispute whose deadline is 6 hours away. */
async function announceSoon(sandbox: Sandbox, urls: string[], id: string): Promise<void> {
  const stripe = sandbox.fakes.find((f) => f.name === 'STRIPE')!.fake;
  const template = (await (
    await fetch(`${stripe.url}/v1/disputes/${stripe.expected()[0]!.id}`, { headers: { authorization: `Bearer ${stripe.env.STRIPE_SECRET_KEY}` } })
  ).json()) as Record<string, any>;
  const now = Math.floor(Date.now() / 1000);
  const object = { ...template, id, status: 'needs_response', created: now, evidence_details: { ...template.evidence_details, due_by: now + 6 * 3600 } };
  const event = { id: `evt_${id}`, object: 'event', type: 'charge.dispute.created', created: now, livemode: false, data: { object } };
  for (const url of urls) expect((await postWebhook(new URL(url).origin, 'STRIPE', event, stripe.env.STRIPE_WEBHOOK_SECRET!)).status).toBe(200);
}

const STATUS = '{ indexStatus { provider state disputes backfill { listed } } }';
const allLive = async (url: string) => ((await gql(url, STATUS)).data?.indexStatus ?? []).every((s: { state: string }) => s.state === 'LIVE');

describe('a gateway killed in the middle of its backfill', () => {
  const fakes: ProviderFake[] = [];
  afterAll(async () => {
    for (const f of fakes) await f.close();
  });

  it('resumes from the checkpoint at the next start: no page listed again, nothing lost or doubled', async () => {
    const N = 2_500;
    for (const name of ['STRIPE', 'AFTERPAY'] as const) fakes.push(await sandboxProviderOf(name).startFake({ seed: 21, count: N }));
    const [stripe, afterpay] = fakes as [ProviderFake, ProviderFake];
    const dataDir = mkdtempSync(join(tmpdir(), 'dg-index-kill-'));
    dirs.push(dataDir);
    // Slow enough to be caught in the middle: 8 pages a second per provider, 25 pages each.
    const env = { ...stripe.env, ...afterpay.env, STRIPE_RATE_LIMIT: '8', AFTERPAY_RATE_LIMIT: '8', DATA_DIR: dataDir };
    const first = await gatewayProcess(env);
    await expect
      .poll(async () => ((await gql(first.url, STATUS)).data?.indexStatus ?? []).every((s: any) => (s.backfill?.listed ?? 0) >= 600), {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(true);
    // Meanwhile: index-only orders answer from what is indexed and say it is incomplete; today's order stays live.
    const partial = await gql(first.url, '{ disputes(first: 3, orderBy: { field: AMOUNT, direction: DESC }) { totalCount nodes { id } } }');
    expect(partial.errors).toBeUndefined();
    expect(partial.data.disputes.totalCount).toBeGreaterThanOrEqual(1_200);
    expect(partial.data.disputes.totalCount).toBeLessThan(2 * N);
    expect((partial as any).extensions.index[0]).toMatchObject({ path: ['disputes'], complete: false });
    const today = await gql(first.url, '{ disputes(first: 3) { totalCount nodes { id } } }');
    expect([today.data.disputes.totalCount, (today as any).extensions?.index, today.data.disputes.nodes.length]).toEqual([null, undefined, 3]);
    first.proc.kill('SIGKILL');
    await once(first.proc, 'exit');

    // What the checkpoints say was done (the dead process's lock is taken over, then given back).
    const store = await openEmbeddedStore(dataDir);
    const done = { STRIPE: (await store.sync('STRIPE', 'default'))!, AFTERPAY: (await store.sync('AFTERPAY', 'default'))! };
    await store.close();
    for (const s of Object.values(done)) {
      expect(s.phase).toBe('BACKFILLING');
      expect(s.listed).toBeGreaterThanOrEqual(600);
      expect(s.listed).toBeLessThan(N);
    }
    const before = { STRIPE: stripe.server.received, AFTERPAY: afterpay.server.received };

    const second = await gatewayProcess(env);
    await expect.poll(() => allLive(second.url), { timeout: 30_000, interval: 100 }).toBe(true);
    for (const [name, fake] of [
      ['STRIPE', stripe],
      ['AFTERPAY', afterpay],
    ] as const) {
      // The pages after the checkpoint (Afterpay's anchored pages hold 99), the page in flight at the kill, and the head sweep.
      const bound = Math.ceil((N - done[name].listed) / 99) + 2;
      expect(fake.server.received - before[name], name).toBeLessThanOrEqual(bound);
    }
    // Every dispute exactly once (the seeded ones, and the three Stripe's fake adds).
    const total = stripe.expected().length + afterpay.expected().length;
    expect(total).toBe(2 * N + 3);
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await gql(
        second.url,
        'query($after: String) { disputes(first: 100, after: $after, orderBy: { field: AMOUNT, direction: ASC }) { totalCount pageInfo { hasNextPage endCursor } nodes { providerDisputeId } } }',
        { after },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data.disputes.totalCount).toBe(total);
      ids.push(...r.data.disputes.nodes.map((n: { providerDisputeId: string }) => n.providerDisputeId));
      if (!r.data.disputes.pageInfo.hasNextPage) break;
      after = r.data.disputes.pageInfo.endCursor;
    }
    expect(ids).toHaveLength(total);
    expect(new Set(ids)).toEqual(new Set([...stripe.expected(), ...afterpay.expected()].map((d) => d.id)));
    second.proc.kill('SIGTERM');
    await once(second.proc, 'exit');
  }, 90_000);
});

describe('three replicas on one PostgreSQL', () => {
  let sandbox: Sandbox;
  afterAll(async () => {
    await sandbox?.close();
  });

  it('elect one sync leader, all read, and hand over when the leader is killed or stopped', async () => {
    sandbox = await startSandbox(23, { count: 120 });
    const databaseUrl = await freshDatabase(await postgresServer());
    // Renewed every third of its term: a lease left to expire goes 6-9 s after its holder's end, one given back within a renewal (3 s).
    const LEASE_S = 9;
    const env = { ...sandbox.env, DATABASE_URL: databaseUrl, INDEX_LEASE_S: String(LEASE_S), INDEX_RECONCILE_EVERY_S: '2', DEADLINE_REMINDER_TICK_S: '1' };
    const replicas = await Promise.all([0, 1, 2].map(() => gatewayProcess(env)));
    for (const r of replicas) await expect.poll(() => allLive(r.url), { timeout: 30_000, interval: 100 }).toBe(true);
    const leads = (r: (typeof replicas)[number]) => r.out.out.split('\n').filter((l) => l.includes('"index: this replica runs the sync"')).length;
    expect(replicas.map(leads).reduce((a, b) => a + b)).toBe(1);
    // One backfill, not three: each account went live once.
    const lived = replicas.flatMap((r) => r.out.out.split('\n').filter((l) => l.includes('"index: account live"')));
    expect(lived).toHaveLength(sandbox.fakes.length);
    const inbox = '{ disputes(first: 10, orderBy: { field: DUE_BY, direction: ASC }, filter: { status: [NEEDS_RESPONSE] }) { totalCount } }';
    const totals = await Promise.all(replicas.map(async (r) => (await gql(r.url, inbox)).data?.disputes.totalCount));
    expect(new Set(totals).size).toBe(1);
    expect(totals[0]).toBeGreaterThan(0);

    // A dispute opened 6 hours before its deadline, its webhook delivered to all three: one reminder among them, ticks or not.
    const soon = 'du_replicaSoon00001';
    const remindersOf = async (urls: string[]) => {
      const id = encodeDisputeId({ provider: 'STRIPE', account: 'default', providerDisputeId: soon });
      const q = 'query($id: ID!) { disputeEvents(first: 10, filter: { types: [DEADLINE_APPROACHING], disputeId: $id }) { nodes { reminderWindow } } }';
      const pages = await Promise.all(urls.map((u) => gql(u, q, { id })));
      return pages.flatMap((p) => p.data?.disputeEvents.nodes ?? []).length;
    };
    await announceSoon(
      sandbox,
      replicas.map((r) => r.url),
      soon,
    );
    await expect.poll(() => remindersOf(replicas.map((r) => r.url)), { timeout: 10_000, interval: 100 }).toBe(1);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await remindersOf(replicas.map((r) => r.url))).toBe(1);

    // The leader dies: another takes the lease once its term runs out.
    const leader = replicas.find((r) => leads(r) === 1)!;
    const followers = replicas.filter((r) => r !== leader);
    leader.proc.kill('SIGKILL');
    await once(leader.proc, 'exit');
    await expect.poll(() => followers.map(leads).reduce((a, b) => a + b), { timeout: (LEASE_S + 6) * 1000, interval: 100 }).toBe(1);
    // The new leader reconciles: a change no webhook told of reaches every replica's answers.
    for (const { fake } of sandbox.fakes) fake.webhooks?.deliverTo(null);
    const stripe = sandbox.fakes.find((f) => f.name === 'STRIPE')!.fake;
    const target = stripe.expected().find((d) => d.status === 'NEEDS_RESPONSE')!;
    stripe.events!.changeWithoutWebhook(target.id);
    for (const r of followers)
      await expect
        .poll(
          async () =>
            (await gql(r.url, 'query($s: String) { disputes(first: 1, filter: { search: $s }) { nodes { status } } }', { s: target.id })).data?.disputes
              .nodes[0]?.status,
          {
            timeout: 15_000,
            interval: 200,
          },
        )
        .toBe('UNDER_REVIEW');

    // The new leader stopped (SIGTERM) gives the lease back on its way out: the last replica leads well within a term.
    const second = followers.find((r) => leads(r) === 1)!;
    const last = followers.find((r) => r !== second)!;
    second.proc.kill('SIGTERM');
    await once(second.proc, 'exit');
    const exited = Date.now();
    await expect.poll(() => leads(last), { timeout: LEASE_S * 1000, interval: 50 }).toBe(1);
    expect(Date.now() - exited).toBeLessThan((LEASE_S * 2_000) / 3 - 1_000);
    expect(await allLive(last.url)).toBe(true);
    last.proc.kill('SIGTERM');
    await once(last.proc, 'exit');
    // Restarted alone on the same store: it leads, ticks, and sends that reminder no second time.
    const restarted = await gatewayProcess(env);
    await expect.poll(() => allLive(restarted.url), { timeout: 30_000, interval: 100 }).toBe(true);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(leads(restarted)).toBe(1);
    expect(await remindersOf([restarted.url])).toBe(0);
    restarted.proc.kill('SIGTERM');
    await once(restarted.proc, 'exit');
  }, 120_000);
});
