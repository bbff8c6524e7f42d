// WooshPay's dispute wire shapes: Stripe's 2022 dispute plus its own reason fields and statuses
// (seed document "Close a dispute", docs.wooshpay.com / docs.guanglian.co).
import type { StripeDispute } from '../kit/stripe-wire.js';

export const WOOSHPAY_STATUSES = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'charge_refunded',
  'won',
  'lost',
  'early_dispute_warning',
  'early_dispute_resolved',
] as const;
export type WooshPayDisputeStatus = (typeof WOOSHPAY_STATUSES)[number];

/** The docs mark `reason` "(未实现)", not implemented; Stripe's values are assumed where it is sent. */
export { STRIPE_REASONS as WOOSHPAY_REASONS } from '../kit/stripe-wire.js';

export type WooshPayDispute = Omit<
  StripeDispute,
  'balance_transactions' | 'is_charge_refundable' | 'reason' | 'payment_method_details' | 'network_reason_code' | 'enhanced_eligibility_types'
> & {
  /** May be absent (the close response schema overrides it to null). */
  balance_transactions?: StripeDispute['balance_transactions'];
  is_charge_refundable?: boolean;
  reason?: string | null;
  reason_type?: string;
  reason_description?: string;
  reason_code?: string;
};
