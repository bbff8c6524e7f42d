// Afterpay / Clearpay Disputes API v2 wire shapes (developers.afterpay.com, developers.cash.app,
// developers.clearpay.co.uk, and the seed "Accept Dispute" page).

export const AFTERPAY_STATUSES = ['needs_response', 'under_review', 'won', 'lost', 'merchant_refunded', 'merchant_voided'] as const;
export type AfterpayDisputeStatus = (typeof AFTERPAY_STATUSES)[number];

export const AFTERPAY_REASONS = [
  'product_not_received',
  'product_unacceptable',
  'credit_not_processed',
  'order_canceled',
  'duplicate',
  'incorrect_amount',
  'paid_by_other_means',
  'fraudulent',
  'fraudulent_merchant',
] as const;
export type AfterpayDisputeReason = (typeof AFTERPAY_REASONS)[number];

export const AFTERPAY_CLOSING_REASONS = ['merchant_accepted', 'evidence_accepted', 'evidence_rejected', 'deadline_expired', 'customer_cancelled'] as const;

/** Afterpay's Money: a decimal string in major units and an ISO-4217 code. */
export interface AfterpayMoney {
  amount: string;
  currency: string;
}

export interface AfterpayDispute {
  id: string;
  /** The order token. */
  order: string;
  /** Decimal string in major units, e.g. "48.46". */
  amount: string;
  reason: string;
  status: string;
  open: boolean;
  /** Epoch seconds, as a string. */
  responseDueBy: string;
  createdAt: string;
  openingNote: string;
  closingReason: string | null;
  merchantOrderId: string;
  transactionDate: string;
  settlementAmount: string;
  openingNoteAttachments?: string[] | null;
  updatedAt?: string | null;
  closingNote?: string | null;
  /** Documented with transactionAmount and orderType required; the amount's shape is not shown (a Money object or a decimal string). */
  meta?: { transactionAmount: AfterpayMoney | string; orderType: 'ONLINE' | 'INSTORE'; network?: string; networkReferenceId?: string } | null;
  /** Only in the Clearpay documents. */
  currency?: string;
}

export interface AfterpayList {
  data: AfterpayDispute[];
  offset: number;
  limit: number;
  total: number;
}

export interface AfterpayErrorBody {
  errorCode: string;
  errorId: string;
  message: string;
  httpStatusCode: number;
}
