// Pure transformations from Flex's wire shapes to the unified model.
import type { BalanceTransaction, Dispute, DisputeEvidence, FileRef } from '../../domain/dispute.js';
import { fileContentType, mapStripeReason, mapStripeStatus } from '../kit/stripe-shape.js';
import { readEnhancedEligibility, readEnhancedEvidence, readIntendedSubmissionMethod } from '../kit/stripe-evidence.js';
import { readEvidenceFields, arr, bool, boolOrNull, instantOrNull, int, intOrNull, isoTime, isoTimeOrNull, obj, str, strOrNull, type Obj } from '../wire.js';
import { FLEX_EVIDENCE_FILE_KEYS, FLEX_EVIDENCE_TEXT_KEYS } from './wire.js';

function flexFile(v: unknown, path: string): FileRef | null {
  if (v === null || v === undefined || v === '') return null;
  // Flex file ids where a Stripe-shaped payload carries a bare id.
  if (typeof v === 'string') return { id: v, filename: null, stripeFileId: null };
  const o = obj(v, path);
  return {
    id: str(o.file_id, `${path}.file_id`),
    filename: strOrNull(o.filename, `${path}.filename`),
    stripeFileId: strOrNull(o.stripe_file_id, `${path}.stripe_file_id`),
  };
}

/**
 * Flex documents no enhanced evidence, eligibility or submission method on its dispute: where it
 * passes Stripe's through they are read as Stripe's (the kit's readers), else null.
 */
function flexEvidence(v: unknown, path: string): DisputeEvidence {
  const o: Obj = v === null || v === undefined ? {} : obj(v, path);
  const evidence = readEvidenceFields(o, path, FLEX_EVIDENCE_TEXT_KEYS, FLEX_EVIDENCE_FILE_KEYS, flexFile) as unknown as DisputeEvidence;
  evidence.enhancedEvidence = readEnhancedEvidence(o.enhanced_evidence, `${path}.enhanced_evidence`);
  return evidence;
}

function flexBalanceTransaction(v: unknown, path: string, currency: string): BalanceTransaction {
  const o = obj(v, path);
  return {
    id: str(o.balance_transaction_id, `${path}.balance_transaction_id`),
    amount: int(o.amount, `${path}.amount`),
    // Flex's transactions carry no currency: they move the dispute's.
    currency,
    fee: int(o.fee, `${path}.fee`),
    net: int(o.net, `${path}.net`),
    status: str(o.status, `${path}.status`),
    type: str(o.type, `${path}.type`),
    reportingCategory: strOrNull(o.reporting_category, `${path}.reporting_category`),
    description: null,
    created: isoTime(o.created_at, `${path}.created_at`),
    availableOn: null,
    feeDetails: [],
    category: strOrNull(o.category, `${path}.category`),
  };
}

/**
 * `detail`: 'full' for a retrieved dispute; 'summary' for a listed one, which Flex sends without
 * balance transactions and payment method details.
 */
