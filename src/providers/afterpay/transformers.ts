// Pure transformations from Afterpay's wire shapes to the unified model.
import type { Dispute, DisputeReason, DisputeStatus, EvidenceField, EvidenceUpdate, FileRef, DisputeExtras } from '../../domain/dispute.js';
import { emptyEvidence, EVIDENCE_FILE_FIELDS } from '../../domain/dispute.js';
import { InvalidAmount, toMinorUnits } from '../../domain/money.js';
import type { CreatedRange, EvidenceRules } from '../types.js';
import { lookup } from '../kit/tables.js';
import { arr, bool, epochSecondsString, epochSecondsStringOrNull, instantOrNull, int, MalformedUpstream, obj, str, strOrNull, type Obj } from '../wire.js';
import type { AfterpayDisputeReason, AfterpayDisputeStatus } from './wire.js';

export const AFTERPAY_STATUS_MAP: Record<AfterpayDisputeStatus, DisputeStatus> = {
  needs_response: 'NEEDS_RESPONSE',
  under_review: 'UNDER_REVIEW',
  won: 'WON',
  lost: 'LOST',
  merchant_refunded: 'MERCHANT_REFUNDED',
  merchant_voided: 'MERCHANT_VOIDED',
};

const REASON: Record<AfterpayDisputeReason, DisputeReason> = {
  product_not_received: 'PRODUCT_NOT_RECEIVED',
  product_unacceptable: 'PRODUCT_UNACCEPTABLE',
  credit_not_processed: 'CREDIT_NOT_PROCESSED',
  order_canceled: 'ORDER_CANCELED',
  duplicate: 'DUPLICATE',
  incorrect_amount: 'INCORRECT_AMOUNT',
  paid_by_other_means: 'PAID_BY_OTHER_MEANS',
  fraudulent: 'FRAUDULENT',
  fraudulent_merchant: 'FRAUDULENT_MERCHANT',
};

export const mapAfterpayStatus = (raw: string): DisputeStatus => lookup(AFTERPAY_STATUS_MAP, raw, 'UNKNOWN');
export const mapAfterpayReason = (raw: string | null): DisputeReason => lookup(REASON, raw, 'UNKNOWN');

const EVIDENCE_CLOSINGS = new Set(['evidence_accepted', 'evidence_rejected']);

function minor(v: unknown, currency: string, path: string): number {
  const s = str(v, path);
  try {
    return toMinorUnits(s, currency);
  } catch (err) {
    if (err instanceof InvalidAmount) throw new MalformedUpstream(path, `a decimal amount in ${currency.toUpperCase()}`);
    throw err;
  }
}

/** Afterpay's order meta, as its dispute carries it. */
export interface AfterpayOrderMeta {
  transactionAmount: { amount: number; currency: string } | null;
  orderType: string | null;
  network: string | null;
  networkReferenceId: string | null;
}

/** Afterpay's own fields of a dispute (Dispute.extras). */
export interface AfterpayExtras {
  order: string;
  merchantOrderId: string | null;
  openingNote: string | null;
  openingNoteAttachments: string[] | null;
  closingReason: string | null;
  closingNote: string | null;
  transactionDate: Date | null;
  open: boolean;
  settlementAmount: number | null;
  updatedAt: Date | null;
  orderMeta: AfterpayOrderMeta | null;
}

/** Afterpay's extras of a dispute it read (the dispute's provider must be Afterpay). */
export const afterpayExtras = (d: Dispute): Partial<AfterpayExtras> => d.extras as Partial<AfterpayExtras>;

/** Afterpay's meta in the shape of DisputeOrderMeta. */
export function orderMetaOf(d: Dispute) {
  const m = afterpayExtras(d).orderMeta;
  return m
    ? {
        transactionAmount: m.transactionAmount?.amount ?? null,
        transactionCurrency: m.transactionAmount?.currency ?? null,
        orderType: m.orderType,
        network: m.network,
        networkReferenceId: m.networkReferenceId,
      }
    : null;
}

