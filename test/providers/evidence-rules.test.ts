// What each provider's client declares it takes as evidence (EvidenceRules), the contract the
// gateway checks before sending: exact, so any change to a provider's limits is a visible diff.
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENHANCED_PROGRAMS, EVIDENCE_FIELDS } from '../../src/domain/dispute.js';
import { silentLogger } from '../../src/logger.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import type { EvidenceRules } from '../../src/providers/types.js';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';

let agent: Agent;
beforeAll(() => {
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
});

async function rulesOf(name: string): Promise<EvidenceRules> {
  const def = PROVIDER_DEFINITIONS.find((d) => d.name === name)!;
  const fake = await sandboxProviderOf(def.name).startFake({ seed: 1, count: 1 });
  try {
    return def.create(def.configFromEnv(fake.env)!, { dispatcher: agent, logger: silentLogger }).capabilities.evidence!;
  } finally {
    await fake.close();
  }
}

const LONG = [
  'accessActivityLog',
  'cancellationPolicyDisclosure',
  'cancellationRebuttal',
  'duplicateChargeExplanation',
  'productDescription',
  'refundPolicyDisclosure',
  'refundRefusalExplanation',
  'uncategorizedText',
];
const SHORT = [
  'billingAddress',
  'customerEmailAddress',
  'customerName',
  'customerPurchaseIp',
  'duplicateChargeId',
  'serviceDate',
  'shippingAddress',
  'shippingCarrier',
  'shippingDate',
  'shippingTrackingNumber',
];
/** Stripe's update request: 20,000 on the eight long text fields, 5,000 on the ten short ones (OpenAPI 2023-08-16). */
const STRIPE_FIELDS = Object.fromEntries([...LONG.map((f) => [f, 20_000]), ...SHORT.map((f) => [f, 5_000])]);
const MB = 1024 * 1024;

describe('evidence rules per provider', () => {
  it('Stripe: every field, its per-field and total limits, the three enhanced programs, metadata, file totals; no clearing', async () => {
    expect(await rulesOf('STRIPE')).toEqual({
      fields: EVIDENCE_FIELDS,
      staging: true,
      resubmission: false,
      clearing: false,
      maxFileBytes: 5 * MB,
      fileContentTypes: ['application/pdf', 'image/png', 'image/jpeg'],
      maxTextCharacters: 150_000,
      fieldMaxCharacters: STRIPE_FIELDS,
      enhancedPrograms: ENHANCED_PROGRAMS,
      metadata: { maxKeys: 50, maxKeyLength: 40, maxValueLength: 500 },
      fileTotals: { maxBytes: 4_718_592, maxPages: 49, maxPagesMastercard: 19 },
    });
    expect(Object.keys(STRIPE_FIELDS)).toHaveLength(18);
  });

  it('WooshPay: Stripe’s field limits (its hash mirrors Stripe’s), no enhanced evidence, no metadata, no clearing', async () => {
    expect(await rulesOf('WOOSHPAY')).toEqual({
      fields: EVIDENCE_FIELDS,
      staging: true,
      resubmission: false,
      clearing: false,
      maxFileBytes: 5 * MB,
      fileContentTypes: ['application/pdf', 'image/png', 'image/jpeg'],
      maxTextCharacters: 150_000,
      fieldMaxCharacters: STRIPE_FIELDS,
    });
  });

  it('Flex: Stripe’s field limits, its own files, no total, no enhanced evidence, no metadata, no clearing', async () => {
    expect(await rulesOf('FLEX')).toEqual({
      fields: EVIDENCE_FIELDS,
      staging: true,
      resubmission: false,
      clearing: false,
      maxFileBytes: 5 * MB,
      fileContentTypes: ['application/pdf', 'image/png', 'image/jpeg'],
      maxTextCharacters: null,
      fieldMaxCharacters: STRIPE_FIELDS,
    });
  });

  it('Afterpay: its eleven fields, 5,000 on the four its reference limits, files under 10 MB incl. GIF', async () => {
    const rules = await rulesOf('AFTERPAY');
    expect(rules).toMatchObject({
      staging: false,
      resubmission: false,
      clearing: false,
      maxFileBytes: 10 * MB - 1,
      fileContentTypes: ['image/gif', 'application/pdf', 'image/jpeg', 'image/png'],
      maxTextCharacters: null,
      fieldMaxCharacters: { productDescription: 5_000, shippingAddress: 5_000, shippingDate: 5_000, shippingCarrier: 5_000 },
    });
    expect(rules.fields).toHaveLength(11);
    expect(rules.enhancedPrograms).toBeUndefined();
    expect(rules.metadata).toBeUndefined();
    expect(rules.fileTotals).toBeUndefined();
  });

  it('declares per-field limits only for fields the provider takes', async () => {
    for (const def of PROVIDER_DEFINITIONS) {
      const rules = await rulesOf(def.name);
      for (const f of Object.keys(rules.fieldMaxCharacters ?? {})) expect(rules.fields, `${def.name} ${f}`).toContain(f);
    }
  });
});
