// Stripe's dispute wire shapes, exactly as they appear on the wire (API 2026-07-29 and the
// 2023-08-16 OpenAPI spec, committed as test/fixtures/stripe/disputes-openapi.json). Fields new since 2023 are optional.

/** The statuses of the pinned API version (2026-07-29.dahlia; stripe-node v22.5.0's enum). */
export const STRIPE_PINNED_STATUSES = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'won',
  'lost',
  'prevented',
] as const;

/**
 * Statuses newer than the pinned version, in Stripe's changelog for 2026-09-30.preview and
 * 2026-10-28.endive (an appeal of a lost dispute: appeal evidence only in appeal_needs_response,
 * other evidence frozen then); absent from stripe-node v22.5.0. An account on a newer default
 * version, or a webhook endpoint pinned to one, may still send them: they are mapped, not UNKNOWN.
 */
export const STRIPE_APPEAL_STATUSES = ['appeal_needs_response', 'appeal_under_review'] as const;

export const STRIPE_STATUSES = [...STRIPE_PINNED_STATUSES, ...STRIPE_APPEAL_STATUSES] as const;
export type StripeDisputeStatus = (typeof STRIPE_STATUSES)[number];

export const STRIPE_REASONS = [
  'bank_cannot_process',
  'check_returned',
  'credit_not_processed',
  'customer_initiated',
  'debit_not_authorized',
  'duplicate',
  'fraudulent',
  'general',
  'incorrect_account_details',
  'insufficient_funds',
  'noncompliant',
  'product_not_received',
  'product_unacceptable',
  'subscription_canceled',
  'unrecognized',
] as const;
export type StripeDisputeReason = (typeof STRIPE_REASONS)[number];

export const STRIPE_EVIDENCE_TEXT_KEYS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_tracking_number',
  'uncategorized_text',
] as const;

export const STRIPE_EVIDENCE_FILE_KEYS = [
  'cancellation_policy',
  'customer_communication',
  'customer_signature',
  'duplicate_charge_documentation',
  'receipt',
  'refund_policy',
  'service_documentation',
  'shipping_documentation',
  'uncategorized_file',
] as const;

/**
 * The update's `maxLength` per text field (the request schema of POST /v1/disputes/{dispute} in
 * the 2023-08-16 OpenAPI spec; stripe-node's docstrings restate the 20,000 of the eight long ones at
 * v22.5.0). The response schema declares 150,000 on the long ones: the request's are the limits.
 * File fields carry no maxLength.
 */
export const STRIPE_EVIDENCE_MAX_LENGTH: Record<(typeof STRIPE_EVIDENCE_TEXT_KEYS)[number], number> = {
  access_activity_log: 20_000,
  billing_address: 5_000,
  cancellation_policy_disclosure: 20_000,
  cancellation_rebuttal: 20_000,
  customer_email_address: 5_000,
  customer_name: 5_000,
  customer_purchase_ip: 5_000,
  duplicate_charge_explanation: 20_000,
  duplicate_charge_id: 5_000,
  product_description: 20_000,
  refund_policy_disclosure: 20_000,
  refund_refusal_explanation: 20_000,
  service_date: 5_000,
  shipping_address: 5_000,
  shipping_carrier: 5_000,
  shipping_date: 5_000,
  shipping_tracking_number: 5_000,
  uncategorized_text: 20_000,
};

/** A file field: the file id, or the file object when expanded. */
export type StripeFileField = string | { id: string; object: 'file'; filename: string | null } | null;

export type StripeEvidence = { [K in (typeof STRIPE_EVIDENCE_TEXT_KEYS)[number]]: string | null } & {
  [K in (typeof STRIPE_EVIDENCE_FILE_KEYS)[number]]: StripeFileField;
} & { enhanced_evidence?: StripeEnhancedEvidence };

// Enhanced evidence (Visa Compelling Evidence 3.0 from 2024-10-28.acacia, Visa compliance from
// 2024-12-18.acacia, Mastercard compliance from 2026-06-24.dahlia), as stripe-node v22.5.0 types
// the object: a program appears once the dispute is eligible for it (enhanced_eligibility_types).

