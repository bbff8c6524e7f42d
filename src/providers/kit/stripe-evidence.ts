// Stripe's evidence, both ways and pure: the evidence hash, its enhanced evidence and the
// evidence details read into the unified model, an update (fields, enhanced evidence, metadata)
// written as Stripe's form names it, and Stripe's evidence rules. WooShPay and Flex reuse parts.
import type {
  Ce3Transaction,
  DisputeEvidence,
  DisputeEvidenceDetails,
  EnhancedEligibility,
  EnhancedEvidence,
  EnhancedEvidenceUpdate,
  EvidenceAddress,
  EvidenceChange,
  EvidenceField,
  FileRef,
} from '../../domain/dispute.js';
import { ENHANCED_PROGRAMS, EVIDENCE_FIELDS } from '../../domain/dispute.js';
import type { FormValue } from '../form.js';
import type { EvidenceRules } from '../types.js';
import { arr, bool, int, intOrNull, obj, readEvidenceFields, str, strOrNull, type Obj } from '../wire.js';
import { lookup } from './tables.js';
import {
  STRIPE_ADDRESS_KEYS,
  STRIPE_CE3_STRING_KEYS,
  STRIPE_EVIDENCE_FILE_KEYS,
  STRIPE_EVIDENCE_MAX_LENGTH,
  STRIPE_EVIDENCE_TEXT_KEYS,
} from './stripe-wire.js';

/** Stripe's snake_case name of a field (`customerEmailAddress` → `customer_email_address`). */
export const stripeEvidenceKey = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

// ---- Reading ------------------------------------------------------------------------------

function fileRef(v: unknown, path: string): FileRef | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return { id: v, filename: null };
  const o = obj(v, path);
  return { id: str(o.id, `${path}.id`), filename: strOrNull(o.filename, `${path}.filename`) };
}

/** The evidence hash: its 27 fields, and `enhanced_evidence` (null where the dispute carries none). */
export function readStripeEvidence(v: unknown, path: string): DisputeEvidence {
  const o = v === null || v === undefined ? {} : obj(v, path);
  const evidence = readEvidenceFields(o, path, STRIPE_EVIDENCE_TEXT_KEYS, STRIPE_EVIDENCE_FILE_KEYS, fileRef) as unknown as DisputeEvidence;
  evidence.enhancedEvidence = readEnhancedEvidence(o.enhanced_evidence, `${path}.enhanced_evidence`);
  return evidence;
}

/** Only the programs present are read; Stripe sends `{}` for a dispute eligible for none. */
const program = <T>(o: Obj, key: string, path: string, read: (v: Obj, path: string) => T): T | null =>
  o[key] === undefined || o[key] === null ? null : read(obj(o[key], `${path}.${key}`), `${path}.${key}`);

const MERCHANDISE_OR_SERVICES: Record<'merchandise' | 'services', 'MERCHANDISE' | 'SERVICES'> = { merchandise: 'MERCHANDISE', services: 'SERVICES' };

function readAddress(v: unknown, path: string): EvidenceAddress | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, path);
  return Object.fromEntries(STRIPE_ADDRESS_KEYS.map((k) => [camel(k), strOrNull(o[k], `${path}.${k}`)])) as unknown as EvidenceAddress;
}

function readCe3Transaction(o: Obj, path: string): Ce3Transaction {
  const t = Object.fromEntries(STRIPE_CE3_STRING_KEYS.map((k) => [camel(k), strOrNull(o[k], `${path}.${k}`)])) as Record<string, unknown>;
  t.shippingAddress = readAddress(o.shipping_address, `${path}.shipping_address`);
  return t as unknown as Ce3Transaction;
}

/**
 * `evidence.enhanced_evidence` in the gateway's camelCase: each program Stripe shows, the CE 3.0
 * transactions with their address keys in camelCase and `merchandise_or_services` upper-cased
 * (a value Stripe adds later reads as null: the enum is Stripe's two, nothing is guessed).
 */
