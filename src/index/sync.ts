// Keeps the index in step with the providers. Per account: a backfill that lists everything once,
// newest first, checkpointed after every page (a restart goes on from the last page stored); a
// sweep of the list head for what was created during the walk; then LIVE, with reconciliation
// every INDEX_RECONCILE_EVERY_S for what webhooks missed. Calls go through each account's own
// client, so its rate limit, breaker and retries apply, and the sync is one more caller among
// the others in the limit's round-robin. Whoever learns of a dispute's state (this sync, a
// webhook, a read, the gateway's own change) hands it to one place, `IndexStore.apply`, and only
// that decides whether it is newer than what the index holds (model.ts isNewer).
import { randomUUID } from 'node:crypto';
import type { Dispute, ProviderName } from '../domain/dispute.js';
import { OPEN_STATUSES, STILL_CHANGING } from '../domain/outcome.js';
import { ProviderError } from '../domain/errors.js';
import { accountKey } from '../domain/ids.js';
import { displayNameOf } from '../domain/provider-names.js';
import { newScope, runInScope } from '../context/request-scope.js';
import type { Logger } from '../logger.js';
import type { DisputeProviderClient } from '../providers/types.js';
import type { Observation } from './model.js';
import type { AccountSync, IndexStore } from './store.js';

export type IndexState = 'BACKFILLING' | 'LIVE' | 'DEGRADED' | 'OFF';

export interface IndexAccountStatus {
  provider: ProviderName;
  account: string;
  state: IndexState;
  disputes: number;
  lastSyncedAt: Date | null;
  lagSeconds: number | null;
  lastError: string | null;
  backfill: { listed: number; total: number | null } | null;
}

export interface SyncOptions {
  reconcileEveryS: number;
  /** Log a progress line at most this often (default 5 s). */
  progressEveryMs?: number;
  /** First retry delay after a failure; doubled each time, up to 60 s. */
  retryBaseMs?: number;
  /** The sync lease's term (default 15 s): a leader that dies hands over within it. */
  leaseMs?: number;
  metrics?: IndexSyncMetrics;
  /** Told of the disputes of every observation taken in (whatever its source), after the store has it: the reminders look at them. */
  applied?(disputes: readonly Dispute[]): void;
}

/** Which part of the sync made a provider call: backfill, sweep (the list head), reread (open disputes), replay (the event list). */
export type IndexPhase = 'backfill' | 'sweep' | 'reread' | 'replay';

/** What the sync tells the metrics (ops/metrics.ts implements it). */
export interface IndexSyncMetrics {
  indexCalls(provider: string, account: string, phase: IndexPhase, n: number): void;
  indexPass(provider: string, account: string, outcome: 'ok' | 'error', seconds: number, calls: number): void;
  indexApplied(source: string, changed: number, stale: number): void;
}

const NO_METRICS: IndexSyncMetrics = { indexCalls() {}, indexPass() {}, indexApplied() {} };

/** How long a provider keeps its events (Stripe: 30 days), less a day: a checkpoint older than this falls back to a full check. */
const EVENT_RETENTION_MS = 29 * 24 * 3_600_000;
/** Replay reads back this far before the pass's start, for clocks that disagree a little. */
const CLOCK_MARGIN_MS = 5 * 60_000;
/** Pages of events one pass replays (100 each); more falls back to a full check. */
const MAX_REPLAY_PAGES = 50;

interface Account {
  client: DisputeProviderClient;
  key: string;
  sync: AccountSync;
  /** Why the last attempt failed (null: it did not). */
  degraded: string | null;
  /** Upstream calls made by the sync (backfill, sweeps, reconciliation). */
  calls: number;
}

const describe = (err: unknown): string =>
  err instanceof ProviderError ? `${displayNameOf(err.provider)}: ${err.code}${err.providerCode ? ` (${err.providerCode})` : ''}` : (err as Error).message;

