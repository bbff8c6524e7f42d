// Pure transformations between Stripe's wire shapes and the unified model. No I/O.
// Stripe-compatible providers (WooshPay) reuse these readers for the fields they share.
import type { BalanceTransaction, Dispute, DisputeReason, DisputeStatus, FileRef, PaymentMethodDetails, ProviderName } from '../../domain/dispute.js';
import type { ListFilter, ListPage } from '../types.js';
import { arr, bool, boolOrNull, idOrExpanded, int, intOrNull, obj, str, strOrNull, unixTime, type Obj, readListed } from '../wire.js';
import { lookup } from './tables.js';
import type { FormValue } from '../form.js';
import { readIntendedSubmissionMethod, readStripeEvidence, readStripeEvidenceDetails } from './stripe-evidence.js';
import type { StripeDisputeReason, StripeDisputeStatus } from './stripe-wire.js';

// Exhaustive by type: adding a value to STRIPE_STATUSES fails to compile until it is mapped here.
export const STRIPE_STATUS_MAP: Record<StripeDisputeStatus, DisputeStatus> = {
  warning_needs_response: 'WARNING_NEEDS_RESPONSE',
  warning_under_review: 'WARNING_UNDER_REVIEW',
  warning_closed: 'WARNING_CLOSED',
  needs_response: 'NEEDS_RESPONSE',
  under_review: 'UNDER_REVIEW',
  won: 'WON',
  lost: 'LOST',
  prevented: 'PREVENTED',
  // Newer than the pinned version (2026-09-30.preview, 2026-10-28.endive): an appeal of a lost dispute.
  appeal_needs_response: 'APPEAL_NEEDS_RESPONSE',
  appeal_under_review: 'APPEAL_UNDER_REVIEW',
};

const REASON: Record<StripeDisputeReason, DisputeReason> = {
  bank_cannot_process: 'BANK_CANNOT_PROCESS',
  check_returned: 'CHECK_RETURNED',
  credit_not_processed: 'CREDIT_NOT_PROCESSED',
  customer_initiated: 'CUSTOMER_INITIATED',
  debit_not_authorized: 'DEBIT_NOT_AUTHORIZED',
  duplicate: 'DUPLICATE',
  fraudulent: 'FRAUDULENT',
  general: 'GENERAL',
  incorrect_account_details: 'INCORRECT_ACCOUNT_DETAILS',
  insufficient_funds: 'INSUFFICIENT_FUNDS',
  noncompliant: 'NONCOMPLIANT',
  product_not_received: 'PRODUCT_NOT_RECEIVED',
  product_unacceptable: 'PRODUCT_UNACCEPTABLE',
  subscription_canceled: 'SUBSCRIPTION_CANCELED',
  unrecognized: 'UNRECOGNIZED',
};

export const mapStripeStatus = (raw: string): DisputeStatus => lookup(STRIPE_STATUS_MAP, raw, 'UNKNOWN');

export const mapStripeReason = (raw: string | null): DisputeReason => lookup(REASON, raw, 'UNKNOWN');

function readBalanceTransaction(v: unknown, path: string): BalanceTransaction {
  const o = obj(v, path);
  const available = intOrNull(o.available_on, `${path}.available_on`);
  return {
    id: str(o.id, `${path}.id`),
    amount: int(o.amount, `${path}.amount`),
    currency: str(o.currency, `${path}.currency`),
    fee: int(o.fee, `${path}.fee`),
    net: int(o.net, `${path}.net`),
    status: str(o.status, `${path}.status`),
    type: str(o.type, `${path}.type`),
    reportingCategory: strOrNull(o.reporting_category, `${path}.reporting_category`),
    description: strOrNull(o.description, `${path}.description`),
    created: unixTime(o.created, `${path}.created`),
    availableOn: available === null ? null : new Date(available * 1000),
    feeDetails: (o.fee_details === undefined ? [] : arr(o.fee_details, `${path}.fee_details`)).map((f, i) => {
      const fo = obj(f, `${path}.fee_details[${i}]`);
      return {
        amount: int(fo.amount, `${path}.fee_details[${i}].amount`),
        currency: str(fo.currency, `${path}.fee_details[${i}].currency`),
        type: str(fo.type, `${path}.fee_details[${i}].type`),
        description: strOrNull(fo.description, `${path}.fee_details[${i}].description`),
      };
    }),
  };
}

