// The recent events this gateway published, newest last, kept for a retention (time and count):
// what `Query.disputeEvents` pages and what a subscription given `after` replays. In process
// memory by default; the store is injected (GatewayOptions.state.eventLog) so replicas can share one.
//
// Every read is bounded by what the caller may see: the history is indexed by account and by
// dispute, and a read merges the runs of the accounts in its scope (or reads one dispute's run).
// Events of accounts outside the scope are never touched, however many there are.
import { BadUserInput } from '../domain/errors.js';
import type { CursorKeys } from '../gateway/cursor.js';
import { accountKey, eventKey, refKey } from '../domain/ids.js';
import type { ProviderName } from '../domain/dispute.js';
import type { DisputeEvent } from '../domain/event.js';

export interface EventRetention {
  /** How long an event is kept (EVENT_RETENTION_MS; default 24 h). */
  maxAgeMs: number;
  /** How many events are kept at most, over every account (EVENT_RETENTION_COUNT; default 10,000). */
  maxEvents: number;
}

export const DEFAULT_RETENTION: EventRetention = { maxAgeMs: 24 * 3600_000, maxEvents: 10_000 };

/**
 * What one read of the history may touch: the accounts (`PROVIDER:account`) the caller may read
 * and its filter names, or, with `dispute` (a refKey), that one dispute's events only (its account
 * must be among `accounts`).
 */
export interface EventScope {
  accounts: readonly string[];
  dispute?: string | null;
}

export interface EventLog {
  /** Adds an event with the next position. */
  append(event: Omit<DisputeEvent, 'seq'>): Promise<DisputeEvent>;
  /** Events of the scope after `afterSeq` (exclusive), oldest first, at most `limit`. */
  since(afterSeq: number, limit: number, scope: EventScope): Promise<DisputeEvent[]>;
  /** Events of the scope before `beforeSeq` (exclusive; Infinity: the newest), newest first, at most `limit`, kept by `keep`. */
  newest(beforeSeq: number, limit: number, scope: EventScope, keep?: (e: DisputeEvent) => boolean): Promise<{ events: DisputeEvent[]; more: boolean }>;
  /** One event by its provider's id. */
  find(provider: ProviderName, account: string, providerEventId: string): Promise<DisputeEvent | null>;
  /** Entries read (decoded) by reads so far: the work the history's reads did, for metrics and tests. */
  readonly entriesRead: number;
}

/** The account (of the scope's) the scope's dispute belongs to: its ref starts with it; undefined when the scope does not allow it. */
export const disputeAccount = (scope: EventScope): string | undefined =>
  scope.dispute == null ? undefined : scope.accounts.find((a) => scope.dispute!.startsWith(`${a}:`));

/** One run of the history (an account's events or a dispute's), in one order, read a page at a time from where it left off. */
export interface HistoryRun {
  next(count: number): Promise<DisputeEvent[]>;
}

/**
 * The first `limit` events kept by `keep` over several runs, merged in the runs' order (`newest`:
 * descending positions; else ascending), and whether more lie beyond. Each run is read a page at a
 * time, only as far as the merge needs; a run whose events `keep` mostly refuses is read in pages
 * that double (up to 500), so a rare type costs few reads.
 */
export async function mergeRuns(
  runs: HistoryRun[],
  limit: number,
  order: 'newest' | 'oldest',
  keep: (e: DisputeEvent) => boolean = () => true,
): Promise<{ events: DisputeEvent[]; more: boolean }> {
  const first = Math.min(limit + 1, 500);
  const states = runs.map((run) => ({ run, buf: [] as DisputeEvent[], at: 0, drained: false, page: first }));
  const out: DisputeEvent[] = [];
  for (;;) {
    await Promise.all(
      states
        .filter((s) => !s.drained && s.at === s.buf.length)
        .map(async (s) => {
          s.buf = await s.run.next(s.page);
          s.at = 0;
          if (s.buf.length < s.page) s.drained = true;
          s.page = Math.min(s.page * 2, 500);
        }),
    );
    let best: (typeof states)[number] | undefined;
    for (const s of states) {
      if (s.at === s.buf.length) continue;
      const seq = s.buf[s.at]!.seq;
      if (!best || (order === 'newest' ? seq > best.buf[best.at]!.seq : seq < best.buf[best.at]!.seq)) best = s;
    }
    if (!best) return { events: out, more: false };
    const e = best.buf[best.at++]!;
    if (!keep(e)) continue;
    if (out.length === limit) return { events: out, more: true };
    out.push(e);
  }
}

const disputeOf = (e: DisputeEvent) => refKey({ provider: e.provider, account: e.account, providerDisputeId: e.providerDisputeId });

