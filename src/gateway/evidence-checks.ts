// What an evidence update is checked for beyond its plain fields, before anything is sent: each
// field's own length (Stripe's 20,000 and 5,000 characters, Afterpay's 5,000), metadata (an object
// of strings, within the provider's limits), and enhanced evidence (a program the provider sends,
// that the dispute is eligible for, with Visa CE 3.0's field rules as Stripe states them).
import {
  characterCount,
  PROGRAM_OF,
  type Dispute,
  type EnhancedEvidence,
  type EnhancedEvidenceUpdate,
  type EvidenceField,
  type EvidenceUpdate,
} from '../domain/dispute.js';
import type { EvidenceRules } from '../providers/types.js';
import type { UserError } from './once.js';

const at = (...path: (string | number)[]) => ['input', ...path.map(String)];

/** Each text field against its own limit, in Unicode code points. */
export function fieldLengthErrors(rules: EvidenceRules, evidence: EvidenceUpdate, provider: string): UserError[] {
  const out: UserError[] = [];
  for (const [field, value] of Object.entries(evidence) as [EvidenceField, string | null][]) {
    const max = rules.fieldMaxCharacters?.[field];
    if (max === undefined || typeof value !== 'string') continue;
    const n = characterCount(value);
    if (n > max)
      out.push({
        code: 'EVIDENCE_TOO_LONG',
        message: `${field} holds ${n} characters (Unicode code points); ${provider} takes at most ${max}. Nothing was sent.`,
        field: at('evidence', field),
      });
  }
  return out;
}

/** Metadata as given (GraphQL's JSON): an object of string values, null removing a key; checked against the provider's limits. */
export function metadataErrors(rules: EvidenceRules, metadata: unknown, provider: string): UserError[] {
  if (metadata === undefined || metadata === null) return [];
  if (!rules.metadata)
    return [{ code: 'EVIDENCE_FIELD_UNSUPPORTED', message: `${provider} takes no metadata with evidence; nothing was sent.`, field: at('metadata') }];
  if (typeof metadata !== 'object' || Array.isArray(metadata))
    return [{ code: 'BAD_USER_INPUT', message: 'metadata must be an object of string values (null removes a key).', field: at('metadata') }];
  const { maxKeys, maxKeyLength, maxValueLength } = rules.metadata;
  const out: UserError[] = [];
  const entries = Object.entries(metadata as Record<string, unknown>);
  if (entries.length > maxKeys)
    out.push({ code: 'BAD_USER_INPUT', message: `metadata holds ${entries.length} keys; ${provider} takes at most ${maxKeys}.`, field: at('metadata') });
  for (const [key, value] of entries) {
    if (value !== null && typeof value !== 'string')
      out.push({ code: 'BAD_USER_INPUT', message: `metadata.${key} must be a string (or null to remove it).`, field: at('metadata', key) });
    else if (key.length === 0 || characterCount(key) > maxKeyLength)
      out.push({ code: 'BAD_USER_INPUT', message: `metadata keys are 1 to ${maxKeyLength} characters at ${provider}.`, field: at('metadata', key) });
    else if (typeof value === 'string' && characterCount(value) > maxValueLength)
      out.push({
        code: 'BAD_USER_INPUT',
        message: `metadata.${key} holds more than ${maxValueLength} characters, ${provider}'s limit.`,
        field: at('metadata', key),
      });
  }
  return out;
}

/** The metadata as it will stand: what the dispute holds, with this update over it; over the key limit is refused. */
export function metadataStateErrors(rules: EvidenceRules, d: Dispute, metadata: Record<string, string | null> | undefined, provider: string): UserError[] {
  if (!metadata || !rules.metadata) return [];
  const merged = { ...d.metadata, ...metadata };
  const keys = Object.entries(merged).filter(([, v]) => v !== null && v !== undefined).length;
  return keys > rules.metadata.maxKeys
    ? [
        {
          code: 'BAD_USER_INPUT',
          message: `The dispute's metadata would hold ${keys} keys; ${provider} takes at most ${rules.metadata.maxKeys}.`,
          field: at('metadata'),
        },
      ]
    : [];
}

const CE3_MIN: Record<string, number> = { customerDeviceId: 15, customerDeviceFingerprint: 20 };
/** Stripe: "all fields are required" for CE 3.0's addresses (stripe-node's docstring), line2 included. */
const ADDRESS_REQUIRED = ['line1', 'line2', 'city', 'postalCode', 'state', 'country'] as const;

/** One CE 3.0 transaction's identifiers: Stripe's minimum lengths, and a whole address. */
function transactionErrors(t: Record<string, unknown> | null | undefined, path: (string | number)[]): UserError[] {
  if (!t) return [];
  const out: UserError[] = [];
  for (const [field, min] of Object.entries(CE3_MIN)) {
    const v = t[field];
    if (typeof v === 'string' && v !== '' && characterCount(v) < min)
      out.push({ code: 'BAD_USER_INPUT', message: `${field} must be at least ${min} characters for Visa Compelling Evidence 3.0.`, field: at(...path, field) });
  }
  const address = t.shippingAddress as Record<string, unknown> | null | undefined;
  if (address) {
    const missing = ADDRESS_REQUIRED.filter((k) => typeof address[k] !== 'string' || address[k] === '');
    if (missing.length > 0)
      out.push({
        code: 'BAD_USER_INPUT',
        message: `shippingAddress needs ${missing.join(', ')} for Visa Compelling Evidence 3.0 (Stripe requires every field).`,
        field: at(...path, 'shippingAddress'),
      });
  }
  return out;
}