export function flexToDispute(v: unknown, account: string, detail: 'full' | 'summary', path = 'dispute'): Dispute {
  const o = obj(v, path);
  const status = str(o.status, `${path}.status`);
  const reason = strOrNull(o.reason, `${path}.reason`);
  const currency = str(o.currency, `${path}.currency`).toLowerCase();
  const pmdRaw =
    o.payment_method_details === undefined || o.payment_method_details === null ? null : obj(o.payment_method_details, `${path}.payment_method_details`);
  const card = pmdRaw && pmdRaw.card !== undefined && pmdRaw.card !== null ? obj(pmdRaw.card, `${path}.payment_method_details.card`) : null;
  const networkReasonCode = card ? strOrNull(card.network_reason_code, `${path}.payment_method_details.card.network_reason_code`) : null;
  const details = obj(o.evidence_details, `${path}.evidence_details`);
  return {
    provider: 'FLEX',
    providerAccount: account,
    providerDisputeId: str(o.dispute_id, `${path}.dispute_id`),
    amount: int(o.amount, `${path}.amount`),
    currency,
    status: mapStripeStatus(status),
    providerStatus: status,
    reason: mapStripeReason(reason),
    providerReason: reason,
    created: isoTime(o.created_at, `${path}.created_at`),
    charge: strOrNull(o.charge_id, `${path}.charge_id`),
    paymentIntent: strOrNull(o.payment_intent_id, `${path}.payment_intent_id`),
    isChargeRefundable: boolOrNull(o.is_charge_refundable, `${path}.is_charge_refundable`),
    livemode: !bool(o.test_mode, `${path}.test_mode`),
    metadata: o.metadata === undefined || o.metadata === null ? {} : { ...obj(o.metadata, `${path}.metadata`) },
    evidence: flexEvidence(o.evidence, `${path}.evidence`),
    evidenceDetails: {
      dueBy: isoTimeOrNull(details.due_by, `${path}.evidence_details.due_by`),
      hasEvidence: bool(details.has_evidence, `${path}.evidence_details.has_evidence`),
      pastDue: bool(details.past_due, `${path}.evidence_details.past_due`),
      submissionCount: int(details.submission_count, `${path}.evidence_details.submission_count`),
      enhancedEligibility: readEnhancedEligibility(details.enhanced_eligibility, `${path}.evidence_details.enhanced_eligibility`),
      submissionMethod: strOrNull(details.submission_method, `${path}.evidence_details.submission_method`),
      intendedSubmissionMethod: readIntendedSubmissionMethod(o, path),
    },
    balanceTransactions:
      o.balance_transactions === undefined || o.balance_transactions === null
        ? []
        : arr(o.balance_transactions, `${path}.balance_transactions`).map((b, i) => flexBalanceTransaction(b, `${path}.balance_transactions[${i}]`, currency)),
    paymentMethodDetails: pmdRaw && {
      type: str(pmdRaw.type, `${path}.payment_method_details.type`),
      card: card && { brand: str(card.brand, `${path}.payment_method_details.card.brand`), network: null, caseType: null, networkReasonCode },
    },
    networkReasonCode,
    enhancedEligibilityTypes:
      o.enhanced_eligibility_types === undefined || o.enhanced_eligibility_types === null
        ? []
        : arr(o.enhanced_eligibility_types, `${path}.enhanced_eligibility_types`).map((t, i) => str(t, `${path}.enhanced_eligibility_types[${i}]`)),
    extras: {
      clientReferenceId: strOrNull(o.client_reference_id, `${path}.client_reference_id`),
      stripeDisputeId: strOrNull(o.stripe_dispute_id, `${path}.stripe_dispute_id`),
    },
    detail,
  };
}

/** `{disputes: [...]}`, with `has_more` where Flex sends it (its reference shows none). */
export function readFlexList(v: unknown): { data: unknown[]; hasMore: boolean | null } {
  const o = obj(v, 'body');
  return { data: arr(o.disputes, 'body.disputes'), hasMore: o.has_more === undefined ? null : bool(o.has_more, 'body.has_more') };
}

/** `{dispute: {...}}` */
export function readFlexEnvelope(v: unknown): unknown {
  return obj(obj(v, 'body').dispute, 'body.dispute');
}

/** Flex's upload answer: `{"file":{file_id, purpose, filename, size, type, created_at, expires_at}}`. */
export function readFlexFile(json: unknown): FileRef {
  const f = obj(obj(json, 'body').file, 'file');
  return {
    id: str(f.file_id, 'file.file_id'),
    filename: strOrNull(f.filename, 'file.filename'),
    size: intOrNull(f.size, 'file.size'),
    contentType: fileContentType(strOrNull(f.type, 'file.type')),
    expiresAt: instantOrNull(f.expires_at, 'file.expires_at'),
  };
}