/** The index of the first event with seq > s in a run in seq order. */
function after(run: readonly DisputeEvent[], s: number): number {
  let lo = 0;
  let hi = run.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (run[mid]!.seq <= s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class InMemoryEventLog implements EventLog {
  private readonly events: DisputeEvent[] = [];
  private readonly byAccount = new Map<string, DisputeEvent[]>();
  private readonly byDispute = new Map<string, DisputeEvent[]>();
  private readonly byId = new Map<string, DisputeEvent>();
  private seq = 0;
  entriesRead = 0;

  constructor(
    private readonly retention: EventRetention = DEFAULT_RETENTION,
    private readonly now: () => number = Date.now,
  ) {}

  /** The runs an event belongs to: its account's and its dispute's. */
  private runKeys(e: DisputeEvent): [Map<string, DisputeEvent[]>, string][] {
    return [
      [this.byAccount, accountKey(e.provider, e.account)],
      [this.byDispute, disputeOf(e)],
    ];
  }

  private trim(): void {
    const oldest = this.now() - this.retention.maxAgeMs;
    let drop = Math.max(0, this.events.length - this.retention.maxEvents);
    while (drop < this.events.length && this.events[drop]!.receivedAt.getTime() < oldest) drop += 1;
    if (drop === 0) return;
    // The oldest events overall are the oldest of their account's and their dispute's runs too.
    for (const e of this.events.splice(0, drop)) {
      // An event stored twice (a redelivery after a lapsed claim) is found by its newer copy.
      const id = eventKey(e.provider, e.account, e.providerEventId);
      if (this.byId.get(id) === e) this.byId.delete(id);
      for (const [index, key] of this.runKeys(e)) {
        const run = index.get(key);
        run?.shift();
        if (run?.length === 0) index.delete(key);
      }
    }
  }

  async append(event: Omit<DisputeEvent, 'seq'>): Promise<DisputeEvent> {
    const stored = { ...event, seq: ++this.seq };
    this.events.push(stored);
    this.byId.set(eventKey(event.provider, event.account, event.providerEventId), stored);
    for (const [index, key] of this.runKeys(stored)) {
      const run = index.get(key);
      if (run) run.push(stored);
      else index.set(key, [stored]);
    }
    this.trim();
    return stored;
  }

  /** The runs a scope reads. */
  private runsOf(scope: EventScope): (readonly DisputeEvent[])[] {
    if (scope.dispute == null) return scope.accounts.map((a) => this.byAccount.get(a) ?? []);
    const run = disputeAccount(scope) === undefined ? undefined : this.byDispute.get(scope.dispute);
    return run ? [run] : [];
  }

  /**
   * A run read from a position on, found again by position at every page (a trim between pages
   * moves indices, never positions).
   */
  private reader(run: readonly DisputeEvent[], from: number, order: 'newest' | 'oldest'): HistoryRun {
    let edge = from;
    return {
      next: async (count) => {
        let page: DisputeEvent[];
        if (order === 'newest') {
          const end = after(run, edge - 1);
          page = run.slice(Math.max(0, end - count), end).reverse();
        } else {
          const start = after(run, edge);
          page = run.slice(start, start + count);
        }
        this.entriesRead += page.length;
        if (page.length > 0) edge = page[page.length - 1]!.seq;
        return page;
      },
    };
  }

  async since(afterSeq: number, limit: number, scope: EventScope): Promise<DisputeEvent[]> {
    this.trim();
    return (
      await mergeRuns(
        this.runsOf(scope).map((run) => this.reader(run, afterSeq, 'oldest')),
        limit,
        'oldest',
      )
    ).events;
  }

  async newest(beforeSeq: number, limit: number, scope: EventScope, keep?: (e: DisputeEvent) => boolean) {
    this.trim();
    return mergeRuns(
      this.runsOf(scope).map((run) => this.reader(run, beforeSeq, 'newest')),
      limit,
      'newest',
      keep,
    );
  }

  async find(provider: ProviderName, account: string, providerEventId: string) {
    this.trim();
    return this.byId.get(eventKey(provider, account, providerEventId)) ?? null;
  }
}

/** A position in the event history, signed like the disputes' cursors: `ev1.<seq>.<signature>`. */
export function encodeEventCursor(seq: number, keys: CursorKeys): string {
  return `ev1.${seq}.${keys.sign(`ev1.${seq}`)}`;
}

export function decodeEventCursor(raw: string, field: string, keys: CursorKeys): number {
  const m = typeof raw === 'string' && raw.length < 128 ? /^ev1\.(\d{1,16})\.([A-Za-z0-9_-]+)$/.exec(raw) : null;
  if (!m || !keys.verify(`ev1.${m[1]}`, m[2]!))
    throw new BadUserInput(`${field}: not an event cursor this gateway issued (or its secret was rotated out)`, field);
  return Number(m[1]);
}
