// The event hub: every provider's verified webhook events and the gateway's own changes become one
// stream of DisputeEvents, published once each, in arrival order, into the history and to every
// subscriber that may see them.
//
//   - Once: a provider event id is claimed in the dedupe store (shared state) before the webhook is
//     acknowledged; a redelivery within the window (3 days, beyond Stripe's retries) is dropped.
//   - The same change once: a close or submission made through the gateway is published at once;
//     the provider's webhook for it is recognised (Stripe names the Idempotency-Key the gateway sent;
//     otherwise the same type and the same state: status, submission count, amount) and not published again.
//   - Never an older state: an event that occurred before one already published for its dispute is
//     published in its turn, but carries the newer state.
//   - Bounded: at most `maxPending` events wait to be processed (past that the webhook answers 503
//     and the provider retries); each subscriber buffers at most `maxBuffer` events, and one that
//     stops reading is ended (SUBSCRIBER_TOO_SLOW), its buffer freed.
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { accountKey, eventKey, isProviderId, refKey } from '../domain/ids.js';
import type { Dispute } from '../domain/dispute.js';
import type { Logger } from '../logger.js';
import type { DisputeProviderClient } from '../providers/types.js';
import { InMemoryEventLog, type EventLog, type EventScope } from './log.js';
import { HubSubscription } from './subscription.js';
import type { DisputeEvent, DisputeEventType, OwnChanges, ProviderEvent } from '../domain/event.js';

/**
 * What the hub must remember across webhooks (and, with a shared store, across replicas): which
 * event ids were taken, which upstream keys were the gateway's own changes, and the newest state
 * published for each dispute.
 */
/**
 * A claim on an event id: `fresh` the first time (held for a lease while the event is stored),
 * `pending` while another request holds it unconfirmed, `taken` once the event was stored.
 */
export type Claim = 'fresh' | 'pending' | 'taken';

export interface EventDedupe {
  /** Claims an event id for `leaseMs`: until it is confirmed or the lease runs out, others get `pending`. */
  claim(key: string, leaseMs: number): Promise<Claim>;
  /** The event is stored: its id stays taken for `ttlMs` (redeliveries are duplicates). */
  confirm(key: string, ttlMs: number): Promise<void>;
  /** Gives a claim back (the event could not be taken after all: the provider will redeliver). */
  release(key: string): Promise<void>;
  /** Notes an Idempotency-Key the gateway sent for a change of its own. */
  markOwn(upstreamKey: string, ttlMs: number): Promise<void>;
  isOwn(upstreamKey: string): Promise<boolean>;
  /** The newest state published for a dispute (by refKey), and the gateway's last own change to it. */
  recall(ref: string): Promise<Known | undefined>;
  remember(ref: string, known: Known, ttlMs: number): Promise<void>;
}

/** Published events, to every subscriber of this process (and, with a shared bus, of every replica). */
export interface EventBus {
  publish(event: DisputeEvent): void;
  subscribe(listener: (event: DisputeEvent) => void): () => void;
}

export const DEDUPE_WINDOW_MS = 3 * 24 * 3600_000;

/**
 * How long a claim waits for its event to be stored. A claim whose release failed (the store was
 * away) lapses after it, so the provider's next retry is taken, never answered as a duplicate.
 */
export const CLAIM_LEASE_MS = 120_000;

/** How long a delivery waits for another that holds its event's claim, before answering 503. */
const PENDING_WAIT_MS = 2_000;

export function inMemoryDedupe(maxEntries = 200_000, now: () => number = Date.now): EventDedupe {
  const seen = new Map<string, { until: number; taken: boolean }>();
  const own = new Set<string>();
  const known = new Map<string, Known>();
  const hold = (key: string, until: number, taken: boolean) => {
    const t = now();
    seen.delete(key);
    seen.set(key, { until, taken });
    // Oldest first (insertion order): drop the expired, then the oldest beyond the bound.
    for (const [k, v] of seen) {
      if (v.until > t && seen.size <= maxEntries) break;
      seen.delete(k);
    }
  };
  return {
    async markOwn(key) {
      own.add(key);
      if (own.size > MAX_OWN_KEYS) own.delete(own.values().next().value!);
    },
    async isOwn(key) {
      return own.has(key);
    },
    async recall(ref) {
      return known.get(ref);
    },
    async remember(ref, k) {
      known.delete(ref);
      known.set(ref, k);
      if (known.size > MAX_KNOWN) known.delete(known.keys().next().value!);
    },
    async claim(key, leaseMs) {
      const held = seen.get(key);
      if (held && held.until > now()) return held.taken ? 'taken' : 'pending';
      hold(key, now() + leaseMs, false);
      return 'fresh';
    },
    async confirm(key, ttlMs) {
      hold(key, now() + ttlMs, true);
    },
    async release(key) {
      seen.delete(key);
    },
  };
}