function readMeta(v: unknown, fallbackCurrency: string, path: string): AfterpayOrderMeta | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, path);
  let transactionAmount: { amount: number; currency: string } | null = null;
  if (typeof o.transactionAmount === 'string') {
    transactionAmount = { amount: minor(o.transactionAmount, fallbackCurrency, `${path}.transactionAmount`), currency: fallbackCurrency };
  } else if (o.transactionAmount !== undefined && o.transactionAmount !== null) {
    const m = obj(o.transactionAmount, `${path}.transactionAmount`);
    const currency = str(m.currency, `${path}.transactionAmount.currency`).toLowerCase();
    transactionAmount = { amount: minor(m.amount, currency, `${path}.transactionAmount.amount`), currency };
  }
  return {
    transactionAmount,
    orderType: strOrNull(o.orderType, `${path}.orderType`),
    network: strOrNull(o.network, `${path}.network`),
    networkReferenceId: strOrNull(o.networkReferenceId, `${path}.networkReferenceId`),
  };
}

/** The currency the dispute is in: its own `currency` (Clearpay), else its order's, else the account's. */
function currencyOf(o: Obj, accountCurrency: string, path: string): string {
  const own = strOrNull(o.currency, `${path}.currency`);
  if (own) return own.toLowerCase();
  const meta = o.meta;
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
    const ta = (meta as Obj).transactionAmount;
    if (ta && typeof ta === 'object') return str((ta as Obj).currency, `${path}.meta.transactionAmount.currency`).toLowerCase();
  }
  return accountCurrency.toLowerCase();
}

/** Afterpay's own fields, kept on the dispute for its resolvers (AfterpayExtras). */
function readExtras(o: Obj, currency: string, closingReason: string | null, path: string): AfterpayExtras & DisputeExtras {
  const attachments = o.openingNoteAttachments;
  return {
    order: str(o.order, `${path}.order`),
    merchantOrderId: strOrNull(o.merchantOrderId, `${path}.merchantOrderId`),
    openingNote: strOrNull(o.openingNote, `${path}.openingNote`),
    openingNoteAttachments:
      attachments === undefined || attachments === null
        ? null
        : arr(attachments, `${path}.openingNoteAttachments`).map((a, i) => str(a, `${path}.openingNoteAttachments[${i}]`)),
    closingReason,
    closingNote: strOrNull(o.closingNote, `${path}.closingNote`),
    transactionDate: epochSecondsStringOrNull(o.transactionDate, `${path}.transactionDate`),
    open: bool(o.open, `${path}.open`),
    settlementAmount: o.settlementAmount === undefined || o.settlementAmount === null ? null : minor(o.settlementAmount, currency, `${path}.settlementAmount`),
    updatedAt: epochSecondsStringOrNull(o.updatedAt, `${path}.updatedAt`),
    orderMeta: readMeta(o.meta, currency, `${path}.meta`),
  };
}

/**
 * `ctx.now` (epoch ms, default the clock): Afterpay has no past-due flag, so `pastDue` is derived:
 * still awaiting a response (needs_response) after `responseDueBy`.
 */
export function afterpayToDispute(v: unknown, account: string, ctx: { currency: string; livemode: boolean; now?: number }, path = 'dispute'): Dispute {
  const o = obj(v, path);
  const status = str(o.status, `${path}.status`);
  const dueBy = epochSecondsStringOrNull(o.responseDueBy, `${path}.responseDueBy`);
  const reason = strOrNull(o.reason, `${path}.reason`);
  const currency = currencyOf(o, ctx.currency, path);
  const closingReason = strOrNull(o.closingReason, `${path}.closingReason`);
  // Afterpay returns no evidence on the dispute; it is inferred submitted when the dispute went
  // to review or was decided on evidence (the guide's state machine).
  const submitted = status === 'under_review' || (closingReason !== null && EVIDENCE_CLOSINGS.has(closingReason));
  return {
    provider: 'AFTERPAY',
    providerAccount: account,
    providerDisputeId: str(o.id, `${path}.id`),
    amount: minor(o.amount, currency, `${path}.amount`),
    currency,
    status: mapAfterpayStatus(status),
    providerStatus: status,
    reason: mapAfterpayReason(reason),
    providerReason: reason,
    created: epochSecondsString(o.createdAt, `${path}.createdAt`),
    charge: null,
    paymentIntent: null,
    isChargeRefundable: null,
    livemode: ctx.livemode,
    metadata: {},
    evidence: emptyEvidence(),
    evidenceDetails: {
      dueBy,
      hasEvidence: submitted,
      pastDue: status === 'needs_response' && dueBy !== null && dueBy.getTime() < (ctx.now ?? Date.now()),
      submissionCount: submitted ? 1 : 0,
    },
    balanceTransactions: [],
    paymentMethodDetails: null,
    networkReasonCode: null,
    enhancedEligibilityTypes: [],
    extras: readExtras(o, currency, closingReason, path),
    detail: 'full',
  };
}

