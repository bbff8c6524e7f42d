// Stripe's dispute wire shapes, exactly as they appear on the wire (API 2026-07-29 and the
// 2023-08-16 OpenAPI spec, committed as test/fixtures/stripe/disputes-openapi.json). Fields new since 2023 are optional.

export const STRIPE_STATUSES = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'won',
  'lost',
  'prevented',
] as const;
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

/** A file field: the file id, or the file object when expanded. */
export type StripeFileField = string | { id: string; object: 'file'; filename: string | null } | null;

export type StripeEvidence = { [K in (typeof STRIPE_EVIDENCE_TEXT_KEYS)[number]]: string | null } & {
  [K in (typeof STRIPE_EVIDENCE_FILE_KEYS)[number]]: StripeFileField;
} & { enhanced_evidence?: Record<string, unknown> };

export interface StripeEvidenceDetails {
  due_by: number | null;
  has_evidence: boolean;
  past_due: boolean;
  submission_count: number;
  enhanced_eligibility?: Record<string, unknown>;
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
