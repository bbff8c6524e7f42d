// The evidence guidance tables, every provider × every reason: each reason has guidance, every item
// names a field the gateway knows and sources that resolve, what the provider does not take is known,
// and the REQUIRED items, the final reasons and the provenance notes are exactly the reviewed ones.
import { readFileSync } from 'node:fs';
import { Kind, parse } from 'graphql';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { DISPUTE_REASONS, PROVIDERS, type DisputeReason, type ProviderName } from '../../src/domain/dispute.js';
import { silentLogger } from '../../src/logger.js';
import { guidance as afterpayGuidance } from '../../src/providers/afterpay/guidance.js';
import { mapAfterpayReason } from '../../src/providers/afterpay/transformers.js';
import { AFTERPAY_REASONS } from '../../src/providers/afterpay/wire.js';
import { guidance as flexGuidance } from '../../src/providers/flex/guidance.js';
import {
  ENHANCED_EVIDENCE_PATHS,
  GOODS_VARIANTS,
  guidanceFor,
  type GuidanceItemSpec,
  type GuidanceTable,
  type ReasonGuidance,
} from '../../src/providers/guidance.js';
import { mapStripeReason } from '../../src/providers/kit/stripe-shape.js';
import { STRIPE_REASONS } from '../../src/providers/kit/stripe-wire.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { guidance as stripeGuidance } from '../../src/providers/stripe/guidance.js';
import { guidance as wooshpayGuidance } from '../../src/providers/wooshpay/guidance.js';

/** DisputeEvidenceInput's fields, from the public contract. */
const INPUT_FIELDS: string[] = (() => {
  const doc = parse(readFileSync(new URL('../../schema/evidence.graphql', import.meta.url), 'utf8'));
  for (const d of doc.definitions)
    if (d.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION && d.name.value === 'DisputeEvidenceInput') return (d.fields ?? []).map((f) => f.name.value);
  throw new Error('schema/evidence.graphql has no DisputeEvidenceInput');
})();

const STRIPE_SHAPED_REASONS = [...new Set(STRIPE_REASONS.map(mapStripeReason))];
const FINAL_BANK_DEBITS = [
  'BANK_CANNOT_PROCESS',
  'CHECK_RETURNED',
  'CUSTOMER_INITIATED',
  'DEBIT_NOT_AUTHORIZED',
  'INCORRECT_ACCOUNT_DETAILS',
  'INSUFFICIENT_FUNDS',
];
const ENHANCED = [...ENHANCED_EVIDENCE_PATHS].sort();
/** The REQUIRED (reason, group or field) pairs of the Stripe-shaped table, as reviewed: a change here is a change of the guidance. */
const STRIPE_REQUIRED = ['FRAUDULENT compelling-evidence', 'NONCOMPLIANT fee-acknowledgement'];

interface Case {
  table: GuidanceTable;
  /** The unified reasons the provider's mapping can produce (UNKNOWN aside). */
  reportable: DisputeReason[];
  /** Environment that configures its client (never called: only its capabilities are read). */
  env: Record<string, string>;
  required: string[];
  final: string[];
  /** Fields its guidance names that its client does not take (the resolver's `accepted: false`). */
  unaccepted: string[];
  provenance: boolean;
}

