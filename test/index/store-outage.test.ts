// The index's PostgreSQL stopped under a running gateway, then started again: index-only queries
// answer INDEX_UNAVAILABLE naming the argument, the live path and mutations keep working,
// indexStatus says DEGRADED, /readyz reports the index down and stays 200; with the server back
// the index answers again with no restart, and the change made during the outage is in it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/index/postgres.js';
import { freshDatabase } from '../../scripts/postgres-server.js';
import { postgresServer } from '../helpers/index-stores.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

const INBOX = '{ disputes(first: 5, orderBy: { field: DUE_BY, direction: ASC }) { totalCount nodes { id } } }';

describe('the index store stopped and started again', () => {
  let h: SandboxHarness;
  beforeAll(async () => {
    const pg = await postgresServer();
    const store = await openPostgresStore(await freshDatabase(pg));
    h = await startSandboxHarness(41, {
      count: 40,
      now: Date.UTC(2026, 11, 1),
      only: ['STRIPE', 'AFTERPAY'],
      gateway: { index: { store, reconcileEveryS: 3600 } },
    });
    await h.gateway.services.index!.sync.whenLive();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('degrades to the live path while it is away, and recovers without a restart', async () => {
    const pg = await postgresServer();
    const readyz = async () => {
      const res = await fetch(new URL('/readyz', h.gateway.url));
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    // 40 Stripe, the one its fake adds (an open CE 3.0 dispute), 40 Afterpay.
    expect((await h.gql(INBOX)).body.data.disputes.totalCount).toBe(83);
    expect((await readyz()).body).toMatchObject({ index: 'up' });

    await pg.stop();
    const refused = await h.gql(INBOX);
    expect(refused.body.errors?.[0]?.extensions, refused.text).toMatchObject({ code: 'INDEX_UNAVAILABLE', argument: 'orderBy' });
    // Today's order is served live: a full page, no totalCount, no index freshness.
    const page = await h.gql('{ disputes(first: 5) { totalCount nodes { id } } }');
    expect(page.body.errors, page.text).toBeUndefined();
    expect(page.body.data.disputes.nodes).toHaveLength(5);
    expect(page.body.data.disputes.totalCount).toBeNull();
    expect(page.body.extensions?.index).toBeUndefined();
    const status = await h.gql('{ indexStatus { provider state lastError } }');
    for (const s of status.body.data.indexStatus) {
      expect(s.state).toBe('DEGRADED');
      expect(s.lastError).toMatch(/^index store: /);
    }
    expect(await readyz()).toEqual({ status: 200, body: expect.objectContaining({ index: 'down' }) });
    // A mutation still works; the index cannot take its result now.
    const target = h.fakes
      .get('AFTERPAY')!
      .expected()
      .find((d) => d.status === 'NEEDS_RESPONSE')!;
    const gid = (await h.gql('query($p: String!) { disputeByProviderId(provider: AFTERPAY, providerDisputeId: $p) { id } }', { p: target.id })).body.data
      .disputeByProviderId.id;
    const closed = await h.gql(
      'mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "outage-close" }) { dispute { status } userErrors { code } } }',
      { id: gid },
    );
    expect(closed.body.data.closeDispute.userErrors, closed.text).toEqual([]);

    await pg.start();
    // Back within the lease's renewal (5 s), with no restart; the close made meanwhile is caught.
    const q = 'query($s: String) { disputes(first: 1, filter: { search: $s }) { nodes { status } } }';
    await expect
      .poll(async () => (await h.gql(q, { s: target.id })).body.data?.disputes.nodes[0]?.status, { timeout: 15_000, interval: 200 })
      .toBe(closed.body.data.closeDispute.dispute.status);
    expect((await h.gql(INBOX)).body.data.disputes.totalCount).toBe(83);
    expect((await readyz()).body).toMatchObject({ index: 'up' });
    const after = await h.gql('{ indexStatus { state lastError } }');
    expect(after.body.data.indexStatus).toEqual([
      { state: 'LIVE', lastError: null },
      { state: 'LIVE', lastError: null },
    ]);
  }, 60_000);
});
