// The hub's bounds and rules without HTTP: events waiting on a provider read are bounded (past the
// bound, the webhook is told to come back), a subscriber's buffer is bounded, claims expire.
import { describe, expect, it } from 'vitest';
import { EventHub, inMemoryBus, inMemoryDedupe } from '../../src/events/hub.js';
import { InMemoryEventLog, mergeRuns } from '../../src/events/log.js';
import { memoryDispute } from '../helpers/memory-client.js';
import type { ProviderEvent } from '../../src/domain/event.js';
import { createLogger } from '../../src/logger.js';
import type { DisputeProviderClient } from '../../src/providers/types.js';

const logger = createLogger({ level: 'error', secrets: [], write: () => {} });

const notice = (i: number): ProviderEvent => ({
  type: 'UPDATED',
  provider: 'AFTERPAY',
  account: 'default',
  providerEventId: `ev_${i}`,
  providerDisputeId: `dp_${i}`,
  occurredAt: new Date(),
  dispute: null,
});

describe('the event hub', () => {
  it('holds at most maxPending events waiting on the provider, says busy past that, and answers each once it is stored', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    // A provider read that does not answer until released: every notice waits on it.
    const client = { name: 'AFTERPAY', account: 'default', retrieve: async () => (await gate, null) } as unknown as DisputeProviderClient;
    const hub = new EventHub({ clients: new Map([['AFTERPAY:default', client]]), logger, maxPending: 5 });
    const receipts = Array.from({ length: 8 }, (_, i) => hub.receive([notice(i)]));
    // Past the bound the answer is at once; the others wait until their event is stored.
    expect(await Promise.all(receipts.slice(5))).toEqual(['busy', 'busy', 'busy']);
    expect(await hub.log.newest(Infinity, 100, { accounts: ['AFTERPAY:default'] })).toEqual({ events: [], more: false });
    release();
    expect(await Promise.all(receipts.slice(0, 5))).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
    // Once drained, it takes events again; a busy event was not claimed, so its redelivery is new.
    expect(await hub.receive([notice(6)])).toBe('accepted');
    expect(await hub.receive([notice(6)])).toBe('duplicate');
    const { events } = await hub.log.newest(Infinity, 100, { accounts: ['AFTERPAY:default'] });
    expect(events.map((e) => e.providerEventId)).toEqual(['ev_6', 'ev_4', 'ev_3', 'ev_2', 'ev_1', 'ev_0']);
  });

  it('answers unavailable when an event cannot be stored, and takes its redelivery once the store is back', async () => {
    const log = new InMemoryEventLog();
    let down = true;
    const append = log.append.bind(log);
    log.append = async (e) => {
      if (down) throw new Error('store away');
      return append(e);
    };
    const hub = new EventHub({ clients: new Map(), logger, log });
    const event = { ...notice(1), dispute: null };
    expect(await hub.receive([event])).toBe('unavailable');
    down = false;
    expect(await hub.receive([event])).toBe('accepted');
    expect(await hub.receive([event])).toBe('duplicate');
    expect((await log.since(0, 10, { accounts: ['AFTERPAY:default'] })).map((e) => e.providerEventId)).toEqual(['ev_1']);
  });

  it('lets one caller hold at most maxPerCaller subscriptions, counting those it closes', async () => {
    const hub = new EventHub({ clients: new Map(), logger, maxPerCaller: 2 });
    const a = hub.subscribe(() => true, { caller: 'k' });
    hub.subscribe(() => true, { caller: 'k' });
    expect(() => hub.subscribe(() => true, { caller: 'k' })).toThrow(expect.objectContaining({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }));
    // Another key is not held back by this one.
    hub.subscribe(() => true, { caller: 'other' });
    await a.return!();
    expect(() => hub.subscribe(() => true, { caller: 'k' })).not.toThrow();
    expect(hub.subscribers).toBe(3);
    hub.close();
    expect(hub.subscribers).toBe(0);
    expect(() => hub.subscribe(() => true, { caller: 'k' })).not.toThrow();
  });

  it('delivers live events that reach it out of their history order (replicas over pub/sub), each once', async () => {
    const bus = inMemoryBus();
    const hub = new EventHub({ clients: new Map(), logger, bus });
    const sub = hub.subscribe(() => true);
    const event = (seq: number) => ({ ...notice(seq), seq, receivedAt: new Date() });
    bus.publish(event(5));
    bus.publish(event(3));
    bus.publish(event(5));
    bus.publish(event(4));
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await sub.next()).value!.seq);
    expect(got).toEqual([5, 3, 4]);
    hub.close();
  });

  it('keeps the history to its retention, by count and by age', async () => {
    let now = 1_000_000;
    const log = new InMemoryEventLog({ maxEvents: 3, maxAgeMs: 10_000 }, () => now);
    const hub = new EventHub({ clients: new Map(), logger, log, now: () => now });
    for (let i = 0; i < 5; i++) await hub.receive([{ ...notice(i), dispute: null }]);
    await hub.settled();
    expect((await log.since(0, 100, { accounts: ['AFTERPAY:default'] })).map((e) => e.providerEventId)).toEqual(['ev_2', 'ev_3', 'ev_4']);
    now += 10_001;
    expect(await log.since(0, 100, { accounts: ['AFTERPAY:default'] })).toEqual([]);
  });

  it('forgets a claim after its window, tells a pending claim from a taken one, and holds no more than its bound', async () => {
    let now = 0;
    const dedupe = inMemoryDedupe(3, () => now);
    expect(await dedupe.claim('a', 100)).toBe('fresh');
    expect(await dedupe.claim('a', 100)).toBe('pending');
    now = 101;
    // A lease not confirmed lapses: the event is taken again.
    expect(await dedupe.claim('a', 100)).toBe('fresh');
    await dedupe.confirm('a', 1_000);
    expect(await dedupe.claim('a', 100)).toBe('taken');
    for (const k of ['b', 'c', 'd', 'e']) await dedupe.claim(k, 1_000);
    // 'a' is the oldest claim past the bound of 3: forgotten.
    expect(await dedupe.claim('a', 100)).toBe('fresh');
  });
});