const CASES: Record<ProviderName, Case> = {
  STRIPE: {
    table: stripeGuidance,
    reportable: STRIPE_SHAPED_REASONS,
    env: { STRIPE_SECRET_KEY: 'sk_test_guidance', STRIPE_API_BASE: 'http://127.0.0.1:9' },
    required: STRIPE_REQUIRED,
    final: FINAL_BANK_DEBITS,
    unaccepted: ENHANCED,
    provenance: false,
  },
  WOOSHPAY: {
    table: wooshpayGuidance,
    reportable: STRIPE_SHAPED_REASONS,
    env: { WOOSHPAY_SECRET_KEY: 'sk_test_guidance', WOOSHPAY_API_BASE: 'http://127.0.0.1:9' },
    required: STRIPE_REQUIRED,
    final: FINAL_BANK_DEBITS,
    unaccepted: ENHANCED,
    provenance: true,
  },
  FLEX: {
    table: flexGuidance,
    reportable: STRIPE_SHAPED_REASONS,
    env: { FLEX_API_KEY: 'fsk_test_guidance', FLEX_API_BASE: 'http://127.0.0.1:9' },
    required: STRIPE_REQUIRED,
    final: FINAL_BANK_DEBITS,
    unaccepted: ENHANCED,
    provenance: true,
  },
  AFTERPAY: {
    table: afterpayGuidance,
    reportable: [...new Set(AFTERPAY_REASONS.map(mapAfterpayReason))],
    env: { AFTERPAY_MERCHANT_ID: 'guidance', AFTERPAY_SECRET_KEY: 'guidance', AFTERPAY_API_BASE: 'http://127.0.0.1:9' },
    required: [],
    final: [],
    unaccepted: [],
    provenance: false,
  },
};

const agent = new Agent();
afterAll(() => agent.close());

/** The fields its client takes, from the client the registry builds. */
function acceptedFields(provider: ProviderName): readonly string[] {
  const definition = PROVIDER_DEFINITIONS.find((d) => d.name === provider)!;
  const client = definition.create(definition.configFromEnv(CASES[provider].env)!, { dispatcher: agent, logger: silentLogger });
  return client.capabilities.evidence!.fields;
}

/** Every reason's guidance in the table, its fallback as `fallback`. */
const entries = (t: GuidanceTable): [string, ReasonGuidance][] => [...Object.entries(t.reasons), ['fallback', t.fallback]];
const allItems = (t: GuidanceTable): GuidanceItemSpec[] => entries(t).flatMap(([, g]) => g.items);
const variantsOf = (i: GuidanceItemSpec) => i.variants ?? GOODS_VARIANTS;

it('has a guidance table for every provider', () => {
  expect(Object.keys(CASES).sort()).toEqual([...PROVIDERS].sort());
});

