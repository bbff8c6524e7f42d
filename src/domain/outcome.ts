// How a dispute's status counts, in one place, for the aggregates (disputeStats), the reminders
// and the index's reconciliation. Documented in docs/index.md ("Aggregates").
import type { DisputeStatus } from './dispute.js';

/** Decided for the merchant. */
export const WON_STATUSES: readonly DisputeStatus[] = ['WON'];

/**
 * Decided against the merchant. Only a decision counts: an inquiry that closed (WARNING_CLOSED), a
 * dispute prevented or resolved early, and one closed because the merchant refunded or voided the
 * payment are neither won nor lost, so they do not move the win rate.
 */
export const LOST_STATUSES: readonly DisputeStatus[] = ['LOST'];

/** Waiting on the merchant: evidence is due by `evidenceDetails.dueBy`. Reminders and the due counts look at these. */
export const AWAITING_RESPONSE: readonly DisputeStatus[] = ['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE'];

/** Open: awaiting a response, or answered and under review; an appeal of a decision, too. */
export const OPEN_STATUSES: readonly DisputeStatus[] = [
  ...AWAITING_RESPONSE,
  'UNDER_REVIEW',
  'WARNING_UNDER_REVIEW',
  'APPEAL_NEEDS_RESPONSE',
  'APPEAL_UNDER_REVIEW',
];

/**
 * Statuses that can still change by the merchant's, the network's or the provider's hand: the open
 * ones, an early warning, and a status the gateway could not map. The index re-checks these.
 */
export const STILL_CHANGING: readonly DisputeStatus[] = [...OPEN_STATUSES, 'EARLY_DISPUTE_WARNING', 'UNKNOWN'];