describe('the event hub, where it can fail', () => {
  const AFTERPAY = { accounts: ['AFTERPAY:default'] };

  it('counts a batch that names one event twice once, so repeats do not wear down its bound', async () => {
    const hub = new EventHub({ clients: new Map(), logger, maxPending: 3 });
    for (let i = 0; i < 5; i++) expect(await hub.receive([notice(i), notice(i)])).toBe('accepted');
    expect(await hub.receive([notice(99)])).toBe('accepted');
  });

  it('publishes the provider event of a change whose own event could not be stored', async () => {
    const log = new InMemoryEventLog();
    const append = log.append.bind(log);
    let failOwn = true;
    log.append = async (e) => {
      if (failOwn && e.providerEventId.startsWith('gw_')) throw new Error('store away');
      return append(e);
    };
    const hub = new EventHub({ clients: new Map(), logger, log });
    const dispute = memoryDispute('AFTERPAY', 'default', 'dp_own', 1_700_000_000, 'LOST');
    await hub.own('CLOSED', dispute, 'dg1-close-key');
    await hub.settled();
    failOwn = false;
    // The provider's webhook for the same change names the key the gateway sent.
    expect(await hub.receive([{ ...notice(7), providerDisputeId: 'dp_own', type: 'CLOSED', dispute, causedByKey: 'dg1-close-key' }])).toBe('accepted');
    expect((await log.since(0, 10, AFTERPAY)).map((e) => e.providerEventId)).toEqual(['ev_7']);
  });

  it('ends a replaying subscription whose history read fails, and frees its slot', async () => {
    const log = new InMemoryEventLog();
    log.since = async () => {
      throw new Error('store away');
    };
    const hub = new EventHub({ clients: new Map(), logger, log, maxPerCaller: 1 });
    const sub = hub.subscribe(() => true, { afterSeq: 0, caller: 'k', scope: () => AFTERPAY });
    await expect(sub.next()).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(hub.subscribers).toBe(0);
    expect(() => hub.subscribe(() => true, { caller: 'k' })).not.toThrow();
    hub.close();
  });

  it('reads an event dispute again for the next subscriber when a shared read failed', async () => {
    let calls = 0;
    const dispute = memoryDispute('AFTERPAY', 'default', 'dp_1', 1_700_000_000);
    const client = {
      name: 'AFTERPAY',
      account: 'default',
      retrieve: async () => {
        calls += 1;
        if (calls === 1) throw new Error('provider away');
        return dispute;
      },
    } as unknown as DisputeProviderClient;
    const hub = new EventHub({ clients: new Map([['AFTERPAY:default', client]]), logger });
    const event = { ...notice(1), seq: 1, receivedAt: new Date() };
    await expect(hub.disputeOf(event)).rejects.toThrow('provider away');
    expect(await hub.disputeOf(event)).toBe(dispute);
    expect(await hub.disputeOf(event)).toBe(dispute);
    expect(calls).toBe(2);
  });
});

describe('the in-memory history', () => {
  it('finds an event stored twice by its newer copy once the older is trimmed', async () => {
    const log = new InMemoryEventLog({ maxEvents: 2, maxAgeMs: 60_000 });
    const e = { ...notice(1), receivedAt: new Date() };
    await log.append(e);
    const second = await log.append(e);
    await log.append({ ...notice(2), receivedAt: new Date() });
    expect(await log.find('AFTERPAY', 'default', 'ev_1')).toEqual(second);
  });

  it('reads a run that the filter mostly refuses in doubling pages', async () => {
    let calls = 0;
    const events = Array.from({ length: 5_000 }, (_, i) => ({ ...notice(i), seq: 5_000 - i, receivedAt: new Date() }));
    let at = 0;
    const run = {
      async next(count: number) {
        calls += 1;
        const page = events.slice(at, at + count);
        at += page.length;
        return page;
      },
    };
    const { events: found, more } = await mergeRuns([run], 10, 'newest', (e) => e.seq === 1);
    expect(found.map((e) => e.seq)).toEqual([1]);
    expect(more).toBe(false);
    expect(calls).toBeLessThanOrEqual(15);
  });
});
