// Deadline reminders: once per dispute and window, on both stores, with an injected clock: a
// dispute that arrives inside the 24 h window gets that one reminder and never the 72 h one; one
// that moves into the 72 h window as time passes gets one; a closed one gets none; a restart and a
// second replica's evaluation send nothing again. Over the real gateway: a signed webhook opening a
// dispute due in 6 hours reaches an SSE subscriber of reminders once, even delivered twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispute } from '../../src/domain/dispute.js';
import { createLogger } from '../../src/logger.js';
import { DeadlineReminders, parseReminderWindows } from '../../src/index/reminders.js';
import type { IndexStore } from '../../src/index/store.js';
import { postWebhook, sseSubscribe } from '../helpers/events.js';
import { BASE, disputes } from '../helpers/index-data.js';
import { openStore, STORE_KINDS, type OpenedStore } from '../helpers/index-stores.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

const HOUR = 3_600_000;
const quiet = createLogger({ write: () => {} });

describe('DEADLINE_REMINDERS', () => {
  it('reads durations in m, h and d, shortest first, and refuses anything else naming the variable', () => {
    expect(parseReminderWindows('72h,24h')).toEqual([
      { label: '24h', ms: 24 * HOUR },
      { label: '72h', ms: 72 * HOUR },
    ]);
    expect(parseReminderWindows(' 5d, 90m ,1h')).toEqual([
      { label: '1h', ms: HOUR },
      { label: '90m', ms: 1.5 * HOUR },
      { label: '5d', ms: 120 * HOUR },
    ]);
    expect(parseReminderWindows('off')).toEqual([]);
    for (const bad of ['', '24', '24 h', '0h', '1w', '24h,24h', '24h,1d', 'soon']) expect(() => parseReminderWindows(bad), bad).toThrow(/^DEADLINE_REMINDERS/);
  });
});

describe.each(STORE_KINDS)('reminders on the %s store', (kind) => {
  let opened: OpenedStore;
  let clock = BASE;
  const sent: { id: string; window: string }[] = [];
  const reminders = (store: IndexStore) =>
    new DeadlineReminders(store, {
      windows: parseReminderWindows('72h,24h'),
      tickMs: 60_000,
      now: () => clock,
      publish: async (d, window) => void sent.push({ id: d.providerDisputeId, window }),
      leading: () => true,
      logger: quiet,
    });
  const template = disputes(5, 1)[0]!;
  const dispute = (id: string, dueInMs: number, status: Dispute['status'] = 'NEEDS_RESPONSE'): Dispute => ({
    ...template,
    providerDisputeId: id,
    status,
    evidenceDetails: { ...template.evidenceDetails, dueBy: new Date(clock + dueInMs) },
  });
  const index = (store: IndexStore, ds: Dispute[]) => store.apply(ds.map((d) => ({ dispute: d, observedAt: new Date(clock), source: 'webhook' as const })));

  beforeAll(async () => {
    opened = await openStore(kind);
  });
  afterAll(() => opened?.done());

  it('sends one reminder, for the smallest window, to a dispute that arrives inside it, and none for the windows it passed', async () => {
    clock = BASE;
    sent.length = 0;
    const r = reminders(opened.store);
    const late = dispute('rem_late', 6 * HOUR);
    const closed = dispute('rem_closed', 6 * HOUR, 'LOST');
    const answered = dispute('rem_answered', 6 * HOUR, 'UNDER_REVIEW');
    await index(opened.store, [late, closed, answered]);
    await r.changed([late, closed, answered]);
    expect(sent).toEqual([{ id: 'rem_late', window: '24h' }]);
    // Told again (a webhook redelivered), and ticking on as time passes up to the deadline: nothing more.
    await r.changed([late]);
    for (let t = 0; t < 6; t++) {
      clock += HOUR;
      await r.tick();
    }
    expect(sent).toEqual([{ id: 'rem_late', window: '24h' }]);
  });

  it('sends the 72 h reminder once as time brings a dispute into it, then the 24 h one; a restart and a second replica send nothing again', async () => {
    clock = BASE + 1000 * HOUR;
    sent.length = 0;
    const first = reminders(opened.store);
    const d = dispute('rem_time', 80 * HOUR);
    await index(opened.store, [d]);
    await first.changed([d]);
    expect(await first.tick()).toBe(0);
    clock += 8 * HOUR + 1; // 71 h 59 m to go
    expect(await first.tick()).toBe(1);
    expect(await first.tick()).toBe(0);
    // Restarted, and beside it another replica: both evaluate, neither sends it again.
    const restarted = reminders(opened.store);
    const other = reminders(opened.store);
    expect(await Promise.all([restarted.tick(), other.tick(), restarted.changed([d]).then(() => 0)])).toEqual([0, 0, 0]);
    expect(sent).toEqual([{ id: 'rem_time', window: '72h' }]);
    // Into the 24 h window: both race for it; one sends.
    clock += 48 * HOUR;
    const counts = await Promise.all([restarted.tick(), other.tick()]);
    expect(counts.reduce((a, b) => a + b)).toBe(1);
    expect(sent).toEqual([
      { id: 'rem_time', window: '72h' },
      { id: 'rem_time', window: '24h' },
    ]);
    // Answered: no more, and past the deadline: none.
    await index(opened.store, [{ ...d, status: 'UNDER_REVIEW', evidenceDetails: { ...d.evidenceDetails, submissionCount: 1 } }]);
    clock += 23 * HOUR;
    expect(await restarted.tick()).toBe(0);
  });

  it('stays one query a tick however many disputes are near: a thousand at once are each sent once', async () => {
    clock = BASE + 5000 * HOUR;
    sent.length = 0;
    const many = Array.from({ length: 1_000 }, (_, i) => dispute(`rem_many_${i}`, (10 + (i % 50)) * HOUR));
    await index(opened.store, many);
    const r = reminders(opened.store);
    expect(await r.tick()).toBe(1_000);
    expect(await r.tick()).toBe(0);
    expect(new Set(sent.map((s) => s.id)).size).toBe(1_000);
    expect(new Set(sent.map((s) => s.window))).toEqual(new Set(['24h', '72h']));
  });
});