export function readEnhancedEvidence(v: unknown, path: string): EnhancedEvidence | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, path);
  return {
    visaCompellingEvidence3: program(o, 'visa_compelling_evidence_3', path, (ce3, at) => {
      const disputed = ce3.disputed_transaction;
      const priors = ce3.prior_undisputed_transactions;
      return {
        disputedTransaction:
          disputed === undefined || disputed === null
            ? null
            : (() => {
                const d = obj(disputed, `${at}.disputed_transaction`);
                const kind = strOrNull(d.merchandise_or_services, `${at}.disputed_transaction.merchandise_or_services`);
                return {
                  ...readCe3Transaction(d, `${at}.disputed_transaction`),
                  merchandiseOrServices: lookup<'merchandise' | 'services', 'MERCHANDISE' | 'SERVICES' | null>(MERCHANDISE_OR_SERVICES, kind, null),
                };
              })(),
        priorUndisputedTransactions: (priors === undefined || priors === null ? [] : arr(priors, `${at}.prior_undisputed_transactions`)).map((p, i) => {
          const where = `${at}.prior_undisputed_transactions[${i}]`;
          const t = obj(p, where);
          return { ...readCe3Transaction(t, where), charge: str(t.charge, `${where}.charge`) };
        }),
      };
    }),
    visaCompliance: program(o, 'visa_compliance', path, (c, at) => ({ feeAcknowledged: bool(c.fee_acknowledged, `${at}.fee_acknowledged`) })),
    mastercardCompliance: program(o, 'mastercard_compliance', path, (c, at) => ({ feeAcknowledged: bool(c.fee_acknowledged, `${at}.fee_acknowledged`) })),
  };
}

/** `evidence_details.enhanced_eligibility`: statuses and required actions kept as Stripe sends them. */
export function readEnhancedEligibility(v: unknown, path: string): EnhancedEligibility | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, path);
  const status = (p: Obj, at: string) => ({ status: str(p.status, `${at}.status`) });
  return {
    visaCompellingEvidence3: program(o, 'visa_compelling_evidence_3', path, (p, at) => ({
      ...status(p, at),
      requiredActions: (p.required_actions === undefined ? [] : arr(p.required_actions, `${at}.required_actions`)).map((a, i) =>
        str(a, `${at}.required_actions[${i}]`),
      ),
    })),
    visaCompliance: program(o, 'visa_compliance', path, status),
    mastercardCompliance: program(o, 'mastercard_compliance', path, status),
  };
}

/**
 * `evidence_details`. `submission_method` came as a public preview in 2025-06-30.preview ("manual",
 * "smart_disputes") and is always present from 2026-10-28.endive (adding "not_submitted"); newer
 * than the pinned 2026-07-29.dahlia, so absent reads as null.
 */
export function readStripeEvidenceDetails(v: unknown, path: string): DisputeEvidenceDetails {
  const o = obj(v, path);
  const due = intOrNull(o.due_by, `${path}.due_by`);
  return {
    // Stripe documents 0 as "no response allowed"; the unified model says that with null.
    dueBy: due ? new Date(due * 1000) : null,
    hasEvidence: bool(o.has_evidence, `${path}.has_evidence`),
    pastDue: bool(o.past_due, `${path}.past_due`),
    submissionCount: int(o.submission_count, `${path}.submission_count`),
    enhancedEligibility: readEnhancedEligibility(o.enhanced_eligibility, `${path}.enhanced_eligibility`),
    submissionMethod: strOrNull(o.submission_method, `${path}.submission_method`),
    intendedSubmissionMethod: null,
  };
}

/**
 * The dispute's own `intended_submission_method` (a top-level field, settable on update, not in
 * evidence_details): 2025-09-30.preview in Stripe's changelog (stripe-node 19.1.0-beta.1), newer
 * than the pinned version, so absent reads as null. The unified model keeps it beside the other
 * submission facts, in evidenceDetails.
 */
export const readIntendedSubmissionMethod = (dispute: Obj, path: string): string | null =>
  strOrNull(dispute.intended_submission_method, `${path}.intended_submission_method`);

// ---- Writing ------------------------------------------------------------------------------

/**
 * A null is sent as `""`, Stripe's way of unsetting a parameter. Stripe takes it only where a
 * parameter is `Emptyable` (metadata keys, the CE 3.0 identifier and description strings,
 * `enhanced_evidence` whole): elsewhere it refuses it, which is why STRIPE_EVIDENCE_RULES.clearing
 * is false and the gateway checks before anything is sent.
 */
const orUnset = <T>(v: T | null | undefined, write: (v: T) => FormValue): FormValue => (v === undefined ? undefined : v === null ? '' : write(v));

function addressBody(a: EvidenceAddress): FormValue {
  // A line left null is not sent: an address is given whole, and Stripe's Address params are not Emptyable.
  return Object.fromEntries(STRIPE_ADDRESS_KEYS.map((k) => [k, a[camel(k) as keyof EvidenceAddress] ?? undefined]));
}

function transactionBody(t: Partial<Ce3Transaction>): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const k of STRIPE_CE3_STRING_KEYS) out[k] = orUnset(t[camel(k) as keyof Ce3Transaction] as string | null | undefined, (s) => s);
  out.shipping_address = orUnset(t.shippingAddress, addressBody);
  return out;
}