/** Enhanced evidence as given: programs the provider sends, and CE 3.0's rules. */
export function enhancedInputErrors(rules: EvidenceRules, enhanced: EnhancedEvidenceUpdate | undefined, provider: string): UserError[] {
  if (!enhanced) return [];
  const out: UserError[] = [];
  for (const key of Object.keys(enhanced) as (keyof EnhancedEvidenceUpdate)[]) {
    const program = PROGRAM_OF[key];
    if (!program) continue;
    if (!(rules.enhancedPrograms ?? []).includes(program))
      out.push({
        code: 'EVIDENCE_FIELD_UNSUPPORTED',
        message: `${provider} takes no enhanced evidence for ${program}; nothing was sent.`,
        field: at('evidence', 'enhancedEvidence', key),
      });
  }
  const ce3 = enhanced.visaCompellingEvidence3;
  if (ce3) {
    const base = ['evidence', 'enhancedEvidence', 'visaCompellingEvidence3'];
    out.push(...transactionErrors(ce3.disputedTransaction as Record<string, unknown> | null | undefined, [...base, 'disputedTransaction']));
    const prior = ce3.priorUndisputedTransactions;
    if (prior) {
      if (prior.length !== 2)
        out.push({
          code: 'BAD_USER_INPUT',
          message: `Visa Compelling Evidence 3.0 takes exactly two prior undisputed transactions; ${prior.length} were given.`,
          field: at(...base, 'priorUndisputedTransactions'),
        });
      prior.forEach((t, i) => {
        if (typeof t.charge !== 'string' || t.charge.trim() === '')
          out.push({
            code: 'BAD_USER_INPUT',
            message: 'Each prior transaction needs its charge id.',
            field: at(...base, 'priorUndisputedTransactions', i, 'charge'),
          });
        out.push(...transactionErrors(t as Record<string, unknown>, [...base, 'priorUndisputedTransactions', i]));
      });
    }
  }
  return out;
}

/** Enhanced evidence against the dispute: only for a program it is eligible for (Stripe's enhanced_eligibility_types). */
export function enhancedStateErrors(d: Dispute, enhanced: EnhancedEvidenceUpdate | undefined): UserError[] {
  if (!enhanced) return [];
  const out: UserError[] = [];
  for (const key of Object.keys(enhanced) as (keyof EnhancedEvidenceUpdate)[]) {
    const program = PROGRAM_OF[key];
    if (program && !(d.enhancedEligibilityTypes ?? []).includes(program))
      out.push({
        code: 'EVIDENCE_FIELD_UNSUPPORTED',
        message: `This dispute is not eligible for ${program} (its provider lists ${(d.enhancedEligibilityTypes ?? []).join(', ') || 'no program'}); nothing was sent.`,
        field: at('evidence', 'enhancedEvidence', key),
      });
  }
  return out;
}

/** The enhanced evidence as it will stand: each program given replaces the staged one (Stripe takes a program's object whole). */
export function mergeEnhanced(staged: EnhancedEvidence | null | undefined, update: EnhancedEvidenceUpdate | undefined): EnhancedEvidence | null {
  if (!update) return staged ?? null;
  const base: EnhancedEvidence = staged ?? { visaCompellingEvidence3: null, visaCompliance: null, mastercardCompliance: null };
  const ce3 = update.visaCompellingEvidence3;
  const blank = {
    customerAccountId: null,
    customerDeviceFingerprint: null,
    customerDeviceId: null,
    customerEmailAddress: null,
    customerPurchaseIp: null,
    productDescription: null,
    shippingAddress: null,
  };
  const address = (a: Record<string, unknown> | null | undefined) =>
    a ? { city: null, country: null, line1: null, line2: null, postalCode: null, state: null, ...(a as object) } : null;
  return {
    visaCompellingEvidence3:
      ce3 === undefined
        ? base.visaCompellingEvidence3
        : ce3 === null
          ? null
          : {
              disputedTransaction: ce3.disputedTransaction
                ? {
                    ...blank,
                    merchandiseOrServices: null,
                    ...ce3.disputedTransaction,
                    shippingAddress: address(ce3.disputedTransaction.shippingAddress as Record<string, unknown> | null | undefined),
                  }
                : null,
              priorUndisputedTransactions: (ce3.priorUndisputedTransactions ?? []).map((t) => ({
                ...blank,
                ...t,
                shippingAddress: address(t.shippingAddress as Record<string, unknown> | null | undefined),
              })),
            },
    visaCompliance: update.visaCompliance === undefined ? base.visaCompliance : update.visaCompliance,
    mastercardCompliance: update.mastercardCompliance === undefined ? base.mastercardCompliance : update.mastercardCompliance,
  };
}