/** Stripe's Address object. */
export interface StripeAddress {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

export const STRIPE_ADDRESS_KEYS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const;

/** The identifiers and description one CE 3.0 transaction carries. */
export interface StripeCe3Transaction {
  customer_account_id: string | null;
  /** At least 20 characters. */
  customer_device_fingerprint: string | null;
  /** At least 15 characters. */
  customer_device_id: string | null;
  customer_email_address: string | null;
  customer_purchase_ip: string | null;
  product_description: string | null;
  shipping_address: StripeAddress | null;
}

/** The string fields of a CE 3.0 transaction: `Emptyable` on the request (`""` clears one). */
export const STRIPE_CE3_STRING_KEYS = [
  'customer_account_id',
  'customer_device_fingerprint',
  'customer_device_id',
  'customer_email_address',
  'customer_purchase_ip',
  'product_description',
] as const;

export const STRIPE_MERCHANDISE_OR_SERVICES = ['merchandise', 'services'] as const;

export interface StripeVisaCompellingEvidence3 {
  disputed_transaction: (StripeCe3Transaction & { merchandise_or_services: (typeof STRIPE_MERCHANDISE_OR_SERVICES)[number] | null }) | null;
  /** Exactly two when given. */
  prior_undisputed_transactions: (StripeCe3Transaction & { charge: string })[];
}

export interface StripeEnhancedEvidence {
  visa_compelling_evidence_3?: StripeVisaCompellingEvidence3;
  visa_compliance?: { fee_acknowledged: boolean };
  mastercard_compliance?: { fee_acknowledged: boolean };
}

export const STRIPE_CE3_REQUIRED_ACTIONS = [
  'missing_customer_identifiers',
  'missing_disputed_transaction_description',
  'missing_merchandise_or_services',
  'missing_prior_undisputed_transaction_description',
  'missing_prior_undisputed_transactions',
] as const;

export interface StripeEnhancedEligibility {
  visa_compelling_evidence_3?: {
    required_actions: (typeof STRIPE_CE3_REQUIRED_ACTIONS)[number][];
    status: 'not_qualified' | 'qualified' | 'requires_action';
  };
  visa_compliance?: { status: 'fee_acknowledged' | 'requires_fee_acknowledgement' };
  mastercard_compliance?: { status: 'fee_acknowledged' | 'requires_fee_acknowledgement' };
}

export interface StripeEvidenceDetails {
  due_by: number | null;
  has_evidence: boolean;
  past_due: boolean;
  submission_count: number;
  enhanced_eligibility?: StripeEnhancedEligibility;
  /**
   * How the evidence was submitted: public preview in 2025-06-30.preview ("manual",
   * "smart_disputes"); general in 2026-10-28.endive, always present there, adding "not_submitted".
   */
  submission_method?: string | null;
}

export interface StripeFee {
  amount: number;
  application: string | null;
  currency: string;
  description: string | null;
  type: string;
}

export interface StripeBalanceTransaction {
  id: string;
  object: 'balance_transaction';
  amount: number;
  available_on: number;
  created: number;
  currency: string;
  description: string | null;
  exchange_rate: number | null;
  fee: number;
  fee_details: StripeFee[];
  net: number;
  reporting_category: string;
  source: string | null;
  status: 'available' | 'pending';
  type: string;
}

export interface StripePaymentMethodDetails {
  type: 'amazon_pay' | 'card' | 'klarna' | 'paypal';
  card?: { brand: string; case_type?: string; network?: string; network_reason_code: string | null } | null;
  amazon_pay?: { dispute_type: string | null };
  klarna?: { reason_code: string | null; chargeback_loss_reason_code?: string };
  paypal?: { case_id: string | null; reason_code: string | null };
}

export interface StripeDispute {
  id: string;
  object: 'dispute';
  amount: number;
  balance_transactions: StripeBalanceTransaction[];
  charge: string | { id: string };
  created: number;
  currency: string;
  enhanced_eligibility_types?: string[];
  evidence: StripeEvidence;
  evidence_details: StripeEvidenceDetails;
  /**
   * How the merchant means to submit (manual, prefer_manual, prefer_smart_disputes,
   * smart_disputes): a top-level field of the Dispute, settable on update, in
   * 2025-09-30.preview (Stripe's changelog; stripe-node 19.1.0-beta.1). Not in the pinned version.
   */
  intended_submission_method?: string | null;
  is_charge_refundable: boolean;
  livemode: boolean;
  metadata: Record<string, string>;
  network_reason_code?: string | null;
  payment_intent: string | { id: string } | null;
  payment_method_details?: StripePaymentMethodDetails;
  reason: string;
  status: string;
}

export interface StripeList<T> {
  object: 'list';
  url: string;
  has_more: boolean;
  data: T[];
}

/** Stripe's Event object, as its webhooks and its events list (GET /v1/events) carry it. */
export interface StripeEvent<T = StripeDispute> {
  id: string;
  object: 'event';
  api_version: string | null;
  /** Unix seconds. */
  created: number;
  data: { object: T; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null } | null;
  type: string;
}

export interface StripeErrorBody {
  error: {
    type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error' | 'rate_limit_error' | 'authentication_error';
    code?: string;
    message?: string;
    param?: string;
    doc_url?: string;
  };
}