describe.each(Object.keys(CASES) as ProviderName[])('%s guidance', (provider) => {
  const c = CASES[provider];
  const t = c.table;

  it('gives every reason the provider reports its own guidance, and any other reason the fallback', () => {
    expect(Object.keys(t.reasons).sort()).toEqual([...c.reportable].sort());
    expect(c.reportable).not.toContain('UNKNOWN');
    for (const reason of DISPUTE_REASONS) expect(guidanceFor(t, reason).summary, reason).not.toBe('');
  });

  it.each(DISPUTE_REASONS)('%s: fields the gateway knows, sources that resolve, groups of one level, variants only where the reason splits', (reason) => {
    const g = guidanceFor(t, reason);
    const problems: string[] = [];
    const resolves = (k: string) => Object.hasOwn(t.sources, k);
    if (g.sources.length === 0 || !g.sources.every(resolves)) problems.push(`reason sources ${g.sources.join(', ')}`);
    const seen = new Set<string>();
    for (const i of g.items) {
      const at = `${i.field}${i.variants ? ` (${i.variants.join(', ')})` : ''}`;
      if (!INPUT_FIELDS.includes(i.field) && !(ENHANCED_EVIDENCE_PATHS as readonly string[]).includes(i.field)) problems.push(`${at}: not an evidence field`);
      if (i.sources.length === 0 || !i.sources.every(resolves)) problems.push(`${at}: sources ${i.sources.join(', ')}`);
      if (new Set(i.sources).size !== i.sources.length) problems.push(`${at}: a source named twice`);
      if (!i.sources.every((k) => g.sources.includes(k))) problems.push(`${at}: a source the reason does not list`);
      if (!/\S.*\.$/.test(i.why)) problems.push(`${at}: no why`);
      if (i.variants && (!g.byVariant || i.variants.length === 0)) problems.push(`${at}: variants on a reason that does not split`);
      for (const v of variantsOf(i)) {
        if (seen.has(`${i.field} ${v}`)) problems.push(`${at}: listed twice for ${v}`);
        seen.add(`${i.field} ${v}`);
      }
      const others = g.items.filter((o) => i.group !== undefined && o.group === i.group);
      if (others.some((o) => o.level !== i.level)) problems.push(`${at}: group ${i.group} mixes levels`);
    }
    if (g.byVariant && !g.items.some((i) => i.variants)) problems.push('splits by variant but no item is variant-specific');
    // A statement about a payment method's finality cites Stripe's page on it.
    const text = [g.summary, g.notContestable ?? '', ...g.items.map((i) => i.why)].join(' ');
    if (/\bACH\b/.test(text) && !g.sources.includes('S-ACH')) problems.push('speaks of ACH without S-ACH');
    if (/\bSEPA\b/.test(text) && !g.sources.includes('S-SEPA')) problems.push('speaks of SEPA without S-SEPA');
    if (/Compelling Evidence 3\.0/.test(text) && !g.sources.includes('S-CE3')) problems.push('speaks of CE 3.0 without S-CE3');
    if (g.contestable === (g.notContestable !== undefined)) problems.push('contestable and notContestable disagree');
    if (!g.contestable && (!g.notContestable?.trim() || g.items.length > 0)) problems.push('not contestable: says why, lists nothing');
    expect(problems).toEqual([]);
  });

  it('lists every key it uses among its sources, each a URL or a repository path, and no key it does not use', () => {
    const used = new Set(entries(t).flatMap(([, g]) => [...g.sources, ...g.items.flatMap((i) => i.sources)]));
    expect(Object.keys(t.sources).sort()).toEqual([...used].sort());
    for (const [key, where] of Object.entries(t.sources))
      expect(where, key).toMatch(/^(https:\/\/\S+( and https:\/\/\S+)*|[\w.-]+\/[\w.-]+(@[0-9a-f]{7,40})? \S+)$/);
  });

  it('can tell for every item whether the provider takes its field, and names exactly the fields it does not', () => {
    const fields = acceptedFields(provider);
    const accepted = allItems(t).map((i) => ({ field: i.field, accepted: fields.includes(i.field) }));
    expect(accepted.every((a) => typeof a.accepted === 'boolean')).toBe(true);
    expect([...new Set(accepted.filter((a) => !a.accepted).map((a) => a.field))].sort()).toEqual(c.unaccepted);
  });

  it('is REQUIRED only where the reference states a requirement (the reviewed pairs), each REQUIRED group reachable in every variant', () => {
    const pairs = entries(t).flatMap(([reason, g]) => g.items.filter((i) => i.level === 'REQUIRED').map((i) => `${reason} ${i.group ?? i.field}`));
    expect([...new Set(pairs)].sort()).toEqual(c.required);
    for (const [reason, g] of entries(t))
      for (const group of new Set(g.items.filter((i) => i.level === 'REQUIRED').map((i) => i.group ?? i.field)))
        for (const v of g.byVariant ? GOODS_VARIANTS : GOODS_VARIANTS.slice(0, 1))
          expect(
            g.items.some((i) => (i.group ?? i.field) === group && variantsOf(i).includes(v)),
            `${reason} ${group} ${v}`,
          ).toBe(true);
  });

  it('gives something to send for every variant of every contestable reason', () => {
    for (const [reason, g] of entries(t)) {
      if (!g.contestable) continue;
      for (const v of g.byVariant ? GOODS_VARIANTS : GOODS_VARIANTS.slice(0, 1))
        expect(
          g.items.some((i) => variantsOf(i).includes(v)),
          `${reason} ${v}`,
        ).toBe(true);
    }
  });

  it('marks exactly the final (not contestable) reasons', () => {
    expect(
      entries(t)
        .filter(([, g]) => !g.contestable)
        .map(([reason]) => reason)
        .sort(),
    ).toEqual(c.final);
  });

  it(
    c.provenance ? 'says in every item that the provider publishes no guidance of its own' : 'follows the provider’s own guidance, with no provenance note',
    () => {
      if (!c.provenance) {
        expect(t.provenanceNote).toBeUndefined();
        return;
      }
      const note = t.provenanceNote!;
      expect(note).toMatch(/no evidence guidance of its own/);
      expect(
        allItems(t)
          .filter((i) => !i.why.endsWith(` ${note}`))
          .map((i) => i.field),
      ).toEqual([]);
      for (const [reason, g] of entries(t))
        expect(
          g.sources.some((k) => !Object.hasOwn(stripeGuidance.sources, k)),
          reason,
        ).toBe(true);
    },
  );
});