export function inMemoryBus(): EventBus {
  const listeners = new Set<(e: DisputeEvent) => void>();
  return {
    publish: (e) => {
      for (const l of listeners) l(e);
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export interface HubOptions {
  clients: ReadonlyMap<string, DisputeProviderClient>;
  logger: Logger;
  log?: EventLog;
  dedupe?: EventDedupe;
  bus?: EventBus;
  /** Events waiting to be processed, at most (default 5,000). */
  maxPending?: number;
  /** Events one subscriber may have unread before it is ended (default 1,000). */
  maxBuffer?: number;
  /** Subscriptions one caller (API key) may hold open in this process at once (default 100). */
  maxPerCaller?: number;
  /** How long a claim waits for its event to be stored (default CLAIM_LEASE_MS). */
  claimLeaseMs?: number;
  now?: () => number;
  /** Told of every event published. */
  metrics?: { published(provider: string, type: string): void };
}

/** What the hub remembers of a dispute: the newest state published, and the gateway's own last change. */
export interface Known {
  occurredAt: number;
  dispute: Dispute | null;
  own?: { type: DisputeEventType; fingerprint: string };
}

const MAX_KNOWN = 10_000;
const MAX_OWN_KEYS = 10_000;

/** Metadata with its keys in order, so the same values always print the same. */
const sortedJson = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortedJson)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortedJson((v as Record<string, unknown>)[k])]),
        )
      : v;

/**
 * The state a provider event must match, field for field, to be the echo of the gateway's own
 * change: status, reason, amount, submissions and metadata. Anything else that differs (a reason
 * the provider changed after the close, say) is news and is published.
 */
const fingerprint = (d: Dispute) =>
  JSON.stringify([d.status, d.providerStatus, d.reason, d.providerReason, d.amount, d.currency, d.evidenceDetails.submissionCount, sortedJson(d.metadata)]);

/** Types a provider uses for a change the gateway made: its own name for it, or a plain update. */
const sameKind = (own: DisputeEventType, theirs: DisputeEventType) => theirs === own || theirs === 'UPDATED';

export { SubscriberTooSlow } from './subscription.js';

export type Receipt = 'accepted' | 'duplicate' | 'busy' | 'unavailable';

const dedupeKey = (e: ProviderEvent) => eventKey(e.provider, e.account, e.providerEventId);

export class EventHub implements OwnChanges {
  readonly log: EventLog;
  private readonly dedupe: EventDedupe;
  private readonly bus: EventBus;
  private pending = 0;
  private readonly inflight = new Set<Promise<unknown>>();
  private chain: Promise<void> = Promise.resolve();
  private readonly open = new Set<HubSubscription>();
  private readonly perCaller = new Map<string, number>();
  private readonly maxPending: number;
  readonly maxBuffer: number;
  private readonly now: () => number;
  private readonly claimLeaseMs: number;

  constructor(private readonly opts: HubOptions) {
    this.log = opts.log ?? new InMemoryEventLog();
    this.dedupe = opts.dedupe ?? inMemoryDedupe();
    this.bus = opts.bus ?? inMemoryBus();
    this.maxPending = opts.maxPending ?? 5_000;
    this.maxBuffer = opts.maxBuffer ?? 1_000;
    this.now = opts.now ?? Date.now;
    this.claimLeaseMs = opts.claimLeaseMs ?? CLAIM_LEASE_MS;
  }

  /**
   * Takes a verified webhook's events: each is claimed once, processed (a fetch, where the event
   * carries no state) and published in arrival order, and the answer waits until each is stored.
   * `unavailable` when one could not be stored (its claim is given back) or another request is
   * still storing it: the provider retries, and nothing it was told was taken is lost.
   */
  receive(events: ProviderEvent[]): Promise<Receipt> {
    if (this.pending + events.length > this.maxPending) return Promise.resolve('busy');
    return this.track(this.take(events));
  }