export function readStripeBalanceTransactions(v: unknown, path: string): BalanceTransaction[] {
  return readBalanceTransactionList(v, path).details;
}

/**
 * Balance transactions as objects (Stripe) or as ids (WooshPay's schema types them as strings,
 * like an unexpanded Stripe field): both are accepted; `ids` keeps every one in order.
 */
export function readBalanceTransactionList(v: unknown, path: string): { details: BalanceTransaction[]; ids: string[]; idsOnly: boolean } {
  if (v === undefined || v === null) return { details: [], ids: [], idsOnly: false };
  const details: BalanceTransaction[] = [];
  const ids: string[] = [];
  let idsOnly = false;
  arr(v, path).forEach((bt, i) => {
    if (typeof bt === 'string') {
      ids.push(bt);
      idsOnly = true;
    } else {
      const read = readBalanceTransaction(bt, `${path}[${i}]`);
      details.push(read);
      ids.push(read.id);
    }
  });
  return { details, ids, idsOnly };
}

export function readStripePaymentMethodDetails(v: unknown, path: string): PaymentMethodDetails | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, path);
  const card = o.card === undefined || o.card === null ? null : obj(o.card, `${path}.card`);
  const sub = (key: string) => (o[key] === undefined || o[key] === null ? null : obj(o[key], `${path}.${key}`));
  const klarna = sub('klarna');
  const paypal = sub('paypal');
  const amazonPay = sub('amazon_pay');
  return {
    type: str(o.type, `${path}.type`),
    card: card && {
      brand: str(card.brand, `${path}.card.brand`),
      network: strOrNull(card.network, `${path}.card.network`),
      caseType: strOrNull(card.case_type, `${path}.card.case_type`),
      networkReasonCode: strOrNull(card.network_reason_code, `${path}.card.network_reason_code`),
    },
    klarna: klarna && {
      reasonCode: strOrNull(klarna.reason_code, `${path}.klarna.reason_code`),
      chargebackLossReasonCode: strOrNull(klarna.chargeback_loss_reason_code, `${path}.klarna.chargeback_loss_reason_code`),
    },
    paypal: paypal && {
      caseId: strOrNull(paypal.case_id, `${path}.paypal.case_id`),
      reasonCode: strOrNull(paypal.reason_code, `${path}.paypal.reason_code`),
    },
    amazonPay: amazonPay && { disputeType: strOrNull(amazonPay.dispute_type, `${path}.amazon_pay.dispute_type`) },
  };
}

function stringMap(v: unknown, path: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  return { ...obj(v, path) };
}

export interface StripeShapedVocabulary {
  mapStatus(raw: string): DisputeStatus;
  mapReason(raw: string | null): DisputeReason;
}

const STRIPE_VOCABULARY: StripeShapedVocabulary = { mapStatus: mapStripeStatus, mapReason: mapStripeReason };

/** Reads a Stripe-shaped dispute object into the unified model. Throws MalformedUpstream. */
export function readStripeShapedDispute(
  v: unknown,
  provider: ProviderName,
  account: string,
  vocabulary: StripeShapedVocabulary = STRIPE_VOCABULARY,
  path = 'dispute',
): { dispute: Dispute; raw: Obj } {
  const o = obj(v, path);
  const bts = readBalanceTransactionList(o.balance_transactions, `${path}.balance_transactions`);
  const status = str(o.status, `${path}.status`);
  const reason = strOrNull(o.reason, `${path}.reason`);
  const pmd = readStripePaymentMethodDetails(o.payment_method_details, `${path}.payment_method_details`);
  const topReasonCode = strOrNull(o.network_reason_code, `${path}.network_reason_code`);
  const dispute: Dispute = {
    provider,
    providerAccount: account,
    providerDisputeId: str(o.id, `${path}.id`),
    amount: int(o.amount, `${path}.amount`),
    currency: str(o.currency, `${path}.currency`).toLowerCase(),
    status: vocabulary.mapStatus(status),
    providerStatus: status,
    reason: vocabulary.mapReason(reason),
    providerReason: reason,
    created: unixTime(o.created, `${path}.created`),
    charge: idOrExpanded(o.charge, `${path}.charge`),
    paymentIntent: idOrExpanded(o.payment_intent, `${path}.payment_intent`),
    isChargeRefundable: boolOrNull(o.is_charge_refundable, `${path}.is_charge_refundable`),
    livemode: bool(o.livemode, `${path}.livemode`),
    metadata: stringMap(o.metadata, `${path}.metadata`),
    evidence: readStripeEvidence(o.evidence, `${path}.evidence`),
    evidenceDetails: {
      ...readStripeEvidenceDetails(o.evidence_details, `${path}.evidence_details`),
      intendedSubmissionMethod: readIntendedSubmissionMethod(o, path),
    },
    balanceTransactions: bts.details,
    ...(bts.idsOnly && { balanceTransactionIds: bts.ids }),
    paymentMethodDetails: pmd,
    // Card disputes carry the network's code; Klarna and PayPal disputes their own.
    networkReasonCode: topReasonCode ?? pmd?.card?.networkReasonCode ?? pmd?.klarna?.reasonCode ?? pmd?.paypal?.reasonCode ?? null,
    enhancedEligibilityTypes:
      o.enhanced_eligibility_types === undefined
        ? []
        : arr(o.enhanced_eligibility_types, `${path}.enhanced_eligibility_types`).map((t, i) => str(t, `${path}.enhanced_eligibility_types[${i}]`)),
    extras: {},
    detail: 'full',
  };
  return { dispute, raw: o };
}

