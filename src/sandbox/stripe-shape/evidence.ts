// What Stripe's dispute update checks and keeps of `evidence` and `metadata`, as strictly as its
// spec says, so the gateway's own checks are proven against a strict peer. Everything is checked
// before anything changes (a refused update changes nothing). Sources: the update's request schema
// (OpenAPI 2023-08-16: maxLength per field, which parameters are Emptyable), stripe-node v22.5.0
// (enhanced evidence: CE 3.0's rules, the compliance acknowledgements), Stripe's metadata limits.
// Where Stripe documents no error code for a refusal the fake sends none: type and param say it.
import { characterCount } from '../../domain/dispute.js';
import type { FakeResponse } from '../fake-server.js';
import {
  STRIPE_ADDRESS_KEYS,
  STRIPE_CE3_STRING_KEYS,
  STRIPE_EVIDENCE_FILE_KEYS,
  STRIPE_EVIDENCE_MAX_LENGTH,
  STRIPE_EVIDENCE_TEXT_KEYS,
  STRIPE_MERCHANDISE_OR_SERVICES,
  type StripeAddress,
  type StripeCe3Transaction,
  type StripeDispute,
  type StripeEnhancedEvidence,
  type StripeErrorBody,
  type StripeVisaCompellingEvidence3,
} from '../../providers/kit/stripe-wire.js';

export const stripeError = (
  status: number,
  type: StripeErrorBody['error']['type'],
  message: string,
  extra: { code?: string; param?: string } = {},
): FakeResponse => ({ status, body: { error: { type, message, ...extra } } });

