// Dispute.evidenceGuidance: a provider's reviewed table (providers/<name>/guidance.ts) applied to
// one dispute — the variant it shows, what its evidence already satisfies, how complete it is, and
// whether it is ready to submit. The rules are in the tables; this only reads the dispute.
import { PROGRAM_OF, RESPONDABLE, type Dispute, type DisputeEvidence, type DisputeReason, type EnhancedEvidence } from '../domain/dispute.js';
import {
  GOODS_VARIANTS,
  guidanceFor,
  type EvidenceRequirementLevel,
  type GoodsVariant,
  type GuidanceItemSpec,
  type GuidanceTable,
  type ReasonGuidance,
} from '../providers/guidance.js';
import type { EvidenceRules } from '../providers/types.js';

export interface GuidanceItemModel {
  field: string;
  variant: GoodsVariant | null;
  level: EvidenceRequirementLevel;
  group: string | null;
  why: string;
  satisfied: boolean;
  accepted: boolean;
}

export interface EvidenceGuidanceModel {
  reason: DisputeReason;
  summary: string;
  items: GuidanceItemModel[];
  variant: GoodsVariant | null;
  completeness: number;
  readyToSubmit: boolean;
  blockers: string[];
  secondsToDeadline: number | null;
  sources: string[];
}

const SHIPPING = ['shippingAddress', 'shippingCarrier', 'shippingDate', 'shippingTrackingNumber', 'shippingDocumentation'] as const;
const DIGITAL = ['accessActivityLog'] as const;
const SERVICE = ['serviceDate', 'serviceDocumentation'] as const;

const present = (v: unknown): boolean => v !== null && v !== undefined && v !== '' && v !== false && !(Array.isArray(v) && v.length === 0);

/**
 * What was sold, where the dispute tells: shipping details mean physical goods, an access log a
 * digital product, a service date or documentation a service, and CE 3.0's merchandise-or-services
 * the same. Null when nothing tells, or the signs disagree.
 */
export function variantOf(d: Dispute): GoodsVariant | null {
  const e = d.evidence as unknown as Record<string, unknown>;
  const signs = new Set<GoodsVariant>();
  if (SHIPPING.some((f) => present(e[f]))) signs.add('physical');
  if (DIGITAL.some((f) => present(e[f]))) signs.add('digital');
  if (SERVICE.some((f) => present(e[f]))) signs.add('service');
  const mos = d.evidence.enhancedEvidence?.visaCompellingEvidence3?.disputedTransaction?.merchandiseOrServices;
  if (mos === 'MERCHANDISE') signs.add('physical');
  if (mos === 'SERVICES') signs.add('service');
  return signs.size === 1 ? [...signs][0]! : null;
}

/** Whether the evidence holds a field, or an enhanced evidence path (two prior transactions; a fee acknowledged). */
export function holds(evidence: DisputeEvidence, field: string): boolean {
  if (!field.startsWith('enhancedEvidence.')) return present((evidence as unknown as Record<string, unknown>)[field]);
  const enhanced = evidence.enhancedEvidence;
  if (!enhanced) return false;
  const [, program, ...rest] = field.split('.') as [string, keyof EnhancedEvidence, ...string[]];
  let v: unknown = enhanced[program];
  for (const part of rest)
    v =
      v === null || v === undefined ? undefined : Array.isArray(v) ? v.map((x) => (x as Record<string, unknown>)[part]) : (v as Record<string, unknown>)[part];
  if (field === 'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions') return Array.isArray(v) && v.length === 2;
  if (Array.isArray(v)) return v.length > 0 && v.every(present);
  return present(v);
}

/** Whether the provider takes the field: an evidence field it lists, or an enhanced program it sends. */
function takes(rules: EvidenceRules | undefined, field: string): boolean {
  if (!rules) return false;
  if (!field.startsWith('enhancedEvidence.')) return (rules.fields as readonly string[]).includes(field);
  const program = PROGRAM_OF[field.split('.')[1] as keyof typeof PROGRAM_OF];
  return program !== undefined && (rules.enhancedPrograms ?? []).includes(program);
}

/** What Stripe says CE 3.0 still needs (`required_actions`), as items: needed to qualify, not to submit. */
const CE3_ACTIONS: Record<string, { field: string; what: string }> = {
  missing_prior_undisputed_transactions: {
    field: 'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions',
    what: 'two earlier undisputed payments of the same card',
  },
  missing_customer_identifiers: {
    field: 'enhancedEvidence.visaCompellingEvidence3.disputedTransaction.customerPurchaseIp',
    what: 'customer identifiers matching the earlier payments (IP, device fingerprint or id, account id; or shipping address, email)',
  },
  missing_disputed_transaction_description: {
    field: 'enhancedEvidence.visaCompellingEvidence3.disputedTransaction.productDescription',
    what: 'a description of what the disputed payment bought',
  },
  missing_merchandise_or_services: {
    field: 'enhancedEvidence.visaCompellingEvidence3.disputedTransaction.merchandiseOrServices',
    what: 'whether the disputed payment bought merchandise or services',
  },
  missing_prior_undisputed_transaction_description: {
    field: 'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions.productDescription',
    what: 'descriptions of what the earlier payments bought',
  },
};