function ce3Body(c: NonNullable<EnhancedEvidenceUpdate['visaCompellingEvidence3']>): FormValue {
  const dt = c.disputedTransaction;
  return {
    disputed_transaction: orUnset(dt, (d) => ({
      ...transactionBody(d),
      merchandise_or_services: orUnset(d.merchandiseOrServices, (m) => m.toLowerCase()),
    })),
    // An empty list is sent as "" too (a form cannot carry an empty array): Stripe asks for two.
    prior_undisputed_transactions: orUnset(c.priorUndisputedTransactions, (list) =>
      list.length === 0 ? '' : list.map((p) => ({ charge: p.charge, ...transactionBody(p) })),
    ),
  };
}

/** `evidence[enhanced_evidence][…]`: each program given, in Stripe's names and lowercase values. */
export function stripeEnhancedEvidenceBody(e: EnhancedEvidenceUpdate): Record<string, FormValue> {
  return {
    visa_compelling_evidence_3: orUnset(e.visaCompellingEvidence3, ce3Body),
    visa_compliance: orUnset(e.visaCompliance, (c) => ({ fee_acknowledged: c.feeAcknowledged })),
    mastercard_compliance: orUnset(e.mastercardCompliance, (c) => ({ fee_acknowledged: c.feeAcknowledged })),
  };
}

/**
 * The body of Stripe's dispute update (`POST /v1/disputes/{id}`), also WooshPay's: each field as
 * `evidence[<snake_case>]`, enhanced evidence under `evidence[enhanced_evidence]`, metadata as
 * `metadata[<key>]` (null as `metadata[<key>]=`, which removes the key), and `submit` always
 * explicit (Stripe's default is true).
 */
export function stripeEvidenceBody(
  change: EvidenceChange,
  submit: boolean,
): { evidence: Record<string, FormValue>; metadata?: Record<string, FormValue>; submit: string } {
  const evidence: Record<string, FormValue> = {};
  for (const [field, value] of Object.entries(change.evidence)) evidence[stripeEvidenceKey(field)] = value ?? '';
  if (change.enhancedEvidence && Object.keys(change.enhancedEvidence).length > 0)
    evidence.enhanced_evidence = stripeEnhancedEvidenceBody(change.enhancedEvidence);
  const metadata = change.metadata && Object.keys(change.metadata).length > 0 ? { ...change.metadata } : undefined;
  return { evidence, ...(metadata && { metadata }), submit: submit ? 'true' : 'false' };
}

// ---- Rules --------------------------------------------------------------------------------

/** The per-field limits of Stripe's update request, by the unified field name (the wire table, renamed). */
export const STRIPE_FIELD_MAX_CHARACTERS: Partial<Record<EvidenceField, number>> = Object.fromEntries(
  Object.entries(STRIPE_EVIDENCE_MAX_LENGTH).map(([k, n]) => [camel(k), n]),
);

/** Stripe's metadata limits (docs.stripe.com/api/metadata): 50 keys, keys up to 40 characters, values up to 500. */
export const STRIPE_METADATA_LIMITS = { maxKeys: 50, maxKeyLength: 40, maxValueLength: 500 } as const;

/**
 * Stripe's evidence rules. Sources: the update's request schema (OpenAPI 2023-08-16: per-field
 * maxLength; 150,000 characters over the hash), Stripe's file-upload and dispute pages (PDF, JPEG
 * or PNG up to 5 MB a file; 4.5 MB and fewer than 50 pages over a dispute's files, 19 pages for
 * Mastercard), stripe-node v22.5.0 (the three enhanced programs), the metadata reference.
 */
export const STRIPE_EVIDENCE_RULES: EvidenceRules = {
  fields: EVIDENCE_FIELDS,
  staging: true,
  resubmission: false,
  // Unconfirmed, so off: the update's evidence fields are plain strings in Stripe's request schema
  // (OpenAPI 2023-08-16; stripe-node types them `string`, not `Emptyable<string>` as it does the CE
  // 3.0 identifiers and metadata), so `""` is not documented to clear one; Stripe's convention is to
  // refuse it where a parameter cannot be unset. The gateway refuses a clearing before sending.
  clearing: false,
  // "5 MB" and "4.5 MB" read as binary megabytes (5 × 1024 × 1024 and 4.5 × 1024 × 1024 = 4,718,592
  // bytes); Stripe does not say which (the decimal reading would be 5,000,000 and 4,500,000).
  maxFileBytes: 5 * 1024 * 1024,
  fileContentTypes: ['application/pdf', 'image/png', 'image/jpeg'],
  maxTextCharacters: 150_000,
  fieldMaxCharacters: STRIPE_FIELD_MAX_CHARACTERS,
  enhancedPrograms: ENHANCED_PROGRAMS,
  metadata: STRIPE_METADATA_LIMITS,
  // "Fewer than 50 pages" in total: 49 at most.
  fileTotals: { maxBytes: 4.5 * 1024 * 1024, maxPages: 49, maxPagesMastercard: 19 },
};
