// The recent events this gateway published, newest last, kept for a retention (time and count):
// what `Query.disputeEvents` pages and what a subscription given `after` replays. In process
// memory by default; the store is injected (GatewayOptions.state.eventLog) so replicas can share one.
import { BadUserInput } from '../domain/errors.js';
import type { CursorKeys } from '../gateway/cursor.js';
import type { DisputeEvent } from './types.js';

export interface EventRetention {
  /** How long an event is kept (EVENT_RETENTION_MS; default 24 h). */
  maxAgeMs: number;
  /** How many events are kept at most (EVENT_RETENTION_COUNT; default 10,000). */
  maxEvents: number;
}

export const DEFAULT_RETENTION: EventRetention = { maxAgeMs: 24 * 3600_000, maxEvents: 10_000 };

export interface EventLog {
  /** Adds an event with the next position. */
  append(event: Omit<DisputeEvent, 'seq'>): Promise<DisputeEvent>;
  /** Events after `afterSeq` (exclusive), oldest first, at most `limit`. */
  since(afterSeq: number, limit: number): Promise<DisputeEvent[]>;
  /** Events before `beforeSeq` (exclusive; Infinity: the newest), newest first, at most `limit`, kept by `keep`. */
  newest(beforeSeq: number, limit: number, keep: (e: DisputeEvent) => boolean): Promise<{ events: DisputeEvent[]; more: boolean }>;
  /** One event by its provider's id. */
  find(provider: string, account: string, providerEventId: string): Promise<DisputeEvent | null>;
}

const idOf = (provider: string, account: string, providerEventId: string) => `${provider}:${account}:${providerEventId}`;

export class InMemoryEventLog implements EventLog {
  private readonly events: DisputeEvent[] = [];
  private readonly byId = new Map<string, DisputeEvent>();
  private seq = 0;

  constructor(
    private readonly retention: EventRetention = DEFAULT_RETENTION,
    private readonly now: () => number = Date.now,
  ) {}

  private trim(): void {
    const oldest = this.now() - this.retention.maxAgeMs;
    let drop = Math.max(0, this.events.length - this.retention.maxEvents);
    while (drop < this.events.length && this.events[drop]!.receivedAt.getTime() < oldest) drop += 1;
    if (drop === 0) return;
    for (const e of this.events.splice(0, drop)) this.byId.delete(idOf(e.provider, e.account, e.providerEventId));
  }

  async append(event: Omit<DisputeEvent, 'seq'>): Promise<DisputeEvent> {
    const stored = { ...event, seq: ++this.seq };
    this.events.push(stored);
    this.byId.set(idOf(event.provider, event.account, event.providerEventId), stored);
    this.trim();
    return stored;
  }

  /** The index of the first event with seq > s (events are in seq order). */
  private after(s: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid]!.seq <= s) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async since(afterSeq: number, limit: number): Promise<DisputeEvent[]> {
    this.trim();
    const from = this.after(afterSeq);
    return this.events.slice(from, from + limit);
  }

  async newest(beforeSeq: number, limit: number, keep: (e: DisputeEvent) => boolean) {
    this.trim();
    const out: DisputeEvent[] = [];
    for (let i = this.after(beforeSeq - 1) - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (!keep(e)) continue;
      if (out.length === limit) return { events: out, more: true };
      out.push(e);
    }
    return { events: out, more: false };
  }

  async find(provider: string, account: string, providerEventId: string) {
    this.trim();
    return this.byId.get(idOf(provider, account, providerEventId)) ?? null;
  }
}

/** A position in the event history, signed like the disputes' cursors: `ev1.<seq>.<signature>`. */
export function encodeEventCursor(seq: number, keys: CursorKeys): string {
  return `ev1.${seq}.${keys.sign(`ev1.${seq}`)}`;
}

export function decodeEventCursor(raw: string, field: string, keys: CursorKeys): number {
  const m = typeof raw === 'string' && raw.length < 128 ? /^ev1\.(\d{1,15})\.([A-Za-z0-9_-]+)$/.exec(raw) : null;
  if (!m || !keys.verify(`ev1.${m[1]}`, m[2]!)) throw new BadUserInput(`${field}: not an event cursor this gateway issued (or its secret was rotated out)`, field);
  return Number(m[1]);
}