describe('reminders behind the real gateway', () => {
  let opened: OpenedStore;
  let h: SandboxHarness;
  beforeAll(async () => {
    opened = await openStore('embedded');
    h = await startSandboxHarness(71, {
      count: 30,
      only: ['STRIPE'],
      gateway: {
        index: { store: opened.store, reconcileEveryS: 3600, reminders: { windows: parseReminderWindows('72h,24h'), tickMs: 200 } },
      },
    });
    await h.gateway.services.index!.sync.whenLive();
  });
  afterAll(async () => {
    await h?.close();
    await opened?.done();
  });

  it('publishes DEADLINE_APPROACHING once to an SSE subscriber of reminders, for a dispute opened 6 hours before its deadline and announced twice', async () => {
    const fake = h.fakes.get('STRIPE')!;
    const sub = await sseSubscribe(
      h.gateway.url,
      'subscription { disputeEvents(filter: { types: [DEADLINE_APPROACHING] }) { type reminderWindow providerEventId provider dispute { providerDisputeId status evidenceDetails { dueBy } } } }',
    );
    try {
      const template = (await (
        await fetch(`${fake.url}/v1/disputes/${fake.expected()[0]!.id}`, { headers: { authorization: `Bearer ${fake.env.STRIPE_SECRET_KEY}` } })
      ).json()) as Record<string, any>;
      const now = Math.floor(Date.now() / 1000);
      const object = {
        ...template,
        id: 'du_reminderSoon0001',
        status: 'needs_response',
        created: now,
        evidence_details: { ...template.evidence_details, due_by: now + 6 * 3600, has_evidence: false, past_due: false, submission_count: 0 },
      };
      const event = (id: string) => ({ id, object: 'event', type: 'charge.dispute.created', created: now, livemode: false, data: { object } });
      const origin = new URL(h.gateway.url).origin;
      const secret = fake.env.STRIPE_WEBHOOK_SECRET!;
      expect((await postWebhook(origin, 'STRIPE', event('evt_soon_1'), secret)).status).toBe(200);
      // The same dispute announced again under another event id (an update): still one reminder.
      expect((await postWebhook(origin, 'STRIPE', { ...event('evt_soon_2'), type: 'charge.dispute.updated' }, secret)).status).toBe(200);
      await sub.waitFor(1, 10_000);
      // Ticks go on (every 200 ms here): nothing more comes.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(sub.payloads).toHaveLength(1);
      const e = sub.payloads[0]!.data.disputeEvents;
      expect(e).toMatchObject({
        type: 'DEADLINE_APPROACHING',
        reminderWindow: '24h',
        provider: 'STRIPE',
        dispute: { providerDisputeId: 'du_reminderSoon0001', status: 'NEEDS_RESPONSE' },
      });
      expect(e.providerEventId).toMatch(/^rem_[0-9a-f]{32}$/);
      // In the history too, once, and counted.
      const history = await h.gql(
        '{ disputeEvents(first: 100, filter: { types: [DEADLINE_APPROACHING] }) { nodes { reminderWindow dispute { providerDisputeId } } } }',
      );
      const mine = history.body.data.disputeEvents.nodes.filter((n: any) => n.dispute.providerDisputeId === 'du_reminderSoon0001');
      expect(mine).toEqual([{ reminderWindow: '24h', dispute: { providerDisputeId: 'du_reminderSoon0001' } }]);
      const metrics = await (await fetch(new URL('/metrics', h.gateway.url))).text();
      expect(metrics).toMatch(/dispute_gateway_reminders_sent_total\{window="24h"\} [1-9]/);
      expect(metrics).toMatch(/dispute_gateway_open_disputes\{provider="STRIPE"\} [1-9]/);
      expect(metrics).toMatch(/dispute_gateway_amount_at_risk\{provider="STRIPE",currency="[a-z]{3}"\} [1-9]/);
    } finally {
      sub.close();
    }
  });
});