/** Reads a Stripe list envelope; the caller transforms the items. */
export function readStripeList(v: unknown): { data: unknown[]; hasMore: boolean } {
  const o = obj(v, 'list');
  if (o.object !== 'list') str(undefined, 'list.object');
  return { data: arr(o.data, 'list.data'), hasMore: bool(o.has_more, 'list.has_more') };
}

/** A Stripe-shaped list body as a page of unified disputes; each position is the dispute's id. */
/** Where a listed Stripe-shaped dispute sits, when the rest of it cannot be read. */
export const locateStripeShaped = (raw: unknown) => {
  const o = obj(raw, 'dispute');
  return { id: str(o.id, 'dispute.id'), created: new Date(int(o.created, 'dispute.created') * 1000) };
};

export function stripeListPage(json: unknown, toDispute: (raw: unknown) => Dispute, placeholder: { provider: ProviderName; account: string }): ListPage {
  const list = readStripeList(json);
  return {
    items: readListed(list.data, (raw) => toDispute(raw), locateStripeShaped, placeholder).map((dispute) => ({ dispute, position: dispute.providerDisputeId })),
    hasMore: list.hasMore,
  };
}

const seconds = (d: Date) => d.getTime() / 1000;

/**
 * Unified list filter -> Stripe list parameters (`created[gte]` etc.). Stripe filters on whole
 * seconds (and `created` is whole seconds), so a bound with a fraction is rounded to the whole
 * second that selects the same disputes: `gte`/`lt` up, `gt`/`lte` down (lt 42.5 s is lt 43,
 * gte 42.5 s is gte 43). WooshPay's filter is the same.
 */
export function stripeListParams(filter: ListFilter): Record<string, FormValue> {
  const c = filter.created;
  return {
    charge: filter.charge,
    payment_intent: filter.paymentIntent,
    created: c && {
      gt: c.gt && Math.floor(seconds(c.gt)),
      gte: c.gte && Math.ceil(seconds(c.gte)),
      lt: c.lt && Math.ceil(seconds(c.lt)),
      lte: c.lte && Math.floor(seconds(c.lte)),
    },
  };
}

const FILE_TYPES: Record<string, string> = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };

/** A file's short type as Stripe (and Flex) name it (`pdf`, `png`, `jpg`) as a media type. */
export const fileContentType = (type: string | null): string | null => (type === null ? null : (FILE_TYPES[type] ?? type));

/** Stripe's File object (an upload's answer): id, filename, size, type (`pdf`, `png`, `jpg`), expires_at. */
export function readStripeFile(json: unknown): FileRef {
  const o = obj(json, 'file');
  const type = strOrNull(o.type, 'file.type');
  const expires = intOrNull(o.expires_at, 'file.expires_at');
  return {
    id: str(o.id, 'file.id'),
    filename: strOrNull(o.filename, 'file.filename'),
    size: intOrNull(o.size, 'file.size'),
    contentType: fileContentType(type),
    expiresAt: expires === null ? null : new Date(expires * 1000),
  };
}
