// Pure transformations from WooshPay's wire shapes to the unified model. WooshPay is Stripe-shaped,
// so the Stripe readers do the common fields; this file owns WooshPay's vocabulary and extras.
import type { Dispute, DisputeStatus } from '../../domain/dispute.js';
import { mapStripeReason, readStripeShapedDispute } from '../kit/stripe-shape.js';
import { lookup } from '../kit/tables.js';
import { strOrNull } from '../wire.js';
import type { WooshPayDisputeStatus } from './wire.js';

export const WOOSHPAY_STATUS_MAP: Record<WooshPayDisputeStatus, DisputeStatus> = {
  warning_needs_response: 'WARNING_NEEDS_RESPONSE',
  warning_under_review: 'WARNING_UNDER_REVIEW',
  warning_closed: 'WARNING_CLOSED',
  needs_response: 'NEEDS_RESPONSE',
  under_review: 'UNDER_REVIEW',
  charge_refunded: 'CHARGE_REFUNDED',
  won: 'WON',
  lost: 'LOST',
  early_dispute_warning: 'EARLY_DISPUTE_WARNING',
  early_dispute_resolved: 'EARLY_DISPUTE_RESOLVED',
};

export const mapWooshPayStatus = (raw: string): DisputeStatus => lookup(WOOSHPAY_STATUS_MAP, raw, 'UNKNOWN');

export function wooshpayToDispute(v: unknown, account: string): Dispute {
  const { dispute, raw } = readStripeShapedDispute(v, 'WOOSHPAY', account, { mapStatus: mapWooshPayStatus, mapReason: mapStripeReason });
  dispute.extras = {
    reasonType: strOrNull(raw.reason_type, 'dispute.reason_type'),
    reasonDescription: strOrNull(raw.reason_description, 'dispute.reason_description'),
    reasonCode: strOrNull(raw.reason_code, 'dispute.reason_code'),
  };
  return dispute;
}