const invalid = (param: string, message: string, code?: string) => stripeError(400, 'invalid_request_error', message, { param, ...(code && { code }) });
const unknown = (param: string) => invalid(param, `Received unknown parameter: ${param}`, 'parameter_unknown');
const missing = (param: string) => invalid(param, `Missing required param: ${param}.`, 'parameter_missing');
/** Stripe's answer to `""` for a parameter that is not Emptyable: it cannot be unset. */
const notEmptyable = (param: string) =>
  invalid(
    param,
    `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
    'parameter_invalid_empty',
  );
const tooLong = (param: string, value: string, max: number) => invalid(param, `Invalid string: ${value.slice(0, 20)}...; must be at most ${max} characters`);
const tooShort = (param: string, value: string, min: number) => invalid(param, `Invalid string: ${value}; must be at least ${min} characters`);
const notString = (param: string) => invalid(param, `Invalid string: an object was given for ${param}`);
const notHash = (param: string) => invalid(param, `Invalid hash: ${param} must be a hash`);

const isHash = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const TEXT_KEYS = new Set<string>(STRIPE_EVIDENCE_TEXT_KEYS);
const FILE_KEYS = new Set<string>(STRIPE_EVIDENCE_FILE_KEYS);
const PROGRAMS = ['visa_compelling_evidence_3', 'visa_compliance', 'mastercard_compliance'] as const;
type Program = (typeof PROGRAMS)[number];
/** Device identifiers' minimums (stripe-node's docstrings: "Must be at least 15/20 characters"). */
const MIN_LENGTH: Partial<Record<(typeof STRIPE_CE3_STRING_KEYS)[number], number>> = { customer_device_id: 15, customer_device_fingerprint: 20 };

/** A program's state before anything is staged, as Stripe shows it on an eligible dispute. */
export function emptyProgram(p: Program): NonNullable<StripeEnhancedEvidence[Program]> {
  return p === 'visa_compelling_evidence_3' ? { disputed_transaction: null, prior_undisputed_transactions: [] } : { fee_acknowledged: false };
}

export interface EvidenceContext {
  /** Whether the provider takes `enhanced_evidence` at all (WooshPay's API shows none). */
  enhancedEvidence: boolean;
  fileExists(id: string): boolean;
}

/**
 * Checks `evidence[…]` and applies it to `d` (the caller's copy). Returns Stripe's refusal, or null
 * when applied. The 150,000-character total is the caller's (it covers what is staged).
 */
export function applyEvidence(d: StripeDispute, evidence: unknown, ctx: EvidenceContext): FakeResponse | null {
  if (!isHash(evidence)) return notHash('evidence');
  const fields: [string, string][] = [];
  for (const [k, v] of Object.entries(evidence)) {
    const param = `evidence[${k}]`;
    if (k === 'enhanced_evidence' && ctx.enhancedEvidence) continue;
    if (!TEXT_KEYS.has(k) && !FILE_KEYS.has(k)) return unknown(param);
    if (typeof v !== 'string') return notString(param);
    if (v === '') return notEmptyable(param);
    const max = STRIPE_EVIDENCE_MAX_LENGTH[k as keyof typeof STRIPE_EVIDENCE_MAX_LENGTH];
    // Counted in code points, as the total is (characterCount).
    if (max !== undefined && characterCount(v) > max) return tooLong(param, v, max);
    if (FILE_KEYS.has(k) && !ctx.fileExists(v)) return invalid(param, `No such file upload: '${v}'`, 'resource_missing');
    fields.push([k, v]);
  }
  let enhanced: StripeEnhancedEvidence | undefined;
  if (ctx.enhancedEvidence && evidence.enhanced_evidence !== undefined) {
    const read = enhancedEvidence(d, evidence.enhanced_evidence);
    if ('status' in read) return read as FakeResponse;
    enhanced = read;
  }
  for (const [k, v] of fields) (d.evidence as Record<string, unknown>)[k] = v;
  if (enhanced) {
    d.evidence.enhanced_evidence = enhanced;
    // Documented: an acknowledged fee moves a compliance program to fee_acknowledged.
    for (const p of ['visa_compliance', 'mastercard_compliance'] as const) {
      const eligibility = d.evidence_details.enhanced_eligibility?.[p];
      if (enhanced[p]?.fee_acknowledged && eligibility) eligibility.status = 'fee_acknowledged';
    }
  }
  return null;
}

/** `evidence[enhanced_evidence]`: the new staged object, or the refusal. `""` unsets it (Emptyable). */
function enhancedEvidence(d: StripeDispute, v: unknown): StripeEnhancedEvidence | FakeResponse {
  const at = 'evidence[enhanced_evidence]';
  const eligible = new Set(d.enhanced_eligibility_types ?? []);
  if (v === '') return Object.fromEntries([...eligible].filter(isProgram).map((p) => [p, emptyProgram(p)]));
  if (!isHash(v)) return notHash(at);
  const out: StripeEnhancedEvidence = structuredClone(d.evidence.enhanced_evidence ?? {});
  for (const [p, value] of Object.entries(v)) {
    const param = `${at}[${p}]`;
    if (!isProgram(p)) return unknown(param);
    if (!eligible.has(p)) {
      return invalid(
        param,
        `This dispute is not eligible for ${p}: its enhanced_eligibility_types are [${[...eligible].join(', ')}]. Only those programs take enhanced evidence.`,
      );
    }
    if (value === '') return notEmptyable(param);
    if (!isHash(value)) return notHash(param);
    if (p === 'visa_compelling_evidence_3') {
      const ce3 = compellingEvidence3(value, param);
      if ('status' in ce3) return ce3 as FakeResponse;
      out.visa_compelling_evidence_3 = ce3;
    } else {
      for (const k of Object.keys(value)) if (k !== 'fee_acknowledged') return unknown(`${param}[${k}]`);
      const ack = value.fee_acknowledged;
      if (ack === undefined) return missing(`${param}[fee_acknowledged]`);
      if (ack === '') return notEmptyable(`${param}[fee_acknowledged]`);
      if (ack !== 'true' && ack !== 'false') return invalid(`${param}[fee_acknowledged]`, `Invalid boolean: ${String(ack)}`);
      out[p] = { fee_acknowledged: ack === 'true' };
    }
  }
  return out;
}

const isProgram = (p: string): p is Program => (PROGRAMS as readonly string[]).includes(p);

/** The CE 3.0 block, taken whole (what it leaves out is not staged), by stripe-node's rules. */
function compellingEvidence3(v: Record<string, unknown>, at: string): StripeVisaCompellingEvidence3 | FakeResponse {
  const out: StripeVisaCompellingEvidence3 = { disputed_transaction: null, prior_undisputed_transactions: [] };
  for (const k of Object.keys(v)) if (k !== 'disputed_transaction' && k !== 'prior_undisputed_transactions') return unknown(`${at}[${k}]`);
  if (v.disputed_transaction !== undefined) {
    const param = `${at}[disputed_transaction]`;
    if (v.disputed_transaction === '') return notEmptyable(param);
    if (!isHash(v.disputed_transaction)) return notHash(param);
    const t = transaction(v.disputed_transaction, param, ['merchandise_or_services']);
    if ('status' in t) return t as FakeResponse;
    const kind = v.disputed_transaction.merchandise_or_services;
    let merchandise: (typeof STRIPE_MERCHANDISE_OR_SERVICES)[number] | null = null;
    if (kind !== undefined) {
      const p = `${param}[merchandise_or_services]`;
      if (kind === '') return notEmptyable(p);
      if (!(STRIPE_MERCHANDISE_OR_SERVICES as readonly unknown[]).includes(kind))
        return invalid(p, `Invalid ${p}: must be one of ${STRIPE_MERCHANDISE_OR_SERVICES.join(' or ')}`);
      merchandise = kind as (typeof STRIPE_MERCHANDISE_OR_SERVICES)[number];
    }
    out.disputed_transaction = { ...t, merchandise_or_services: merchandise };
  }
  if (v.prior_undisputed_transactions !== undefined) {
    const param = `${at}[prior_undisputed_transactions]`;
    const list = v.prior_undisputed_transactions;
    if (list === '') return notEmptyable(param);
    // A form array arrives as a hash of indexes ([0], [1]).
    if (!isHash(list) || !Object.keys(list).every((k) => /^\d+$/.test(k))) return invalid(param, `Invalid array: ${param}`);
    const items = Object.entries(list).sort(([a], [b]) => Number(a) - Number(b));
    if (items.length !== 2) return invalid(param, `${param} must list exactly two prior undisputed transactions, not ${items.length}.`);
    for (const [i, item] of items) {
      const p = `${param}[${i}]`;
      if (!isHash(item)) return notHash(p);
      if (item.charge === undefined) return missing(`${p}[charge]`);
      if (item.charge === '') return notEmptyable(`${p}[charge]`);
      if (typeof item.charge !== 'string') return notString(`${p}[charge]`);
      const t = transaction(item, p, ['charge']);
      if ('status' in t) return t as FakeResponse;
      out.prior_undisputed_transactions.push({ ...t, charge: item.charge });
    }
  }
  return out;
}

/** One CE 3.0 transaction's identifiers: Emptyable strings (`""` leaves one unset), device ids' minimums, the address. */
function transaction(v: Record<string, unknown>, at: string, others: string[]): StripeCe3Transaction | FakeResponse {
  const out = Object.fromEntries([...STRIPE_CE3_STRING_KEYS, 'shipping_address'].map((k) => [k, null])) as unknown as StripeCe3Transaction;
  for (const [k, value] of Object.entries(v)) {
    const param = `${at}[${k}]`;
    if (others.includes(k)) continue;
    if (k === 'shipping_address') {
      const a = address(value, param);
      if ('status' in a) return a as FakeResponse;
      out.shipping_address = a;
      continue;
    }
    if (!(STRIPE_CE3_STRING_KEYS as readonly string[]).includes(k)) return unknown(param);
    if (typeof value !== 'string') return notString(param);
    if (value === '') continue;
    const min = MIN_LENGTH[k as keyof typeof MIN_LENGTH];
    if (min !== undefined && characterCount(value) < min) return tooShort(param, value, min);
    (out as unknown as Record<string, unknown>)[k] = value;
  }
  return out;
}

/** Stripe's Address params: known keys, strings, not Emptyable. */
function address(v: unknown, at: string): StripeAddress | FakeResponse {
  if (v === '') return notEmptyable(at);
  if (!isHash(v)) return notHash(at);
  const out = Object.fromEntries(STRIPE_ADDRESS_KEYS.map((k) => [k, null])) as unknown as StripeAddress;
  for (const [k, value] of Object.entries(v)) {
    const param = `${at}[${k}]`;
    if (!(STRIPE_ADDRESS_KEYS as readonly string[]).includes(k)) return unknown(param);
    if (typeof value !== 'string') return notString(param);
    if (value === '') return notEmptyable(param);
    (out as unknown as Record<string, unknown>)[k] = value;
  }
  return out;
}

/**
 * What a submission needs of enhanced evidence: a compliance program's fee acknowledged ("if this
 * field is set to true, evidence can be submitted"), and every CE 3.0 shipping address complete
 * ("All fields are required for Visa Compelling Evidence 3.0 evidence submission").
 */
export function submissionRefusal(d: StripeDispute): FakeResponse | null {
  const staged = d.evidence.enhanced_evidence ?? {};
  for (const p of ['visa_compliance', 'mastercard_compliance'] as const) {
    if ((d.enhanced_eligibility_types ?? []).includes(p) && staged[p]?.fee_acknowledged !== true) {
      return invalid(
        `evidence[enhanced_evidence][${p}][fee_acknowledged]`,
        `This is a ${p === 'visa_compliance' ? 'Visa' : 'Mastercard'} compliance dispute: set evidence[enhanced_evidence][${p}][fee_acknowledged]=true to acknowledge the network fee before submitting evidence, or close the dispute.`,
      );
    }
  }
  const ce3 = staged.visa_compelling_evidence_3;
  const transactions: [string, StripeCe3Transaction | null][] = [
    ['disputed_transaction', ce3?.disputed_transaction ?? null],
    ...(ce3?.prior_undisputed_transactions ?? []).map((t, i): [string, StripeCe3Transaction] => [`prior_undisputed_transactions][${i}`, t]),
  ];
  for (const [where, t] of transactions) {
    const a = t?.shipping_address;
    const gap = a && STRIPE_ADDRESS_KEYS.find((k) => a[k] === null);
    if (gap) return missing(`evidence[enhanced_evidence][visa_compelling_evidence_3][${where}][shipping_address][${gap}]`);
  }
  return null;
}

/** Stripe's metadata limits (docs.stripe.com/api/metadata). */
export const METADATA_LIMITS = { maxKeys: 50, maxKeyLength: 40, maxValueLength: 500 } as const;

/** `metadata[k]=v` sets, `metadata[k]=` removes k, `metadata=` removes all; Stripe's limits over the result. */
export function applyMetadata(d: StripeDispute, metadata: unknown): FakeResponse | null {
  if (metadata === '') {
    d.metadata = {};
    return null;
  }
  if (!isHash(metadata)) return notHash('metadata');
  const next = { ...d.metadata };
  for (const [k, v] of Object.entries(metadata)) {
    const param = `metadata[${k}]`;
    if (typeof v !== 'string') return notString(param);
    if (characterCount(k) > METADATA_LIMITS.maxKeyLength)
      return invalid(param, `Metadata keys can have up to ${METADATA_LIMITS.maxKeyLength} characters; '${k}' has ${characterCount(k)}.`);
    if (characterCount(v) > METADATA_LIMITS.maxValueLength)
      return invalid(param, `Metadata values can have up to ${METADATA_LIMITS.maxValueLength} characters; the value of '${k}' has ${characterCount(v)}.`);
    if (v === '') delete next[k];
    else next[k] = v;
  }
  if (Object.keys(next).length > METADATA_LIMITS.maxKeys)
    return invalid('metadata', `An object can have up to ${METADATA_LIMITS.maxKeys} metadata keys; this update would leave ${Object.keys(next).length}.`);
  d.metadata = next;
  return null;
}