  private async take(events: ProviderEvent[]): Promise<Receipt> {
    const counted = events.length;
    this.pending += counted;
    try {
      // Ids of a form global ids cannot carry are replaced by their digest (the same for every redelivery).
      events = events.map((e) =>
        isProviderId(e.providerEventId) ? e : { ...e, providerEventId: `h_${createHash('sha256').update(e.providerEventId).digest('hex').slice(0, 40)}` },
      );
      events = [...new Map(events.map((e) => [dedupeKey(e), e])).values()];
      const tried = await Promise.allSettled(events.map((e) => this.claimOrWait(e)));
      const claims = tried.map((t) => (t.status === 'fulfilled' ? t.value : null));
      const fresh = events.filter((_, i) => claims[i] === 'fresh');
      const failed = tried.find((t) => t.status === 'rejected');
      if (failed) {
        // The store is away: what was claimed is given back, and the answer is 503.
        await Promise.all(fresh.map((e) => this.settle(e, false)));
        throw failed.reason;
      }
      const receivedAt = new Date(this.now());
      const stored = await Promise.all(
        // Each fetch starts now (beside the others); the events are published in turn.
        fresh.map((e) => this.store(e, this.withState(e), receivedAt, null, 'event not stored: answered 503 so the provider retries')),
      );
      if (stored.includes(false) || claims.includes('pending')) return 'unavailable';
      return fresh.length === 0 ? 'duplicate' : 'accepted';
    } finally {
      this.pending -= counted;
    }
  }

