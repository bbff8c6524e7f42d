// The unified dispute model. Literals equal the SDL enum values, so the only mapping
// layer in the gateway is provider wire shape -> domain (see src/providers/*/transformers.ts).

export { PROVIDERS, type ProviderName } from './provider-names.js';
import type { ProviderName } from './provider-names.js';

export const DISPUTE_STATUSES = [
  'WARNING_NEEDS_RESPONSE',
  'WARNING_UNDER_REVIEW',
  'WARNING_CLOSED',
  'NEEDS_RESPONSE',
  'UNDER_REVIEW',
  'WON',
  'LOST',
  'PREVENTED',
  'CHARGE_REFUNDED',
  'EARLY_DISPUTE_WARNING',
  'EARLY_DISPUTE_RESOLVED',
  'MERCHANT_REFUNDED',
  'MERCHANT_VOIDED',
  'APPEAL_NEEDS_RESPONSE',
  'APPEAL_UNDER_REVIEW',
  'UNKNOWN',
] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

export const DISPUTE_REASONS = [
  'BANK_CANNOT_PROCESS',
  'CHECK_RETURNED',
  'CREDIT_NOT_PROCESSED',
  'CUSTOMER_INITIATED',
  'DEBIT_NOT_AUTHORIZED',
  'DUPLICATE',
  'FRAUDULENT',
  'GENERAL',
  'INCORRECT_ACCOUNT_DETAILS',
  'INSUFFICIENT_FUNDS',
  'NONCOMPLIANT',
  'PRODUCT_NOT_RECEIVED',
  'PRODUCT_UNACCEPTABLE',
  'SUBSCRIPTION_CANCELED',
  'UNRECOGNIZED',
  'ORDER_CANCELED',
  'INCORRECT_AMOUNT',
  'PAID_BY_OTHER_MEANS',
  'FRAUDULENT_MERCHANT',
  'UNKNOWN',
] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

/** Where card processors (Stripe and the Stripe-shaped providers) let a merchant close a dispute. */
export const CARD_CLOSABLE: readonly DisputeStatus[] = ['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE'];

/**
 * Statuses that are final. Deliberately conservative: only explicit upstream end states are final;
 * UNKNOWN is not, so an unmapped value never short-circuits a close the provider might accept.
 */
const FINAL: ReadonlySet<DisputeStatus> = new Set([
  'WON',
  'LOST',
  'WARNING_CLOSED',
  'PREVENTED',
  'CHARGE_REFUNDED',
  'EARLY_DISPUTE_RESOLVED',
  'MERCHANT_REFUNDED',
  'MERCHANT_VOIDED',
]);

export const isFinal = (s: DisputeStatus): boolean => FINAL.has(s);

/**
 * The states a close (accept) ends in, by card-network convention: a chargeback is lost; an
 * inquiry (warning_needs_response) closed by the merchant is warning_closed at Stripe, and may be
 * reported lost elsewhere, so both count as the close having taken effect.
 */
export const CLOSED_BY_CLOSE: readonly DisputeStatus[] = ['LOST', 'WARNING_CLOSED'];

export interface FileRef {
  id: string;
  filename: string | null;
  /** Flex mirrors its files to Stripe and says under which id. */
  stripeFileId?: string | null;
  /** Where the provider says (an uploaded file's answer). */
  size?: number | null;
  contentType?: string | null;
  expiresAt?: Date | null;
}

export interface DisputeEvidence {
  accessActivityLog: string | null;
  billingAddress: string | null;
  cancellationPolicy: FileRef | null;
  cancellationPolicyDisclosure: string | null;
  cancellationRebuttal: string | null;
  customerCommunication: FileRef | null;
  customerEmailAddress: string | null;
  customerName: string | null;
  customerPurchaseIp: string | null;
  customerSignature: FileRef | null;
  duplicateChargeDocumentation: FileRef | null;
  duplicateChargeExplanation: string | null;
  duplicateChargeId: string | null;
  productDescription: string | null;
  receipt: FileRef | null;
  refundPolicy: FileRef | null;
  refundPolicyDisclosure: string | null;
  refundRefusalExplanation: string | null;
  serviceDate: string | null;
  serviceDocumentation: FileRef | null;
  shippingAddress: string | null;
  shippingCarrier: string | null;
  shippingDate: string | null;
  shippingDocumentation: FileRef | null;
  shippingTrackingNumber: string | null;
  uncategorizedFile: FileRef | null;
  uncategorizedText: string | null;
  /** Stripe's enhanced evidence as staged; absent or null where the provider has none. */
  enhancedEvidence?: EnhancedEvidence | null;
}

