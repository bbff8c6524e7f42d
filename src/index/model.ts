// The dispute index's model: what a row holds, how a page is asked for, and the rule that keeps
// the index from going back in time (an older event or read never overwrites newer state).
import { isFinal, type Dispute, type DisputeReason, type DisputeStatus, type ProviderName } from '../domain/dispute.js';

export type IndexOrderField = 'CREATED' | 'DUE_BY' | 'AMOUNT';
export type IndexDirection = 'ASC' | 'DESC';
export interface IndexOrder {
  field: IndexOrderField;
  direction: IndexDirection;
}
export const DEFAULT_ORDER: IndexOrder = { field: 'CREATED', direction: 'DESC' };

export interface Range {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** What the index is asked: the accounts (already narrowed to the caller's), and every filter. */
export interface IndexFilter {
  accounts: { provider: ProviderName; account: string }[];
  statuses?: readonly DisputeStatus[];
  reasons?: readonly DisputeReason[];
  currency?: string;
  charge?: string;
  paymentIntent?: string;
  /** Epoch milliseconds. */
  created?: Range;
  dueBy?: Range;
  /** Minor units. */
  amount?: Range;
  /** Exact match on the provider's dispute id, charge, payment intent or the customer email in evidence (any case). */
  search?: string;
  /** With `search`: the dispute a gateway id names, matched too. */
  searchRef?: { provider: ProviderName; account: string; providerDisputeId: string };
}

/** A row's place in a total order: the order's key, then provider rank, account and the provider's dispute id. */
export interface IndexKey {
  /** The order field's value (epoch ms or minor units); null for a dispute with no deadline in DUE_BY order. */
  value: number | null;
  providerRank: number;
  account: string;
  providerDisputeId: string;
}

export interface IndexPageQuery {
  filter: IndexFilter;
  order: IndexOrder;
  /** Rows strictly after this key in the order (forward), or strictly before it (backward). */
  after?: IndexKey;
  before?: IndexKey;
  /** Forward from the start (first), or backward from the end (last). */
  direction: 'forward' | 'backward';
  limit: number;
}

export interface IndexedDispute {
  dispute: Dispute;
  /** When the index last had this dispute from its provider. */
  syncedAt: Date;
  key: IndexKey;
}

export interface IndexPage {
  rows: IndexedDispute[];
  /** More rows past the page in its direction. */
  hasMore: boolean;
}

/** Where a dispute's state came from, and as of when (the provider's event time, or the moment it was read). */
export interface Observation {
  dispute: Dispute;
  observedAt: Date;
  source: 'backfill' | 'reconcile' | 'replay' | 'webhook' | 'read' | 'mutation';
}

/**
 * How far along its life a status is: a dispute moves up this scale, never down (an inquiry may
 * become a chargeback; a chargeback is answered, reviewed, then decided; a lost one may be
 * appealed, and the appeal is decided again). The index takes an observation only if it is not
 * behind what it holds (isNewer). So an event delivered late, or a read answered before a webhook
 * arrived, never undoes a newer state.
 */
export function statusRank(s: DisputeStatus): number {
  switch (s) {
    case 'UNKNOWN':
      return 0;
    case 'EARLY_DISPUTE_WARNING':
    case 'WARNING_NEEDS_RESPONSE':
      return 1;
    case 'WARNING_UNDER_REVIEW':
      return 2;
    case 'NEEDS_RESPONSE':
      return 3;
    case 'APPEAL_NEEDS_RESPONSE':
      return APPEAL_RANK;
    case 'APPEAL_UNDER_REVIEW':
      return APPEAL_RANK + 1;
    default:
      return isFinal(s) ? FINAL_RANK : 4;
  }
}

export const FINAL_RANK = 5;
export const APPEAL_RANK = 6;

/** What the rule compares of a state: its status's rank, its evidence submissions, and when it was observed (epoch ms). */
export interface Progress {
  rank: number;
  submissions: number;
  observedMs: number;
}

/**
 * Whether `x` may replace `t`: further along (a higher rank); or as far, with as many submissions
 * or more, observed no earlier; or the decision on an appeal (a final status observed no earlier
 * than the appeal it follows). The store's upsert states the same rule in SQL (sql.ts newerThanStored).
 */
export function isNewer(x: Progress, t: Progress): boolean {
  if (x.rank > t.rank) return true;
  if (x.rank === t.rank) return x.submissions >= t.submissions && x.observedMs >= t.observedMs;
  return x.rank === FINAL_RANK && t.rank >= APPEAL_RANK && x.observedMs >= t.observedMs;
}

/** The order key of a dispute for an order field (DUE_BY: the evidence deadline, or null). */
export function orderValue(d: Dispute, field: IndexOrderField): number | null {
  if (field === 'CREATED') return d.created.getTime();
  if (field === 'AMOUNT') return d.amount;
  return d.evidenceDetails.dueBy?.getTime() ?? null;
}

/** What disputeStats groups by (ACCOUNT: provider and account together). */
export type StatsDimension = 'PROVIDER' | 'ACCOUNT' | 'STATUS' | 'REASON' | 'CURRENCY' | 'CREATED_MONTH';

/** One group of the store's GROUP BY, always split by currency too (amounts only add up within one). */
export interface StatsRow {
  provider: ProviderName | null;
  account: string | null;
  status: DisputeStatus | null;
  reason: DisputeReason | null;
  currency: string;
  /** YYYY-MM (UTC) of creation, when grouped by it. */
  createdMonth: string | null;
  count: number;
  /** Minor units, summed exactly (64-bit in the store; within 2^53 here). */
  amount: number;
  won: number;
  lost: number;
  open: number;
  dueWithin24h: number;
  dueWithin72h: number;
  pastDue: number;
}

/** A reminder window before a deadline, as configured (DEADLINE_REMINDERS): its label ("24h") and length. */
export interface ReminderWindow {
  label: string;
  ms: number;
}

export interface DisputeRefKey {
  provider: ProviderName;
  account: string;
  providerDisputeId: string;
}

/** A reminder to send: the dispute as the index holds it, and the smallest window it is inside. */
export interface DueReminder {
  dispute: Dispute;
  window: string;
}
