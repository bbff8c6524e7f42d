// Flex's dispute wire shapes (docs.withflex.com disputes API and the seed "Close Dispute" page):
// Stripe's dispute in Flex's envelope and vocabulary of ids.

/**
 * The reference renders status as <unknown>; the guide uses Stripe's statuses, so Stripe's set at
 * the pinned version (what its fake serves). Its mapping is Stripe's table, so a Stripe status
 * newer than these (an appeal's) still maps, raw value kept.
 */
export {
  STRIPE_PINNED_STATUSES as FLEX_STATUSES,
  STRIPE_REASONS as FLEX_REASONS,
  STRIPE_EVIDENCE_TEXT_KEYS as FLEX_EVIDENCE_TEXT_KEYS,
  STRIPE_EVIDENCE_FILE_KEYS as FLEX_EVIDENCE_FILE_KEYS,
} from '../kit/stripe-wire.js';

/** `stripe_file_id` is absent in an older version of the docs. */
export interface FlexFile {
  file_id: string;
  filename: string;
  stripe_file_id?: string;
}

export interface FlexBalanceTransaction {
  balance_transaction_id: string;
  amount: number;
  fee: number;
  net: number;
  status: string;
  type: string;
  reporting_category: string;
  /** In the seed example; unconfirmed elsewhere. */
  category?: string;
  created_at: string;
}

export interface FlexDispute {
  dispute_id: string;
  payment_intent_id: string;
  amount: number;
  currency: string;
  charge_id: string | null;
  metadata: Record<string, string>;
  created_at: string;
  status: string;
  reason: string;
  is_charge_refundable: boolean;
  /** Omitted from lists unless `expand=evidence`. */
  evidence?: Record<string, string | FlexFile | null>;
  evidence_details: { due_by: string | null; has_evidence: boolean; past_due: boolean; submission_count: number };
  /** Only on the single-dispute GET. */
  balance_transactions?: FlexBalanceTransaction[];
  /** Only on the single-dispute GET. */
  payment_method_details?: { type: string; card: { brand: string; network_reason_code: string | null } | null };
  test_mode: boolean;
  client_reference_id: string | null;
  /** In an older version of the docs. */
  stripe_dispute_id?: string | null;
}

export interface FlexErrorBody {
  error: { code: string; message: string };
}
