// The hub's bounds and rules without HTTP: events waiting on a provider read are bounded (past the
// bound, the webhook is told to come back), a subscriber's buffer is bounded, claims expire.
import { describe, expect, it } from 'vitest';
import { EventHub, inMemoryBus, inMemoryDedupe } from '../../src/events/hub.js';
import { InMemoryEventLog } from '../../src/events/log.js';
import type { ProviderEvent } from '../../src/events/types.js';
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