/** The table's items for this dispute: narrowed to the compliance program it is eligible for, plus Stripe's CE 3.0 required actions. */
function itemsFor(d: Dispute, g: ReasonGuidance): GuidanceItemSpec[] {
  const types = d.enhancedEligibilityTypes ?? [];
  const compliance = types.filter((t) => t === 'visa_compliance' || t === 'mastercard_compliance');
  let items = [...g.items];
  if (compliance.length === 1) {
    const other =
      compliance[0] === 'visa_compliance' ? 'enhancedEvidence.mastercardCompliance.feeAcknowledged' : 'enhancedEvidence.visaCompliance.feeAcknowledged';
    items = items.filter((i) => i.field !== other);
  }
  const ce3 = d.evidenceDetails.enhancedEligibility?.visaCompellingEvidence3;
  if (ce3?.status === 'requires_action') {
    for (const action of ce3.requiredActions) {
      const a = CE3_ACTIONS[action];
      const why = a
        ? `Stripe reports this dispute needs ${a.what} to qualify for Visa Compelling Evidence 3.0 (required action ${action}); qualifying raises the odds, and the evidence can be submitted without it.`
        : `Stripe reports the required action ${action} for Visa Compelling Evidence 3.0; what it asks for is not documented (unconfirmed).`;
      const field = a?.field ?? 'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions';
      if (!items.some((i) => i.field === field && i.level !== 'OPTIONAL'))
        items.push({ field: field as GuidanceItemSpec['field'], level: 'RECOMMENDED', why, sources: ['S-CE3'] });
    }
  }
  return items;
}

const appliesTo = (i: GuidanceItemSpec, v: GoodsVariant) => !i.variants || i.variants.includes(v);

/** Satisfied ÷ total over the REQUIRED and RECOMMENDED items (a group counts once, satisfied by any member). */
function completenessOf(items: readonly GuidanceItemModel[]): number {
  const units = new Map<string, boolean>();
  for (const i of items) {
    if (i.level === 'OPTIONAL') continue;
    const key = i.group ? `group:${i.group}` : `field:${i.field}`;
    units.set(key, (units.get(key) ?? false) || i.satisfied);
  }
  if (units.size === 0) return 1;
  return [...units.values()].filter(Boolean).length / units.size;
}

/** The REQUIRED items and groups not satisfied, named. */
function missingRequired(items: readonly GuidanceItemModel[]): string[] {
  const groups = new Map<string, { satisfied: boolean; fields: string[] }>();
  const out: string[] = [];
  for (const i of items) {
    if (i.level !== 'REQUIRED') continue;
    if (!i.group) {
      if (!i.satisfied) out.push(i.field);
      continue;
    }
    const g = groups.get(i.group) ?? { satisfied: false, fields: [] };
    g.satisfied ||= i.satisfied;
    g.fields.push(i.field);
    groups.set(i.group, g);
  }
  for (const [name, g] of groups) if (!g.satisfied) out.push(`one of ${name} (${g.fields.join(', ')})`);
  return out;
}

export interface GuidanceContext {
  table: GuidanceTable;
  rules: EvidenceRules | undefined;
  /** Whether the provider takes evidence through the gateway at all. */
  takesEvidence: boolean;
  providerName: string;
  now: number;
}

export function evidenceGuidance(d: Dispute, ctx: GuidanceContext): EvidenceGuidanceModel {
  const g = guidanceFor(ctx.table, d.reason);
  const specs = itemsFor(d, g);
  const variant = g.byVariant ? variantOf(d) : null;
  const model = (i: GuidanceItemSpec, v: GoodsVariant | null): GuidanceItemModel => ({
    field: i.field,
    variant: v,
    level: i.level,
    group: i.group ?? null,
    why: i.why,
    satisfied: holds(d.evidence, i.field),
    accepted: takes(ctx.rules, i.field),
  });
  let items: GuidanceItemModel[];
  let completeness: number;
  let missing: string[];
  if (!g.byVariant || variant) {
    items = specs.filter((i) => !variant || appliesTo(i, variant)).map((i) => model(i, null));
    completeness = completenessOf(items);
    missing = missingRequired(items);
  } else {
    // The variant unknown: every variant's items, each marked; the most complete variant counts.
    items = specs.flatMap((i) => (i.variants ? i.variants.map((v) => model(i, v)) : [model(i, null)]));
    const perVariant = GOODS_VARIANTS.map((v) => items.filter((i) => i.variant === null || i.variant === v));
    completeness = Math.max(...perVariant.map(completenessOf));
    const best = perVariant.map(missingRequired).sort((a, b) => a.length - b.length)[0]!;
    missing = best;
  }
  const blockers = blockersOf(d, g, ctx, missing);
  const due = d.evidenceDetails.dueBy;
  return {
    reason: d.reason,
    summary: ctx.table.provenanceNote ? `${g.summary} ${ctx.table.provenanceNote}` : g.summary,
    items,
    variant,
    completeness: g.contestable ? completeness : 0,
    readyToSubmit: blockers.length === 0,
    blockers,
    secondsToDeadline: due ? Math.floor((due.getTime() - ctx.now) / 1000) : null,
    sources: g.sources.map((k) => ctx.table.sources[k] ?? k),
  };
}

/** Why the evidence cannot go now, one sentence each. */
function blockersOf(d: Dispute, g: ReasonGuidance, ctx: GuidanceContext, missing: readonly string[]): string[] {
  const out: string[] = [];
  if (!g.contestable) out.push(g.notContestable ?? 'This reason cannot be contested.');
  if (!ctx.takesEvidence) out.push(`${ctx.providerName} does not take evidence through the gateway.`);
  if (!RESPONDABLE.includes(d.status)) out.push(`A dispute in status ${d.status} takes no evidence.`);
  const due = d.evidenceDetails.dueBy;
  if (due && due.getTime() <= ctx.now) out.push(`The deadline passed at ${due.toISOString()}.`);
  if (d.evidenceDetails.submissionCount > 0 && ctx.rules && !ctx.rules.resubmission)
    out.push(`Evidence was already submitted, and ${ctx.providerName} takes one submission.`);
  if (missing.length > 0) out.push(`Required evidence is missing: ${missing.join('; ')}.`);
  return out;
}
