// The Stripe fake's list of events (GET /v1/events): every event it makes when a dispute changes is
// recorded here, whether or not a webhook is delivered, and listed newest first with Stripe's
// filters and cursors. Like Stripe, it lists no event older than 30 days.
import type { StripeDispute, StripeEvent } from '../../providers/kit/stripe-wire.js';
import { DAY } from '../random.js';
import { sliceByCursor, type CursorSlice } from '../list.js';

/** Stripe keeps events 30 days. */
export const EVENT_RETENTION_S = 30 * DAY;
/** Events kept, the oldest going first (a long sandbox stays small). */
export const MAX_EVENTS_KEPT = 5_000;

export interface EventQuery {
  /** Exact types, or a prefix with `*` (Stripe's `charge.dispute.*`); all when absent. */
  types?: readonly string[];
  created: { gt?: number; gte?: number; lt?: number; lte?: number };
  limit: number;
  cursor?: { id: string; direction: 'after' | 'before' };
}

interface Logged {
  /** The order of recording: events of the same second keep it. */
  seq: number;
  event: StripeEvent;
}

const newestFirst = (a: Logged, b: Logged) => b.seq - a.seq;

const typeMatches = (pattern: string, type: string) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type);

export class FakeEventLog {
  /** Oldest first. */
  private readonly events: Logged[] = [];
  private seq = 0;

  record(event: StripeEvent): void {
    this.events.push({ seq: (this.seq += 1), event: structuredClone(event) });
    if (this.events.length > MAX_EVENTS_KEPT * 1.25) this.events.splice(0, this.events.length - MAX_EVENTS_KEPT);
  }

  /** Every event kept, newest first (copies). */
  all(): StripeEvent[] {
    return this.events.map((l) => structuredClone(l.event)).reverse();
  }

  /** A page newest first, or `missing` when the cursor names no event it lists. */
  page(q: EventQuery, nowS: number): CursorSlice<StripeEvent> | { missing: string } {
    const { gt, gte, lt, lte } = q.created;
    const matches = ({ event: e }: Logged) =>
      e.created >= nowS - EVENT_RETENTION_S &&
      (q.types === undefined || q.types.some((t) => typeMatches(t, e.type))) &&
      (gt === undefined || e.created > gt) &&
      (gte === undefined || e.created >= gte) &&
      (lt === undefined || e.created < lt) &&
      (lte === undefined || e.created <= lte);
    const byNewest = [...this.events].reverse();
    const anchor = q.cursor && byNewest.find((l) => l.event.id === q.cursor!.id && l.event.created >= nowS - EVENT_RETENTION_S);
    if (q.cursor && !anchor) return { missing: q.cursor.id };
    const { data, hasMore } = sliceByCursor(byNewest, {
      limit: q.limit,
      matches,
      order: newestFirst,
      ...(anchor && { anchor: { item: anchor, direction: q.cursor!.direction } }),
    });
    return { data: data.map((l) => structuredClone(l.event)), hasMore };
  }
}

/**
 * Moves a dispute one step on, as the provider would on its own (a response sent from its
 * dashboard, the network's decision), changing it in place; a dispute already decided gets a
 * metadata change. The event's type and the previous attributes it changed.
 */
export function advanceDispute(d: StripeDispute): { type: string; previous: Record<string, unknown> } {
  const status = d.status;
  const respond: Record<string, string> = { needs_response: 'under_review', warning_needs_response: 'warning_under_review' };
  const decide: Record<string, string> = { under_review: 'won', warning_under_review: 'warning_closed' };
  if (respond[status]) {
    const previous = { status, evidence_details: { ...d.evidence_details } };
    d.status = respond[status];
    d.evidence_details.submission_count += 1;
    d.evidence_details.has_evidence = true;
    return { type: 'charge.dispute.updated', previous };
  }
  if (decide[status]) {
    d.status = decide[status];
    return { type: 'charge.dispute.closed', previous: { status } };
  }
  const previous = { metadata: { ...d.metadata } };
  d.metadata = { ...d.metadata, changed_at_provider: String(Number(d.metadata.changed_at_provider ?? 0) + 1) };
  return { type: 'charge.dispute.updated', previous };
}