describe('what stays unconfirmed is said where it applies', () => {
  it.each(['STRIPE', 'WOOSHPAY', 'FLEX'] as const)('%s: general, noncompliant and the bank-debit reasons', (provider) => {
    const t = CASES[provider].table;
    for (const reason of ['GENERAL', 'NONCOMPLIANT'] as const) {
      const g = t.reasons[reason]!;
      expect(g.summary, reason).toMatch(/unconfirmed/);
      for (const i of g.items.filter((i) => i.level !== 'OPTIONAL')) expect(i.why, `${reason} ${i.field}`).toMatch(/unconfirmed/);
    }
    for (const reason of FINAL_BANK_DEBITS) expect(t.reasons[reason as DisputeReason]!.notContestable, reason).toMatch(/unconfirmed/);
  });

  it.each(['WOOSHPAY', 'FLEX'] as const)('%s: enhanced evidence, which its API is not known to pass on', (provider) => {
    const items = allItems(CASES[provider].table).filter((i) => i.field.startsWith('enhancedEvidence.'));
    expect(items.length).toBeGreaterThan(0);
    for (const i of items) expect(i.why, i.field).toMatch(/no enhanced_evidence, so .* unconfirmed\./);
  });

  it('Afterpay: every item, as it publishes no guidance per reason', () => {
    expect(
      allItems(afterpayGuidance)
        .filter((i) => !/unconfirmed/.test(i.why))
        .map((i) => i.field),
    ).toEqual([]);
  });
});

describe('the Stripe-shaped tables', () => {
  const shape = (t: GuidanceTable) =>
    entries(t).map(([reason, g]) => [reason, g.contestable, g.byVariant, g.items.map((i) => [i.field, i.level, i.group, i.variants])]);

  it('are Stripe’s for WooshPay and Flex, item for item, and Stripe’s own carries neither note', () => {
    expect(shape(wooshpayGuidance)).toEqual(shape(stripeGuidance));
    expect(shape(flexGuidance)).toEqual(shape(stripeGuidance));
    const whys = allItems(stripeGuidance).map((i) => i.why);
    for (const note of [wooshpayGuidance.provenanceNote!, flexGuidance.provenanceNote!]) expect(whys.filter((w) => w.includes(note))).toEqual([]);
  });

  it('follow Stripe’s Compelling Evidence for fraud (at least one, every variant) and CE 3.0 where Stripe reports eligibility', () => {
    const fraud = stripeGuidance.reasons.FRAUDULENT!;
    const compelling = fraud.items.filter((i) => i.group === 'compelling-evidence');
    expect(compelling.every((i) => i.level === 'REQUIRED' && /Compelling Evidence.*at least one.*every network/.test(i.why))).toBe(true);
    const ce3 = fraud.items.find((i) => i.field === 'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions');
    expect(ce3?.level).toBe('RECOMMENDED');
    expect(ce3?.why).toMatch(/enhanced_eligibility/);
  });
});