  /**
   * Claims an event's id; while another delivery (here or on another replica) holds it unconfirmed,
   * waits a little for it to be stored (then this one is a duplicate) or given back (then it is this one's).
   */
  private async claimOrWait(e: ProviderEvent): Promise<Claim> {
    const until = Date.now() + PENDING_WAIT_MS;
    for (;;) {
      const claim = await this.dedupe.claim(dedupeKey(e), this.claimLeaseMs);
      if (claim !== 'pending' || Date.now() >= until) return claim;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Publishes an event in turn, then confirms its claim (or gives it back); whether it was stored. */
  private store(e: ProviderEvent, state: Promise<ProviderEvent>, receivedAt: Date, ownKey: string | null, failure: string): Promise<boolean> {
    return this.enqueue(async () => this.publish(await state, receivedAt, ownKey)).then(
      () => this.settle(e, true),
      (err: unknown) => {
        this.opts.logger.error(failure, { provider: e.provider, account: e.account, type: e.type, providerEventId: e.providerEventId, error: err });
        return this.settle(e, false);
      },
    );
  }

  /** Confirms a stored event's claim, or gives back the claim of one that was not; whether it was stored. */
  private async settle(e: ProviderEvent, stored: boolean): Promise<boolean> {
    try {
      if (stored) await this.dedupe.confirm(dedupeKey(e), DEDUPE_WINDOW_MS);
      else await this.dedupe.release(dedupeKey(e));
    } catch (err) {
      // The claim lapses after its lease: a redelivery is then taken again (stored twice at worst, never lost).
      this.opts.logger.warn('event claim not settled; it lapses after its lease', { provider: e.provider, account: e.account, stored, error: err });
    }
    return stored;
  }

  /** Work that settled() waits for. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work)).catch(() => {});
    return work;
  }

  /** Queues work behind what was queued before it (arrival order); settles as the work does. */
  private enqueue(work: () => Promise<void>): Promise<void> {
    const done = this.chain.then(work);
    this.chain = done.catch(() => {});
    return done;
  }

  /** Resolves when every event received so far is published (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** An event that carries no state gets the dispute as the provider has it now (null if it cannot be read). */
  private async withState(e: ProviderEvent): Promise<ProviderEvent> {
    if (e.dispute) return e;
    try {
      return { ...e, dispute: await this.read(e) };
    } catch (err) {
      this.opts.logger.warn('event published without its dispute: the dispute could not be read', { provider: e.provider, account: e.account, error: err });
      return e;
    }
  }

  /** Reads of events' disputes in flight or done, by position, shared by every subscriber of this process. */
  private readonly reads = new Map<number, Promise<Dispute | null>>();

  /**
   * The dispute of an event stored without it, read from its provider once per event in this
   * process however many subscribers ask (the newest 1,000 reads are kept).
   */
  disputeOf(e: DisputeEvent): Promise<Dispute | null> {
    if (e.dispute) return Promise.resolve(e.dispute);
    let read = this.reads.get(e.seq);
    if (!read) {
      const started = this.read(e);
      // A failed read is not kept: the next subscriber to ask tries again.
      started.catch(() => {
        if (this.reads.get(e.seq) === started) this.reads.delete(e.seq);
      });
      this.reads.set(e.seq, (read = started));
      if (this.reads.size > 1_000) this.reads.delete(this.reads.keys().next().value!);
    }
    return read;
  }

  /** An event's dispute as its provider has it now (null where it cannot be read by id). */
  private read(e: ProviderEvent): Promise<Dispute | null> {
    const client = this.opts.clients.get(accountKey(e.provider, e.account));
    return client?.retrieve ? client.retrieve(e.providerDisputeId) : Promise.resolve(null);
  }

  /** A change the gateway itself made (a close, a submission), published at once. */
  async own(type: DisputeEventType, dispute: Dispute, upstreamKey: string): Promise<void> {
    try {
      await this.publishOwn(type, dispute, upstreamKey);
    } catch (err) {
      // The change itself succeeded: its event may still come by the provider's webhook.
      this.opts.logger.error('own change not published', { provider: dispute.provider, account: dispute.providerAccount, type, error: err });
    }
  }

  private async publishOwn(type: DisputeEventType, dispute: Dispute, upstreamKey: string): Promise<void> {
    const event: ProviderEvent = {
      type,
      provider: dispute.provider,
      account: dispute.providerAccount,
      providerEventId: `gw_${createHash('sha256').update(`${type}:${upstreamKey}`).digest('hex').slice(0, 32)}`,
      providerDisputeId: dispute.providerDisputeId,
      occurredAt: new Date(this.now()),
      dispute,
    };
    if ((await this.dedupe.claim(dedupeKey(event), this.claimLeaseMs)) !== 'fresh') return;
    // Queued in arrival order behind the events already received; the mutation does not wait for
    // them (a slow provider read of an earlier event must not slow a close's answer).
    this.pending += 1;
    void this.track(this.store(event, Promise.resolve(event), event.occurredAt, upstreamKey, 'own change not published')).finally(() => {
      this.pending -= 1;
    });
  }

  /**
   * A deadline reminder (index/reminders.ts): the gateway's own event about a dispute's state, not a
   * change to it. Stored and fanned out like any event, once per id (`rem_…`, of the dispute and
   * window), and never taken as the dispute's newest state.
   */
  async reminder(dispute: Dispute, window: string): Promise<void> {
    const ref = `${refKey({ provider: dispute.provider, account: dispute.providerAccount, providerDisputeId: dispute.providerDisputeId })}:${window}`;
    const event: ProviderEvent = {
      type: 'DEADLINE_APPROACHING',
      provider: dispute.provider,
      account: dispute.providerAccount,
      providerEventId: `rem_${createHash('sha256').update(ref).digest('hex').slice(0, 32)}`,
      providerDisputeId: dispute.providerDisputeId,
      occurredAt: new Date(this.now()),
      dispute,
      reminderWindow: window,
    };
    if ((await this.dedupe.claim(dedupeKey(event), this.claimLeaseMs)) !== 'fresh') return;
    this.pending += 1;
    try {
      await this.track(this.store(event, Promise.resolve(event), event.occurredAt, null, 'reminder not published'));
    } finally {
      this.pending -= 1;
    }
  }

  /**
   * Stores an event in the history and fans it out; `ownKey` is the Idempotency-Key of the
   * gateway's own change it announces. What is remembered to recognise echoes is written only once
   * the event is stored, so a change whose own event was lost is published from the provider's.
   */
  private async publish(e: ProviderEvent, receivedAt: Date, ownKey: string | null): Promise<void> {
    if (e.type === 'DEADLINE_APPROACHING') return this.announce(await this.log.append({ ...e, receivedAt }));
    const ref = refKey({ provider: e.provider, account: e.account, providerDisputeId: e.providerDisputeId });
    const prev = await this.dedupe.recall(ref);
    if (ownKey === null) {
      if (e.causedByKey && (await this.dedupe.isOwn(e.causedByKey))) return this.remember(ref, prev, e);
      if (prev?.own && e.dispute && fingerprint(e.dispute) === prev.own.fingerprint && sameKind(prev.own.type, e.type)) return this.remember(ref, prev, e);
    }
    const older = prev !== undefined && e.occurredAt.getTime() < prev.occurredAt;
    const stored = await this.log.append({ ...e, dispute: older ? (prev.dispute ?? e.dispute) : e.dispute, receivedAt });
    try {
      if (!older) await this.remember(ref, prev, e, ownKey !== null);
      if (ownKey !== null) await this.dedupe.markOwn(ownKey, DEDUPE_WINDOW_MS);
    } catch (err) {
      // Stored is taken: without this memory an echo may be published once more, never lost.
      this.opts.logger.warn('event stored, but not remembered for recognising its echo', { provider: e.provider, account: e.account, error: err });
    }
    this.announce(stored);
  }

  /** Counts an event stored in the history, and fans it out. */
  private announce(kept: DisputeEvent): void {
    this.opts.metrics?.published(kept.provider, kept.type);
    // Stored is taken: a subscriber the fan-out misses catches up from the history (`after`).
    try {
      this.bus.publish(kept);
    } catch (err) {
      this.opts.logger.warn('event stored but not fanned out to live subscribers', { provider: kept.provider, account: kept.account, error: err });
    }
  }

  /** Keeps the newest state of a dispute (bounded: the least recently changed are forgotten). */
  private async remember(ref: string, prev: Known | undefined, e: ProviderEvent, own = false): Promise<void> {
    if (prev && e.occurredAt.getTime() < prev.occurredAt) return;
    await this.dedupe.remember(
      ref,
      {
        occurredAt: e.occurredAt.getTime(),
        dispute: e.dispute ?? prev?.dispute ?? null,
        own: own && e.dispute ? { type: e.type, fingerprint: fingerprint(e.dispute) } : prev?.own,
      },
      DEDUPE_WINDOW_MS,
    );
  }

  /**
   * A subscriber's events (events/subscription.ts): those after `afterSeq` from the history first,
   * then live ones, each once, in order, kept by `keep`. Bounded before it starts: each caller holds
   * at most maxPerCaller subscriptions in this process.
   */
  subscribe(
    keep: (e: DisputeEvent) => boolean,
    opts: { afterSeq?: number; scope?: () => EventScope; valid?: () => GraphQLError | null; checkEveryMs?: number; caller?: string } = {},
  ): AsyncIterableIterator<DisputeEvent> {
    const caller = opts.caller ?? 'anonymous';
    const held = this.perCaller.get(caller) ?? 0;
    const cap = this.opts.maxPerCaller ?? 100;
    if (held >= cap) {
      throw new GraphQLError(`The key "${caller}" already holds ${cap} open subscriptions on this gateway; close one first.`, {
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
      });
    }
    this.perCaller.set(caller, held + 1);
    const subscription = new HubSubscription(
      {
        log: this.log,
        listen: (listener) => this.bus.subscribe(listener),
        released: (s) => {
          this.open.delete(s);
          const n = (this.perCaller.get(caller) ?? 1) - 1;
          if (n > 0) this.perCaller.set(caller, n);
          else this.perCaller.delete(caller);
        },
      },
      keep,
      {
        afterSeq: opts.afterSeq,
        // The replay reads only the accounts (or the dispute) the subscriber may see; by default every one.
        scope: opts.scope ?? (() => ({ accounts: [...this.opts.clients.keys()] })),
        valid: opts.valid,
        checkEveryMs: opts.checkEveryMs,
        maxBuffer: this.maxBuffer,
      },
    );
    this.open.add(subscription);
    return subscription;
  }

  /** Every event published, here or (over a shared bus) by any replica: for caches to forget what it changed. */
  onPublished(listener: (e: DisputeEvent) => void): () => void {
    return this.bus.subscribe(listener);
  }

  /** Subscriptions open now. */
  get subscribers(): number {
    return this.open.size;
  }

  /** Ends every subscription (shutdown), so open streams close and the server can drain. */
  close(): void {
    for (const s of [...this.open]) s.stop();
  }
}