const lagOf = (at: Date | null) => (at ? Math.max(0, Math.round((Date.now() - at.getTime()) / 1000)) : null);

export class IndexSync {
  private readonly accounts: Account[];
  private readonly byKey: Map<string, Account>;
  private stopped = false;
  private leading = false;
  /** Bumped when leadership changes: runners of an older generation stop. */
  private generation = 0;
  private readonly holder = randomUUID();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly wakers = new Set<() => void>();
  private storeDown: string | null = null;
  /** The store failed since the lease loop last looked: once it answers again, the leader reconciles at once. */
  private outage = false;
  private readonly metrics: IndexSyncMetrics;

  constructor(
    private readonly store: IndexStore,
    clients: Iterable<DisputeProviderClient>,
    private readonly logger: Logger,
    private readonly opts: SyncOptions,
  ) {
    this.metrics = opts.metrics ?? NO_METRICS;
    this.accounts = [...clients].map((client) => ({
      client,
      key: accountKey(client.name, client.account),
      sync: fresh(client.name, client.account),
      degraded: null,
      calls: 0,
    }));
    this.byKey = new Map(this.accounts.map((a) => [a.key, a]));
  }

  /**
   * Starts the sync in the background. One replica syncs at a time: the one holding the store's
   * lease (renewed every third of its term; the embedded store's is always this process's). The
   * others follow: they read each account's progress from the store, so they answer from the
   * index as soon as the leader has made an account LIVE.
   */
  start(): void {
    this.track(this.lead());
  }

  private async lead(): Promise<void> {
    const ttl = this.opts.leaseMs ?? 15_000;
    while (!this.stopped) {
      let held = false;
      try {
        held = await this.store.lease(this.holder, ttl);
        this.storeDown = null;
      } catch (err) {
        this.down(err);
      }
      if (this.stopped) return;
      const recovered = held && this.outage && this.storeDown === null;
      if (held) this.outage = false;
      if (held && (!this.leading || recovered)) {
        // Newly leading, or the store back after an outage (what it could not take meanwhile, a
        // webhook or a close, is caught by reconciling at once): the account runners start afresh.
        this.leading = true;
        this.nextGeneration();
        this.logger.info(recovered ? 'index: the store answers again; reconciling' : 'index: this replica runs the sync', { accounts: this.accounts.length });
        for (const a of this.accounts) this.track(this.runAccount(a, this.generation));
      } else if (!held && this.leading) {
        this.leading = false;
        this.nextGeneration();
        this.logger.warn('index: this replica lost the sync lease; following the replica that holds it');
      }
      if (!this.leading) await this.follow();
      await this.sleep(Math.max(50, Math.floor(ttl / 3)));
    }
  }

  /** The account runners of the generation before stop (woken from their waits to see it). */
  private nextGeneration(): void {
    this.generation += 1;
    for (const wake of this.wakers) wake();
  }

  private down(err: unknown): void {
    this.storeDown = (err as Error).message;
    this.outage = true;
  }

  /** A follower's view of every account's progress, as the leader checkpointed it. */
  private async follow(): Promise<void> {
    for (const a of this.accounts) {
      try {
        const saved = await this.store.sync(a.client.name, a.client.account);
        if (saved) {
          a.sync = saved;
          a.degraded = saved.lastError;
        }
        this.storeDown = null;
      } catch (err) {
        this.down(err);
      }
    }
  }

  /** Whether this replica holds the sync lease. */
  get leader(): boolean {
    return this.leading;
  }