export interface DisputeEvidenceDetails {
  dueBy: Date | null;
  hasEvidence: boolean;
  pastDue: boolean;
  submissionCount: number;
  /** What the provider reports of the enhanced evidence programs the dispute is eligible for (Stripe's `enhanced_eligibility`). */
  enhancedEligibility?: EnhancedEligibility | null;
  /** How the evidence was (or is to be) submitted, where the provider says (Stripe `submission_method`, `intended_submission_method`). */
  submissionMethod?: string | null;
  intendedSubmissionMethod?: string | null;
}

/** Stripe's `evidence_details.enhanced_eligibility`, its values kept as Stripe sends them (lowercase). */
export interface EnhancedEligibility {
  visaCompellingEvidence3: { status: string; requiredActions: string[] } | null;
  visaCompliance: { status: string } | null;
  mastercardCompliance: { status: string } | null;
}

/** Stripe's address object, as enhanced evidence carries it. */
export interface EvidenceAddress {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postalCode: string | null;
  state: string | null;
}

/** One transaction of Visa Compelling Evidence 3.0: its customer identifiers and description. */
export interface Ce3Transaction {
  customerAccountId: string | null;
  customerDeviceFingerprint: string | null;
  customerDeviceId: string | null;
  customerEmailAddress: string | null;
  customerPurchaseIp: string | null;
  productDescription: string | null;
  shippingAddress: EvidenceAddress | null;
}

/** Stripe's `evidence.enhanced_evidence`, in the gateway's camelCase (what is staged, read back; or what an update sets). */
export interface EnhancedEvidence {
  visaCompellingEvidence3: {
    disputedTransaction: (Ce3Transaction & { merchandiseOrServices: 'MERCHANDISE' | 'SERVICES' | null }) | null;
    /** Exactly two when given. */
    priorUndisputedTransactions: (Ce3Transaction & { charge: string })[];
  } | null;
  visaCompliance: { feeAcknowledged: boolean } | null;
  mastercardCompliance: { feeAcknowledged: boolean } | null;
}

/** The enhanced evidence programs, as Stripe names them in `enhanced_eligibility_types`. */
export const ENHANCED_PROGRAMS = ['visa_compelling_evidence_3', 'visa_compliance', 'mastercard_compliance'] as const;
export type EnhancedProgram = (typeof ENHANCED_PROGRAMS)[number];

export interface BalanceTransaction {
  id: string;
  amount: number;
  currency: string;
  fee: number;
  net: number;
  status: string;
  type: string;
  reportingCategory: string | null;
  description: string | null;
  created: Date;
  availableOn: Date | null;
  feeDetails: { amount: number; currency: string; type: string; description: string | null }[];
  /** Flex's own grouping of the transaction. */
  category?: string | null;
}

export interface PaymentMethodDetails {
  type: string;
  card: {
    brand: string;
    network: string | null;
    caseType: string | null;
    networkReasonCode: string | null;
  } | null;
  klarna?: { reasonCode: string | null; chargebackLossReasonCode: string | null } | null;
  paypal?: { caseId: string | null; reasonCode: string | null } | null;
  amazonPay?: { disputeType: string | null } | null;
}

export interface Dispute {
  provider: ProviderName;
  providerAccount: string;
  providerDisputeId: string;
  amount: number;
  currency: string;
  status: DisputeStatus;
  providerStatus: string;
  reason: DisputeReason;
  providerReason: string | null;
  created: Date;
  charge: string | null;
  paymentIntent: string | null;
  isChargeRefundable: boolean | null;
  livemode: boolean;
  metadata: Record<string, unknown>;
  evidence: DisputeEvidence;
  evidenceDetails: DisputeEvidenceDetails;
  balanceTransactions: BalanceTransaction[];
  /** Set when the provider listed some balance transactions by id only (WooshPay). */
  balanceTransactionIds?: string[];
  paymentMethodDetails: PaymentMethodDetails | null;
  networkReasonCode: string | null;
  enhancedEligibilityTypes: string[];
  /** Fields only some providers have (DisputeExtras). */
  extras: DisputeExtras;
  /**
   * 'summary' when the provider's list omits fields its retrieve has (Flex lists carry no balance
   * transactions or payment method details): such a dispute never stands in for a retrieved one.
   */
  detail: 'full' | 'summary' | 'unreadable';
  /** With detail 'unreadable': why the listed dispute could not be read. */
  unreadable?: Error;
}

/**
 * A listed dispute the gateway could not read (its id and creation time could be): it keeps its
 * place in the list, so paging moves past it, but it is never shown; an error names it instead.
 */