/** The single-dispute answer: the bare object (reference) or `{dispute: ...}` (Clearpay prose). */
export function unwrapAfterpayDispute(v: unknown): unknown {
  const o = obj(v, 'body');
  return 'dispute' in o && !('id' in o) ? obj(o.dispute, 'body.dispute') : o;
}

export function readAfterpayList(v: unknown): { data: unknown[]; offset: number; total: number } {
  const o = obj(v, 'body');
  return { data: arr(o.data, 'body.data'), offset: int(o.offset, 'body.offset'), total: int(o.total, 'body.total') };
}

/**
 * The unified created range as Afterpay's inclusive openedAfter / openedBefore. Its times are whole
 * seconds, so exclusive bounds become inclusive ones a second inside, exactly.
 */
export function afterpayOpenedRange(c: CreatedRange | undefined): { openedAfter?: string; openedBefore?: string } {
  if (!c) return {};
  const lows: number[] = [];
  const highs: number[] = [];
  if (c.gte) lows.push(Math.ceil(c.gte.getTime() / 1000));
  if (c.gt) lows.push(Math.floor(c.gt.getTime() / 1000) + 1);
  if (c.lte) highs.push(Math.floor(c.lte.getTime() / 1000));
  if (c.lt) highs.push(Math.ceil(c.lt.getTime() / 1000) - 1);
  const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  return {
    ...(lows.length && { openedAfter: iso(Math.max(...lows)) }),
    ...(highs.length && { openedBefore: iso(Math.min(...highs)) }),
  };
}

/** The only evidence fields Afterpay takes (its respond endpoint); file fields take its file ids. */
export const AFTERPAY_EVIDENCE_FIELDS = [
  'productDescription',
  'refundPolicy',
  'refundPolicyDisclosure',
  'refundRefusalExplanation',
  'shippingDocumentation',
  'shippingAddress',
  'shippingDate',
  'shippingCarrier',
  'shippingTrackingNumber',
  'uncategorizedFile',
  'uncategorizedText',
] as const satisfies readonly EvidenceField[];

/**
 * Afterpay's rules (Respond to Dispute, AP-RESP; its derived spec, AP-OAS): one submission, no
 * staging, nothing to clear (nothing is staged). Per-field limits: 5,000 characters on
 * productDescription, shippingAddress, shippingDate and shippingCarrier, as its reference states;
 * the other text fields' limits and a total are unconfirmed (none enforced). Files: under 10 MB,
 * GIF, PDF, JPEG or PNG (its documented 413 and 415 answers); "10 MB" read as 10 × 1024 × 1024
 * bytes, which Afterpay does not say (the decimal reading would be 10,000,000), and "under" as at
 * most one byte less.
 */
export const AFTERPAY_EVIDENCE_RULES: EvidenceRules = {
  fields: AFTERPAY_EVIDENCE_FIELDS,
  staging: false,
  resubmission: false,
  clearing: false,
  maxFileBytes: 10 * 1024 * 1024 - 1,
  fileContentTypes: ['image/gif', 'application/pdf', 'image/jpeg', 'image/png'],
  maxTextCharacters: null,
  fieldMaxCharacters: { productDescription: 5_000, shippingAddress: 5_000, shippingDate: 5_000, shippingCarrier: 5_000 },
};

/** A dispute as Afterpay answered it, with the evidence the gateway sent (Afterpay returns none). */
export function withEvidenceSent(d: Dispute, sent: EvidenceUpdate): Dispute {
  const evidence = { ...d.evidence } as Record<string, unknown>;
  for (const [f, v] of Object.entries(sent)) {
    if (v === null || v === undefined) continue;
    evidence[f] = (EVIDENCE_FILE_FIELDS as readonly string[]).includes(f) ? { id: v, filename: null } : v;
  }
  return { ...d, evidence: evidence as unknown as Dispute['evidence'], evidenceDetails: { ...d.evidenceDetails, hasEvidence: true } };
}

/** Afterpay's upload answer `{id:"fi_…", createdAt, expiresAt}`; it names no size or type, so those are the file's own. */
export function readAfterpayFile(json: unknown, sent: { filename: string; size: number; contentType: string }): FileRef {
  const o = obj(json, 'file');
  return {
    id: str(o.id, 'file.id'),
    filename: sent.filename,
    size: sent.size,
    contentType: sent.contentType,
    expiresAt: instantOrNull(o.expiresAt, 'file.expiresAt'),
  };
}