  /** Resolves once every account is LIVE (tests, and the sandbox's start). */
  async whenLive(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.accounts.every((a) => a.sync.phase === 'LIVE')) {
      if (Date.now() > until) throw new Error(`the index is not live after ${timeoutMs} ms: ${JSON.stringify(await this.status())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Whether every one of these accounts is LIVE (pages for them may come from the index alone). */
  live(keys: readonly string[]): boolean {
    return this.storeDown === null && keys.every((k) => this.byKey.get(k)?.sync.phase === 'LIVE');
  }

  /** Whether the store answers; null when it does, else why not. */
  get unavailable(): string | null {
    return this.storeDown;
  }

  /** Upstream calls the sync has made, per account. */
  callsOf(key: string): number {
    return this.byKey.get(key)?.calls ?? 0;
  }

  /**
   * How fresh a page over these accounts is, from what this process knows (no store query): as of
   * the oldest account's last whole confirmation, and complete only if every one is LIVE.
   */
  freshness(keys: readonly string[]): { asOf: Date; lagSeconds: number; complete: boolean } {
    const mine = keys.map((k) => this.byKey.get(k)).filter((a): a is Account => a !== undefined);
    const asOf =
      mine.reduce<Date | null>((min, a) => (a.sync.lastSyncedAt && (!min || a.sync.lastSyncedAt < min) ? a.sync.lastSyncedAt : min), null) ?? new Date();
    return { asOf, lagSeconds: lagOf(asOf) ?? 0, complete: this.storeDown === null && mine.every((a) => a.sync.phase === 'LIVE' && !a.degraded) };
  }

  /** Open disputes and their amounts per provider and currency (the metrics' gauges); null without the store. */
  async openByProvider(nowMs: number): Promise<{ provider: string; currency: string; open: number; amount: number }[] | null> {
    try {
      const accounts = this.accounts.map((a) => ({ provider: a.client.name, account: a.client.account }));
      const rows = await this.store.stats({ accounts, statuses: OPEN_STATUSES }, ['PROVIDER', 'CURRENCY'], nowMs);
      return rows.map((r) => ({ provider: r.provider!, currency: r.currency, open: r.count, amount: r.amount }));
    } catch {
      return null;
    }
  }

  async status(): Promise<IndexAccountStatus[]> {
    let counts = new Map<string, number>();
    try {
      counts = await this.store.counts();
      this.storeDown = null;
    } catch (err) {
      this.down(err);
    }
    return this.accounts.map((a) => {
      const state: IndexState = this.storeDown || a.degraded ? 'DEGRADED' : a.sync.phase;
      return {
        provider: a.client.name,
        account: a.client.account,
        state,
        disputes: counts.get(a.key) ?? 0,
        lastSyncedAt: a.sync.lastSyncedAt,
        lagSeconds: lagOf(a.sync.lastSyncedAt),
        lastError: this.storeDown ? `index store: ${this.storeDown}` : a.degraded,
        backfill: a.sync.phase === 'BACKFILLING' ? { listed: a.sync.listed, total: a.sync.total } : null,
      };
    });
  }

  /** Applies what the gateway learnt elsewhere (a webhook, a read, its own change); never throws. */
  async observe(observations: readonly Observation[]): Promise<void> {
    if (observations.length === 0) return;
    try {
      await this.apply(observations);
      this.storeDown = null;
    } catch (err) {
      this.down(err);
      this.logger.warn('index: an update could not be stored; reconciliation will catch it', { error: (err as Error).message });
    }
  }

  /** The one way into the store, counted by source: what changed a row, and what was older than the row. */
  private async apply(observations: readonly Observation[], syncedAt?: Date, checkpoint?: AccountSync): Promise<void> {
    const changed = await this.store.apply(observations, syncedAt, checkpoint);
    const source = observations[0]!.source;
    this.metrics.indexApplied(source, changed, observations.length - changed);
    this.opts.applied?.(observations.map((o) => o.dispute));
  }

  /** Runs reconciliation for every LIVE account now (tests; the timer runs it every interval). */
  async reconcileNow(): Promise<void> {
    await Promise.all(this.accounts.filter((a) => a.sync.phase === 'LIVE').map((a) => this.reconcile(a)));
  }

  /** Stops syncing and gives the lease back, so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    for (const wake of this.wakers) wake();
    await Promise.allSettled([...this.running]);
    if (this.leading) await this.store.releaseLease(this.holder).catch(() => {});
    this.leading = false;
  }

  private track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.timers.delete(t);
        this.wakers.delete(done);
        resolve();
      };
      // Node's timers hold at most 2^31-1 ms (24.8 days): a longer interval waits that long.
      const t = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      t.unref();
      this.timers.add(t);
      this.wakers.add(done);
    });
  }

  /** One account: resume or begin its backfill, sweep the head, then reconcile every interval; failures back off and retry. */
  private async runAccount(a: Account, generation: number): Promise<void> {
    let failures = 0;
    const active = () => !this.stopped && generation === this.generation;
    let resumed = false;
    while (active()) {
      try {
        if (!resumed || a.sync.phase !== 'LIVE') {
          a.sync = (await this.store.sync(a.client.name, a.client.account)) ?? a.sync;
          // Live already (a restart, a lease taken over, the store back): what came meanwhile is
          // caught at once, not an interval later.
          if (a.sync.phase === 'LIVE') await this.reconcile(a);
          else await this.backfill(a, active);
          resumed = true;
        }
        if (failures > 0) await this.recovered(a);
        failures = 0;
        await this.sleep(this.opts.reconcileEveryS * 1000);
        if (active()) await this.reconcile(a);
      } catch (err) {
        if (!active()) return;
        failures += 1;
        await this.failed(a, err, failures);
      }
    }
  }

  /** A failure marks the account DEGRADED with its reason (saved, so followers say so too), then waits out the backoff. */
  private async failed(a: Account, err: unknown, failures: number): Promise<void> {
    a.degraded = describe(err);
    const wait = Math.min(60_000, (this.opts.retryBaseMs ?? 1_000) * 2 ** (failures - 1));
    this.logger.warn('index: sync failed; retrying', { provider: a.client.name, account: a.client.account, error: a.degraded, retryInMs: wait });
    await this.store.saveSync({ ...a.sync, lastError: a.degraded }).catch(() => {});
    await this.sleep(wait);
  }

  private async recovered(a: Account): Promise<void> {
    a.degraded = null;
    a.sync = { ...a.sync, lastError: null };
    await this.store.saveSync(a.sync);
  }

  /** One provider call of the sync's, counted, in a scope of its own (its log lines and spans say index-sync). */
  private call<T>(a: Account, phase: IndexPhase, fn: () => Promise<T>): Promise<T> {
    a.calls += 1;
    this.metrics.indexCalls(a.client.name, a.client.account, phase, 1);
    return runInScope(newScope(`index-${a.key}`, 'index-sync'), fn);
  }

  private list(a: Account, startingAfter: string | null, phase: IndexPhase) {
    return this.call(a, phase, () => a.client.list({ limit: a.client.capabilities.maxPageSize, ...(startingAfter !== null && { startingAfter }), filter: {} }));
  }

  private async backfill(a: Account, active: () => boolean): Promise<void> {
    let lastLog = Date.now();
    let ahead: ReturnType<IndexSync['list']> | null = null;
    while (active()) {
      const page = await (ahead ?? this.list(a, a.sync.position, 'backfill'));
      ahead = null;
      // The next page is asked for before this one is stored: the provider answers while the store
      // writes. (Its position is this page's last; the checkpoint below moves there too.)
      const position = page.items.at(-1)?.position;
      if (page.hasMore && position !== undefined) {
        ahead = this.list(a, position, 'backfill');
        ahead.catch(() => {}); // awaited on the next turn; a failure there is this loop's to handle
      }
      const now = new Date();
      if (a.sync.position === null && a.sync.headCreatedMs === null) {
        a.sync.headCreatedMs = page.items[0]?.dispute.created.getTime() ?? 0;
        // Events from the walk's start on are replayed by the first reconciliation.
        a.sync.eventsSinceMs = now.getTime() - CLOCK_MARGIN_MS;
      }
      const last = page.items.at(-1);
      const next: AccountSync = {
        ...a.sync,
        position: last?.position ?? a.sync.position,
        listed: a.sync.listed + page.items.length,
        total: page.total ?? a.sync.total,
        lastError: null,
      };
      // The page and the checkpoint after it land together: a restart resumes exactly after what is stored.
      if (page.items.length)
        await this.apply(
          page.items.map(({ dispute }) => ({ dispute, observedAt: now, source: 'backfill' as const })),
          now,
          next,
        );
      else await this.store.saveSync(next);
      a.sync = next;
      if (Date.now() - lastLog >= (this.opts.progressEveryMs ?? 5_000)) {
        lastLog = Date.now();
        this.logger.info('index: backfilling', { provider: a.client.name, account: a.client.account, listed: a.sync.listed, total: a.sync.total });
      }
      if (!page.hasMore || !last) break;
    }
    if (!active()) return;
    // What was created while the walk went on is newer than its first page: read the head back to there.
    const newest = await this.sweepHead(a, a.sync.headCreatedMs ?? 0);
    a.sync = { ...a.sync, phase: 'LIVE', headCreatedMs: newest, lastSyncedAt: new Date() };
    await this.store.saveSync(a.sync);
    this.logger.info('index: account live', { provider: a.client.name, account: a.client.account, listed: a.sync.listed });
  }

  /** Lists from the newest back to the first dispute created before `sinceMs`; returns the newest creation time seen. */
  private async sweepHead(a: Account, sinceMs: number, phase: IndexPhase = 'sweep'): Promise<number> {
    let position: string | null = null;
    let newest = sinceMs;
    for (;;) {
      const page = await this.list(a, position, phase);
      const now = new Date();
      if (page.items.length)
        await this.apply(
          page.items.map(({ dispute }) => ({ dispute, observedAt: now, source: 'reconcile' as const })),
          now,
        );
      for (const { dispute } of page.items) newest = Math.max(newest, dispute.created.getTime());
      const last = page.items.at(-1);
      if (!page.hasMore || !last || last.dispute.created.getTime() < sinceMs) return newest;
      position = last.position;
    }
  }

  /**
   * For what webhooks missed: the head swept for disputes created since the last sweep; and every
   * change to the disputes the index holds as open, found by replaying the provider's event list
   * where it has one (from the last event seen), else the cheaper way of two: a read of each open
   * dispute, or one walk of the list back to the oldest open one (a call per page).
   */
  private async reconcile(a: Account): Promise<void> {
    const started = Date.now();
    const callsBefore = a.calls;
    try {
      const since = a.sync.headCreatedMs ?? 0;
      let newest: number;
      if (await this.replay(a)) newest = await this.sweepHead(a, since);
      else newest = await this.recheckOpen(a, since);
      a.sync = { ...a.sync, headCreatedMs: Math.max(newest, since), lastSyncedAt: new Date(), lastError: null };
      await this.store.saveSync(a.sync);
      this.metrics.indexPass(a.client.name, a.client.account, 'ok', (Date.now() - started) / 1000, a.calls - callsBefore);
    } catch (err) {
      this.metrics.indexPass(a.client.name, a.client.account, 'error', (Date.now() - started) / 1000, a.calls - callsBefore);
      throw err;
    }
  }

  /** Open disputes checked again without events: a read each, or one walk back to the oldest (which also sweeps the head). */
  private async recheckOpen(a: Account, since: number): Promise<number> {
    const open = await this.openDisputes(a);
    if (open.length === 0) return this.sweepHead(a, since);
    const oldestOpen = open.reduce((min, d) => Math.min(min, d.created.getTime()), Infinity);
    const walkFrom = Math.min(oldestOpen, since);
    const walked = await this.store.count({ accounts: [{ provider: a.client.name, account: a.client.account }], created: { gte: walkFrom } });
    const walkCost = Math.ceil(walked / a.client.capabilities.maxPageSize);
    const readCost = a.client.retrieve ? open.length + 1 : Infinity;
    if (walkCost <= readCost) return this.sweepHead(a, walkFrom, 'reread');
    const newest = await this.sweepHead(a, since);
    await this.reread(a, open);
    return newest;
  }

  /**
   * Replays the provider's event list from the checkpoint: every dispute event since, applied as
   * of its own time (so an event older than what the index holds changes nothing). False when
   * replay cannot stand for a full check this pass: no event list (a 404 or 403 turns replay off
   * for the account, which is not a failure), a checkpoint past the provider's retention (30 days
   * at Stripe), or more events than a pass reads. The checkpoint moves to the newest event seen, or
   * to a little before the pass began (a margin for clocks), whichever is later.
   */
  private async replay(a: Account): Promise<boolean> {
    const passStart = Date.now();
    const since = a.sync.eventsSinceMs;
    const next = (newest: number) => (a.sync = { ...a.sync, eventsSinceMs: Math.max(newest, passStart - CLOCK_MARGIN_MS) });
    if (!a.client.listEvents || a.sync.replay === 'off') return false;
    if (since === null || passStart - since > EVENT_RETENTION_MS) {
      next(0);
      return false;
    }
    let newest = since;
    let startingAfter: string | undefined;
    for (let pages = 0; pages < MAX_REPLAY_PAGES; pages++) {
      let page;
      try {
        page = await this.call(a, 'replay', () => a.client.listEvents!({ createdGte: new Date(since), limit: 100, ...(startingAfter && { startingAfter }) }));
      } catch (err) {
        if (!(err instanceof ProviderError) || (err.status !== 404 && err.status !== 403)) throw err;
        a.sync = { ...a.sync, replay: 'off' };
        this.logger.info('index: the provider offers no event list to this account; reconciliation re-reads instead', {
          provider: a.client.name,
          account: a.client.account,
          status: err.status,
        });
        return false;
      }
      if (page.events.length) {
        await this.apply(page.events.map((e) => ({ dispute: e.dispute, observedAt: e.occurredAt, source: 'replay' as const })));
        for (const e of page.events) newest = Math.max(newest, e.occurredAt.getTime());
      }
      if (!page.hasMore || page.events.length === 0) {
        a.sync = { ...a.sync, replay: 'on' };
        next(newest);
        return true;
      }
      startingAfter = page.events.at(-1)!.id;
    }
    next(0);
    return false;
  }

  /** Each open dispute read again from its provider. */
  private async reread(a: Account, open: readonly Dispute[]): Promise<void> {
    for (const d of open) {
      if (this.stopped) return;
      const now = new Date();
      const fresh = await this.call(a, 'reread', () => a.client.retrieve!(d.providerDisputeId));
      if (fresh) await this.apply([{ dispute: fresh, observedAt: now, source: 'reconcile' }], now);
    }
  }

  private async openDisputes(a: Account): Promise<Dispute[]> {
    const out: Dispute[] = [];
    const filter = { accounts: [{ provider: a.client.name, account: a.client.account }], statuses: STILL_CHANGING };
    let after;
    for (;;) {
      const page = await this.store.page({ filter, order: { field: 'CREATED', direction: 'DESC' }, direction: 'forward', limit: 500, ...(after && { after }) });
      out.push(...page.rows.map((r) => r.dispute));
      if (!page.hasMore) return out;
      after = page.rows.at(-1)!.key;
    }
  }
}

function fresh(provider: ProviderName, account: string): AccountSync {
  return {
    provider,
    account,
    phase: 'BACKFILLING',
    position: null,
    listed: 0,
    total: null,
    headCreatedMs: null,
    lastSyncedAt: null,
    lastError: null,
    eventsSinceMs: null,
    replay: null,
  };
}