export function unreadableDispute(provider: ProviderName, account: string, providerDisputeId: string, created: Date, cause: Error): Dispute {
  const evidence = Object.fromEntries([...EVIDENCE_TEXT_FIELDS, ...EVIDENCE_FILE_FIELDS].map((f) => [f, null])) as unknown as DisputeEvidence;
  return {
    provider,
    providerAccount: account,
    providerDisputeId,
    amount: 0,
    currency: '',
    status: 'UNKNOWN',
    providerStatus: '',
    reason: 'UNKNOWN',
    providerReason: null,
    created,
    charge: null,
    paymentIntent: null,
    isChargeRefundable: null,
    livemode: false,
    metadata: {},
    evidence,
    evidenceDetails: { dueBy: null, hasEvidence: false, pastDue: false, submissionCount: 0 },
    balanceTransactions: [],
    paymentMethodDetails: null,
    networkReasonCode: null,
    enhancedEligibilityTypes: [],
    extras: {},
    detail: 'unreadable',
    unreadable: cause,
  };
}

/**
 * Provider-specific fields: each provider's details type (`Dispute.details`) reads its own from
 * here, by field name. The built-in providers' are named below (and kept as deprecated flat
 * fields of Dispute); a provider added later puts its own here without a change to this file.
 */
/**
 * Fields only some providers have, by name: each provider's folder says which it fills and how
 * they read (ProviderDefinition.extraFields); the domain knows none of them.
 */
export type DisputeExtras = Readonly<Record<string, unknown>>;

/** The 27 evidence fields, in the order Stripe documents them, split by kind. */
export const EVIDENCE_FILE_FIELDS = [
  'cancellationPolicy',
  'customerCommunication',
  'customerSignature',
  'duplicateChargeDocumentation',
  'receipt',
  'refundPolicy',
  'serviceDocumentation',
  'shippingDocumentation',
  'uncategorizedFile',
] as const satisfies readonly (keyof DisputeEvidence)[];

/**
 * Characters as providers count them: Unicode code points, not UTF-16 units (an emoji is one
 * character, not two). Evidence limits are stated and checked in these.
 */
export function characterCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export const EVIDENCE_TEXT_FIELDS = [
  'accessActivityLog',
  'billingAddress',
  'cancellationPolicyDisclosure',
  'cancellationRebuttal',
  'customerEmailAddress',
  'customerName',
  'customerPurchaseIp',
  'duplicateChargeExplanation',
  'duplicateChargeId',
  'productDescription',
  'refundPolicyDisclosure',
  'refundRefusalExplanation',
  'serviceDate',
  'shippingAddress',
  'shippingCarrier',
  'shippingDate',
  'shippingTrackingNumber',
  'uncategorizedText',
] as const satisfies readonly (keyof DisputeEvidence)[];

export type EvidenceField = (typeof EVIDENCE_TEXT_FIELDS)[number] | (typeof EVIDENCE_FILE_FIELDS)[number];
export const EVIDENCE_FIELDS: readonly EvidenceField[] = [...EVIDENCE_TEXT_FIELDS, ...EVIDENCE_FILE_FIELDS];
export const isFileField = (f: EvidenceField): boolean => (EVIDENCE_FILE_FIELDS as readonly string[]).includes(f);

/** Evidence with every field empty: what a provider that returns none on the dispute reports. */
export function emptyEvidence(): DisputeEvidence {
  return Object.fromEntries(EVIDENCE_FIELDS.map((f) => [f, null])) as unknown as DisputeEvidence;
}

/** An evidence change: each field given is set (a file field to a file id); null clears it. */
export type EvidenceUpdate = Partial<Record<EvidenceField, string | null>>;

/**
 * Enhanced evidence to set: each program given replaces what is staged for it (Stripe takes the
 * program's object whole); a field left out of a transaction is not sent.
 */
export type EnhancedEvidenceUpdate = {
  visaCompellingEvidence3?: {
    disputedTransaction?: Partial<Ce3Transaction & { merchandiseOrServices: 'MERCHANDISE' | 'SERVICES' }> | null;
    priorUndisputedTransactions?: (Partial<Ce3Transaction> & { charge: string })[] | null;
  } | null;
  visaCompliance?: { feeAcknowledged: boolean } | null;
  mastercardCompliance?: { feeAcknowledged: boolean } | null;
};

/** Which program each enhanced evidence key is. */
export const PROGRAM_OF: Record<keyof EnhancedEvidenceUpdate, EnhancedProgram> = {
  visaCompellingEvidence3: 'visa_compelling_evidence_3',
  visaCompliance: 'visa_compliance',
  mastercardCompliance: 'mastercard_compliance',
};

/** Everything one evidence update carries: fields, enhanced evidence, metadata (a null value removes its key). */
export interface EvidenceChange {
  evidence: EvidenceUpdate;
  enhancedEvidence?: EnhancedEvidenceUpdate;
  metadata?: Record<string, string | null>;
}

/** The statuses in which a merchant may still respond with evidence. */
export const RESPONDABLE: readonly DisputeStatus[] = ['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE'];
