// The contract of evidence guidance: per dispute reason, which evidence wins, as reviewed data with
// its sources (the shape of Adyen's defense reasons: a requirement level per document, OneOrMore as a
// group). Each provider's table lives in its folder (`guidance.ts`); the Stripe-shaped one in the kit.
import type { DisputeReason, EvidenceField } from '../domain/dispute.js';

export type EvidenceRequirementLevel = 'REQUIRED' | 'RECOMMENDED' | 'OPTIONAL';

/**
 * What was sold, where guidance differs by it. Stripe's product types: `digital` is its "digital
 * product or service", `service` its "offline service" (pre-paid events, tickets, reservations).
 */
export type GoodsVariant = 'physical' | 'digital' | 'service';
export const GOODS_VARIANTS: readonly GoodsVariant[] = ['physical', 'digital', 'service'];

/** Paths into DisputeEvidenceInput's enhanced evidence (Stripe's `enhanced_evidence`, camelCased). */
export const ENHANCED_EVIDENCE_PATHS = [
  'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions',
  'enhancedEvidence.visaCompliance.feeAcknowledged',
  'enhancedEvidence.mastercardCompliance.feeAcknowledged',
] as const;
export type EnhancedEvidencePath = (typeof ENHANCED_EVIDENCE_PATHS)[number];

/** A DisputeEvidenceInput name, or a path into it for enhanced evidence. */
export type GuidanceField = EvidenceField | EnhancedEvidencePath;

export interface GuidanceItemSpec {
  field: GuidanceField;
  level: EvidenceRequirementLevel;
  /** Items sharing a group: one of them is enough (Adyen's OneOrMore). Members share one level. */
  group?: string;
  /** Why it matters, in one or two sentences; says "unconfirmed" where the reference does. */
  why: string;
  /** Only for these variants (absent: every variant). */
  variants?: readonly GoodsVariant[];
  /** Source keys (into the table's `sources`). At least one. */
  sources: readonly string[];
}

export interface ReasonGuidance {
  /** What the cardholder claims, what answers it. */
  summary: string;
  /** Whether the reason's guidance differs by what was sold (physical / digital / service). */
  byVariant: boolean;
  items: readonly GuidanceItemSpec[];
  /** False where the reason cannot be contested (ACH/SEPA bank-debit reasons are final), with `notContestable` saying why. */
  contestable: boolean;
  notContestable?: string;
  /** The summary's sources and every item's. */
  sources: readonly string[];
}

export interface GuidanceTable {
  /** Every unified reason the provider can report → its guidance. */
  reasons: Readonly<Partial<Record<DisputeReason, ReasonGuidance>>>;
  /** Guidance for a reason not in `reasons` (UNKNOWN: an upstream value the gateway does not map yet). */
  fallback: ReasonGuidance;
  /** Source key → URL or repository path (the keys used, as the reference lists them). */
  sources: Readonly<Record<string, string>>;
  /**
   * Where the provider publishes no guidance of its own (WooshPay, Flex): the sentence already
   * appended to every item's `why` by withProvenance, kept here so it can be shown once. Absent
   * for a provider whose own guidance the table follows.
   */
  provenanceNote?: string;
}

/** The guidance for a reason: its own, else the table's fallback. */
export const guidanceFor = (table: GuidanceTable, reason: DisputeReason): ReasonGuidance => table.reasons[reason] ?? table.fallback;

const unique = (keys: readonly string[]): string[] => [...new Set(keys)];

type ItemOptions = Pick<GuidanceItemSpec, 'group' | 'variants'>;
const at =
  (level: EvidenceRequirementLevel) =>
  (field: GuidanceField, why: string, sources: readonly string[], options: ItemOptions = {}): GuidanceItemSpec => ({
    field,
    level,
    why,
    sources: unique(sources),
    ...options,
  });

export const required = at('REQUIRED');
export const recommended = at('RECOMMENDED');
export const optional = at('OPTIONAL');

/** A reason's guidance, its sources being the summary's and every item's. */
export function reasonGuidance(
  summary: string,
  summarySources: readonly string[],
  items: readonly GuidanceItemSpec[],
  options: { byVariant?: boolean; notContestable?: string } = {},
): ReasonGuidance {
  return {
    summary,
    byVariant: options.byVariant ?? false,
    items,
    contestable: options.notContestable === undefined,
    ...(options.notContestable !== undefined && { notContestable: options.notContestable }),
    sources: unique([...summarySources, ...items.flatMap((i) => i.sources)]),
  };
}

/** A provider that reuses another's guidance and publishes none of its own says so, with its sources. */
export interface Provenance {
  /** One sentence, appended to every item's `why`. */
  note: string;
  /** The sources the note rests on, added to every item's and reason's. */
  sources: Readonly<Record<string, string>>;
  /** A sentence more for particular fields (e.g. enhanced evidence the provider is not known to pass on). */
  fieldNotes?: Readonly<Partial<Record<GuidanceField, string>>>;
}

/** The table as another provider's, marked in every item's `why` as not its own guidance. */
export function withProvenance(table: GuidanceTable, provenance: Provenance): GuidanceTable {
  const keys = Object.keys(provenance.sources);
  const item = (i: GuidanceItemSpec): GuidanceItemSpec => {
    const fieldNote = provenance.fieldNotes?.[i.field];
    return { ...i, why: [i.why, fieldNote, provenance.note].filter(Boolean).join(' '), sources: unique([...i.sources, ...keys]) };
  };
  const reason = (r: ReasonGuidance): ReasonGuidance => ({ ...r, items: r.items.map(item), sources: unique([...r.sources, ...keys]) });
  return {
    reasons: Object.fromEntries(Object.entries(table.reasons).map(([k, r]) => [k, reason(r)])),
    fallback: reason(table.fallback),
    sources: { ...table.sources, ...provenance.sources },
    provenanceNote: provenance.note,
  };
}

/** For a provider without a table of its own: no items, and the reason said. */
export const NO_GUIDANCE: GuidanceTable = {
  reasons: {},
  fallback: {
    summary: 'This provider publishes no evidence guidance the gateway knows of; send what answers the cardholder’s claim.',
    byVariant: false,
    items: [],
    contestable: true,
    sources: [],
  },
  sources: {},
};
