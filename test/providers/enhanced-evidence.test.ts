// Issue 27 on the wire: Stripe's enhanced evidence (Visa CE 3.0, Visa and Mastercard compliance),
// metadata and per-field limits sent by the Stripe client to the Stripe fake, which checks them as
// Stripe's spec says (and changes nothing when it refuses); the appeal statuses, eligibility and
// submission method read back through the client; the providers without them refusing visibly.
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotSupported, ProviderError } from '../../src/domain/errors.js';
import type { EnhancedEvidenceUpdate } from '../../src/domain/dispute.js';
import { silentLogger } from '../../src/logger.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { StripeClient } from '../../src/providers/stripe/client.js';
import { stripe } from '../../src/providers/stripe/index.js';
import { sandboxEpoch } from '../../src/sandbox/random.js';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';
import { emptyEnhancedEvidence, seedStripeAppeals, seedStripeOpenCe3 } from '../../src/sandbox/stripe-shape/seed.js';
import { StripeFake } from '../../src/sandbox/stripe-shape/server.js';
import type { StripeDispute } from '../../src/providers/kit/stripe-wire.js';

const KEY = 'sk_test_enhancedEvidence0000000000000';
let agent: Agent;
beforeAll(() => {
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
});

/** An open CE 3.0 dispute, the same as a Visa and a Mastercard compliance dispute, one eligible for nothing, and the two appeals. */
function disputes() {
  const epoch = sandboxEpoch();
  const ce3 = seedStripeOpenCe3(21, epoch);
  const compliance = (program: 'visa_compliance' | 'mastercard_compliance', id: string): StripeDispute => {
    const d = structuredClone(ce3);
    Object.assign(d, { id, reason: 'noncompliant', enhanced_eligibility_types: [program] });
    d.evidence.enhanced_evidence = emptyEnhancedEvidence([program]);
    d.evidence_details.enhanced_eligibility = { [program]: { status: 'requires_fee_acknowledgement' } };
    if (program === 'mastercard_compliance')
      d.payment_method_details = { type: 'card', card: { brand: 'mastercard', network: 'mastercard', network_reason_code: null } };
    return d;
  };
  const plain = structuredClone(ce3);
  Object.assign(plain, { id: 'du_plainNotEligible00000001', reason: 'product_not_received', enhanced_eligibility_types: [] });
  plain.evidence.enhanced_evidence = {};
  plain.evidence_details.enhanced_eligibility = {};
  const [appealOpen, appealReview] = seedStripeAppeals(21, epoch);
  return {
    all: [
      ce3,
      compliance('visa_compliance', 'du_visaCompliance000000001'),
      compliance('mastercard_compliance', 'du_mcCompliance00000000001'),
      plain,
      appealOpen!,
      appealReview!,
    ],
    ids: {
      ce3: ce3.id,
      visa: 'du_visaCompliance000000001',
      mastercard: 'du_mcCompliance00000000001',
      plain: plain.id,
      appealOpen: appealOpen!.id,
      appealReview: appealReview!.id,
    },
  };
}

async function start() {
  const { all, ids } = disputes();
  const fake = new StripeFake(KEY, all);
  const url = await fake.start();
  const client = new StripeClient(stripe.configFromEnv({ STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: url, STRIPE_RATE_LIMIT: '0' })!, {
    dispatcher: agent,
    logger: silentLogger,
  });
  /** A raw form POST to the update, as Stripe's form names it. */
  const post = async (id: string, form: [string, string][]) => {
    const res = await fetch(`${url}/v1/disputes/${id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return {
      status: res.status,
      body: (await res.json()) as { error?: { type: string; code?: string; param?: string; message: string } } & Partial<StripeDispute>,
    };
  };
  /** The form keys (and values) of the last update the fake received. */
  const lastForm = () => [...new URLSearchParams(fake.server.requests.at(-1)!.body)];
  return { fake, client, ids, post, lastForm };
}

const P = 'evidence[enhanced_evidence][visa_compelling_evidence_3]';
const DT = `${P}[disputed_transaction]`;
const PRIOR = (i: number) => `${P}[prior_undisputed_transactions][${i}]`;
const address = (at: string): [string, string][] => [
  [`${at}[shipping_address][city]`, 'Austin'],
  [`${at}[shipping_address][country]`, 'US'],
  [`${at}[shipping_address][line1]`, '1 Main St'],
  [`${at}[shipping_address][line2]`, 'Unit 2'],
  [`${at}[shipping_address][postal_code]`, '78701'],
  [`${at}[shipping_address][state]`, 'TX'],
];
/** A CE 3.0 block Stripe takes: device ids long enough, exactly two prior transactions with charges, whole addresses. */
const validCe3 = (): [string, string][] => [
  [`${DT}[customer_device_id]`, '356938035643809'],
  [`${DT}[merchandise_or_services]`, 'merchandise'],
  [`${DT}[product_description]`, 'Headphones'],
  ...address(DT),
  [`${PRIOR(0)}[charge]`, 'ch_prior0'],
  [`${PRIOR(0)}[customer_device_id]`, '356938035643809'],
  [`${PRIOR(0)}[product_description]`, 'Case'],
  [`${PRIOR(1)}[charge]`, 'ch_prior1'],
  [`${PRIOR(1)}[customer_device_id]`, '356938035643809'],
  [`${PRIOR(1)}[product_description]`, 'Cable'],
];
const without = (form: [string, string][], ...keys: string[]) => form.filter(([k]) => !keys.some((x) => k === x || k.startsWith(`${x}[`)));
const setting = (form: [string, string][], key: string, value: string): [string, string][] => [...without(form, key), [key, value]];

describe('Stripe fake: CE 3.0 by Stripe’s rules', () => {
  it('takes a valid block (a device id of exactly 15), stages it, and the client reads it back in camelCase', async () => {
    const { fake, ids, post, client } = await start();
    try {
      const r = await post(ids.ce3, [...validCe3(), ['submit', 'false']]);
      expect(r.status).toBe(200);
      const d = (await client.retrieve(ids.ce3))!;
      expect(d.status).toBe('NEEDS_RESPONSE');
      const ce3 = d.evidence.enhancedEvidence!.visaCompellingEvidence3!;
      expect(ce3.disputedTransaction).toEqual({
        customerAccountId: null,
        customerDeviceFingerprint: null,
        customerDeviceId: '356938035643809',
        customerEmailAddress: null,
        customerPurchaseIp: null,
        productDescription: 'Headphones',
        merchandiseOrServices: 'MERCHANDISE',
        shippingAddress: { city: 'Austin', country: 'US', line1: '1 Main St', line2: 'Unit 2', postalCode: '78701', state: 'TX' },
      });
      expect(ce3.priorUndisputedTransactions.map((t) => [t.charge, t.productDescription])).toEqual([
        ['ch_prior0', 'Case'],
        ['ch_prior1', 'Cable'],
      ]);
      // Stripe documents no transition of CE 3.0's eligibility on staging: it stays as seeded.
      expect(d.evidenceDetails.enhancedEligibility).toEqual({
        visaCompellingEvidence3: { status: 'requires_action', requiredActions: ['missing_merchandise_or_services', 'missing_prior_undisputed_transactions'] },
        visaCompliance: null,
        mastercardCompliance: null,
      });
      expect(d.evidenceDetails.hasEvidence).toBe(true);
      // Submitting it (whole addresses) is taken.
      expect((await post(ids.ce3, [['submit', 'true']])).body.status).toBe('under_review');
      expect(fake.get(ids.ce3)!.evidence_details.submission_count).toBe(1);
    } finally {
      await fake.close();
    }
  });

  it.each([
    ['a device id under 15 characters', setting(validCe3(), `${DT}[customer_device_id]`, '35693803564380'), undefined, `${DT}[customer_device_id]`],
    [
      'a device fingerprint under 20 characters',
      [...validCe3(), [`${PRIOR(0)}[customer_device_fingerprint]`, 'f'.repeat(19)]],
      undefined,
      `${PRIOR(0)}[customer_device_fingerprint]`,
    ],
    ['one prior transaction', without(validCe3(), PRIOR(1)), undefined, `${P}[prior_undisputed_transactions]`],
    ['three prior transactions', [...validCe3(), [`${PRIOR(2)}[charge]`, 'ch_prior2']], undefined, `${P}[prior_undisputed_transactions]`],
    ['a prior transaction without its charge', without(validCe3(), `${PRIOR(1)}[charge]`), 'parameter_missing', `${PRIOR(1)}[charge]`],
    [
      'merchandise_or_services other than merchandise or services',
      setting(validCe3(), `${DT}[merchandise_or_services]`, 'goods'),
      undefined,
      `${DT}[merchandise_or_services]`,
    ],
    [
      'merchandise_or_services unset ("" where it is not Emptyable)',
      setting(validCe3(), `${DT}[merchandise_or_services]`, ''),
      'parameter_invalid_empty',
      `${DT}[merchandise_or_services]`,
    ],
    [
      'merchandise_or_services on a prior transaction',
      [...validCe3(), [`${PRIOR(0)}[merchandise_or_services]`, 'merchandise']],
      'parameter_unknown',
      `${PRIOR(0)}[merchandise_or_services]`,
    ],
    ['an unknown shipping address field', [...validCe3(), [`${DT}[shipping_address][zip]`, '78701']], 'parameter_unknown', `${DT}[shipping_address][zip]`],
    [
      'a program the dispute is not eligible for',
      [...validCe3(), ['evidence[enhanced_evidence][visa_compliance][fee_acknowledged]', 'true']],
      undefined,
      'evidence[enhanced_evidence][visa_compliance]',
    ],
  ] as [string, [string, string][], string | undefined, string][])('refuses %s with Stripe’s 400, changing nothing', async (_, form, code, param) => {
    const { fake, ids, post } = await start();
    try {
      const before = fake.get(ids.ce3);
      const r = await post(ids.ce3, [...form, ['submit', 'false']]);
      expect(r.status).toBe(400);
      expect(r.body.error).toEqual({ type: 'invalid_request_error', message: expect.any(String), param, ...(code && { code }) });
      expect(fake.get(ids.ce3)).toEqual(before);
    } finally {
      await fake.close();
    }
  });

  it('refuses to submit a CE 3.0 block whose shipping address lacks a field ("All fields are required … for submission"), staging it is taken', async () => {
    const { fake, ids, post } = await start();
    try {
      const partial = without(validCe3(), `${DT}[shipping_address][line2]`);
      const submitted = await post(ids.ce3, [...partial, ['submit', 'true']]);
      expect(submitted.status).toBe(400);
      expect(submitted.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_missing', param: `${DT}[shipping_address][line2]` });
      expect(fake.get(ids.ce3)!.status).toBe('needs_response');
      expect((await post(ids.ce3, [...partial, ['submit', 'false']])).status).toBe(200);
    } finally {
      await fake.close();
    }
  });

  it('refuses enhanced evidence on a dispute eligible for no program, through the client as a ProviderError naming it', async () => {
    const { fake, ids, client } = await start();
    try {
      const err = await client
        .updateEvidence(ids.plain, { evidence: {}, enhancedEvidence: { visaCompliance: { feeAcknowledged: true } }, submit: false, idempotencyKey: 'k-plain' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ provider: 'STRIPE', status: 400, providerCode: 'invalid_request_error' });
      expect((err as Error).message).toContain('visa_compliance');
    } finally {
      await fake.close();
    }
  });
});

describe('Stripe client: enhanced evidence on the wire', () => {
  it('form-encodes CE 3.0 exactly as Stripe names it, lowercase values, and "" for an identifier to unset', async () => {
    const { fake, ids, client, lastForm } = await start();
    try {
      const who = { customerAccountId: 'user-42', customerEmailAddress: 'ada@example.com' };
      const shippingAddress = { city: 'Austin', country: 'US', line1: '1 Main St', line2: 'Unit 2', postalCode: '78701', state: 'TX' };
      const enhancedEvidence: EnhancedEvidenceUpdate = {
        visaCompellingEvidence3: {
          disputedTransaction: { ...who, customerDeviceId: '356938035643809', merchandiseOrServices: 'SERVICES', shippingAddress },
          priorUndisputedTransactions: [
            { ...who, charge: 'ch_prior0', customerPurchaseIp: '203.0.113.7' },
            { ...who, charge: 'ch_prior1', customerDeviceFingerprint: null },
          ],
        },
      };
      const d = await client.updateEvidence(ids.ce3, { evidence: { productDescription: 'Lessons' }, enhancedEvidence, submit: false, idempotencyKey: 'k-ce3' });
      expect(lastForm()).toEqual([
        ['evidence[product_description]', 'Lessons'],
        [`${DT}[customer_account_id]`, 'user-42'],
        [`${DT}[customer_device_id]`, '356938035643809'],
        [`${DT}[customer_email_address]`, 'ada@example.com'],
        [`${DT}[shipping_address][city]`, 'Austin'],
        [`${DT}[shipping_address][country]`, 'US'],
        [`${DT}[shipping_address][line1]`, '1 Main St'],
        [`${DT}[shipping_address][line2]`, 'Unit 2'],
        [`${DT}[shipping_address][postal_code]`, '78701'],
        [`${DT}[shipping_address][state]`, 'TX'],
        [`${DT}[merchandise_or_services]`, 'services'],
        [`${PRIOR(0)}[charge]`, 'ch_prior0'],
        [`${PRIOR(0)}[customer_account_id]`, 'user-42'],
        [`${PRIOR(0)}[customer_email_address]`, 'ada@example.com'],
        [`${PRIOR(0)}[customer_purchase_ip]`, '203.0.113.7'],
        [`${PRIOR(1)}[charge]`, 'ch_prior1'],
        [`${PRIOR(1)}[customer_account_id]`, 'user-42'],
        [`${PRIOR(1)}[customer_device_fingerprint]`, ''],
        [`${PRIOR(1)}[customer_email_address]`, 'ada@example.com'],
        ['submit', 'false'],
      ]);
      expect(d.evidence.enhancedEvidence!.visaCompellingEvidence3!.disputedTransaction).toMatchObject({ merchandiseOrServices: 'SERVICES', shippingAddress });
      expect(d.evidence.enhancedEvidence!.visaCompellingEvidence3!.priorUndisputedTransactions.map((t) => t.charge)).toEqual(['ch_prior0', 'ch_prior1']);
      expect(d.evidence.productDescription).toBe('Lessons');
    } finally {
      await fake.close();
    }
  });

  it.each([
    ['visa', 'visaCompliance', 'visa_compliance'],
    ['mastercard', 'mastercardCompliance', 'mastercard_compliance'],
  ] as const)(
    '%s compliance: submitting is refused until the fee is acknowledged; acknowledging moves its eligibility to fee_acknowledged',
    async (which, key, program) => {
      const { fake, ids, client, post, lastForm } = await start();
      try {
        const id = ids[which];
        const refused = await post(id, [['submit', 'true']]);
        expect(refused.status).toBe(400);
        expect(refused.body.error).toMatchObject({ type: 'invalid_request_error', param: `evidence[enhanced_evidence][${program}][fee_acknowledged]` });
        expect(refused.body.error!.code).toBeUndefined();
        expect(fake.get(id)!.status).toBe('needs_response');

        const acknowledged = await client.updateEvidence(id, {
          evidence: {},
          enhancedEvidence: { [key]: { feeAcknowledged: true } },
          submit: false,
          idempotencyKey: `k-${program}`,
        });
        expect(lastForm()).toEqual([
          [`evidence[enhanced_evidence][${program}][fee_acknowledged]`, 'true'],
          ['submit', 'false'],
        ]);
        expect(acknowledged.evidence.enhancedEvidence![key]).toEqual({ feeAcknowledged: true });
        expect(acknowledged.evidenceDetails.enhancedEligibility![key]).toEqual({ status: 'fee_acknowledged' });
        const submitted = await client.updateEvidence(id, {
          evidence: { uncategorizedText: 'Compliant.' },
          submit: true,
          idempotencyKey: `k-${program}-submit`,
        });
        expect(submitted.status).toBe('UNDER_REVIEW');
      } finally {
        await fake.close();
      }
    },
  );
});

describe('Stripe: metadata staged and cleared on the wire', () => {
  it('sends metadata[key]=value, and metadata[key]= to remove a key, which the fake then drops', async () => {
    const { fake, ids, client, lastForm } = await start();
    try {
      const staged = await client.updateEvidence(ids.plain, { evidence: {}, metadata: { order: 'A-1', note: 'first' }, submit: false, idempotencyKey: 'k-m1' });
      expect(lastForm()).toEqual([
        ['metadata[order]', 'A-1'],
        ['metadata[note]', 'first'],
        ['submit', 'false'],
      ]);
      expect(staged.metadata).toEqual({ order: 'A-1', note: 'first' });
      const cleared = await client.updateEvidence(ids.plain, { evidence: {}, metadata: { note: null }, submit: false, idempotencyKey: 'k-m2' });
      expect(fake.server.requests.at(-1)!.body).toBe('metadata%5Bnote%5D=&submit=false');
      expect(cleared.metadata).toEqual({ order: 'A-1' });
      expect(fake.get(ids.plain)!.metadata).toEqual({ order: 'A-1' });
      expect(fake.get(ids.plain)!.status).toBe('needs_response');
    } finally {
      await fake.close();
    }
  });

  it.each([
    ['a key of 41 characters', `metadata[${'k'.repeat(41)}]`],
    ['a value of 501 characters', 'metadata[note]'],
    ['a 51st key', 'metadata'],
  ])('refuses %s with a 400 and keeps the metadata it had', async (what, param) => {
    const { fake, ids, post } = await start();
    try {
      // The limits themselves are taken: a 40-character key, a 500-character value (emoji counted once), 50 keys.
      const full: [string, string][] = [
        [`metadata[${'k'.repeat(40)}]`, '😀'.repeat(500)],
        ...Array.from({ length: 49 }, (_, i): [string, string] => [`metadata[k${i}]`, 'v']),
      ];
      expect((await post(ids.plain, full)).status).toBe(200);
      expect(Object.keys(fake.get(ids.plain)!.metadata)).toHaveLength(50);
      // Removing one and adding one keeps 50: taken.
      expect(
        (
          await post(ids.plain, [
            ['metadata[k0]', ''],
            ['metadata[other]', 'v'],
          ])
        ).status,
      ).toBe(200);
      const before = fake.get(ids.plain)!.metadata;
      const form: [string, string][] =
        what === 'a key of 41 characters' ? [[param, 'v']] : what === 'a value of 501 characters' ? [[param, 'v'.repeat(501)]] : [['metadata[one_more]', 'v']];
      const over = await post(ids.plain, form);
      expect(over.status).toBe(400);
      expect(over.body.error).toMatchObject({ type: 'invalid_request_error', param });
      expect(fake.get(ids.plain)!.metadata).toEqual(before);
    } finally {
      await fake.close();
    }
  });
});

describe('Stripe fake: per-field limits, counted in code points', () => {
  it.each([
    ['product_description', 20_000],
    ['uncategorized_text', 20_000],
    ['customer_name', 5_000],
    ['shipping_tracking_number', 5_000],
  ])('%s: %i characters taken (astral ones counted once), one more refused', async (field, max) => {
    const { fake, ids, post } = await start();
    try {
      expect(
        (
          await post(ids.plain, [
            [`evidence[${field}]`, 'a'.repeat(max)],
            ['submit', 'false'],
          ])
        ).status,
      ).toBe(200);
      expect(
        (
          await post(ids.plain, [
            [`evidence[${field}]`, '😀'.repeat(max)],
            ['submit', 'false'],
          ])
        ).status,
      ).toBe(200);
      const before = fake.get(ids.plain);
      const over = await post(ids.plain, [
        [`evidence[${field}]`, '😀'.repeat(max + 1)],
        ['submit', 'false'],
      ]);
      expect(over.status).toBe(400);
      expect(over.body.error).toEqual({
        type: 'invalid_request_error',
        message: expect.stringContaining(`at most ${max} characters`),
        param: `evidence[${field}]`,
      });
      expect(fake.get(ids.plain)).toEqual(before);
    } finally {
      await fake.close();
    }
  });

  it('refuses "" for an evidence field (not Emptyable in Stripe’s request schema): parameter_invalid_empty, through the client too', async () => {
    const { fake, ids, client, post } = await start();
    try {
      await post(ids.plain, [
        ['evidence[customer_name]', 'Ada'],
        ['submit', 'false'],
      ]);
      const raw = await post(ids.plain, [
        ['evidence[customer_name]', ''],
        ['submit', 'false'],
      ]);
      expect(raw.status).toBe(400);
      expect(raw.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid_empty', param: 'evidence[customer_name]' });
      const err = await client
        .updateEvidence(ids.plain, { evidence: { customerName: null }, submit: false, idempotencyKey: 'k-clear' })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ provider: 'STRIPE', status: 400, providerCode: 'parameter_invalid_empty' });
      expect(fake.get(ids.plain)!.evidence.customer_name).toBe('Ada');
      expect(client.capabilities.evidence!.clearing).toBe(false);
    } finally {
      await fake.close();
    }
  });
});

describe('Stripe client: appeal statuses, eligibility and submission method read back', () => {
  it('maps the appeal statuses (raw value kept) and reads evidence_details as the fake holds them', async () => {
    const { fake, ids, client, post } = await start();
    try {
      const open = (await client.retrieve(ids.appealOpen))!;
      expect([open.status, open.providerStatus]).toEqual(['APPEAL_NEEDS_RESPONSE', 'appeal_needs_response']);
      expect(open.evidenceDetails).toMatchObject({ submissionMethod: 'manual', submissionCount: 1, intendedSubmissionMethod: null });
      expect(open.evidenceDetails.dueBy!.getTime()).toBeGreaterThan(Date.now());
      const review = (await client.retrieve(ids.appealReview))!;
      expect([review.status, review.providerStatus]).toEqual(['APPEAL_UNDER_REVIEW', 'appeal_under_review']);
      const listed = (await client.list({ limit: 10, filter: {} })).items.map((i) => i.dispute.status);
      expect(listed).toEqual(expect.arrayContaining(['APPEAL_NEEDS_RESPONSE', 'APPEAL_UNDER_REVIEW']));
      // Evidence other than the appeal's is frozen in an appeal: the fake takes none.
      expect((await post(ids.appealOpen, [['evidence[customer_name]', 'Ada']])).status).toBe(400);

      const ce3 = (await client.retrieve(ids.ce3))!;
      expect(ce3.enhancedEligibilityTypes).toEqual(['visa_compelling_evidence_3']);
      expect(ce3.evidence.enhancedEvidence).toEqual({
        visaCompellingEvidence3: { disputedTransaction: null, priorUndisputedTransactions: [] },
        visaCompliance: null,
        mastercardCompliance: null,
      });
      expect(ce3.evidenceDetails.submissionMethod).toBe('not_submitted');
      const visa = (await client.retrieve(ids.visa))!;
      expect(visa.evidenceDetails.enhancedEligibility).toEqual({
        visaCompellingEvidence3: null,
        visaCompliance: { status: 'requires_fee_acknowledgement' },
        mastercardCompliance: null,
      });
      expect(visa.evidence.enhancedEvidence!.visaCompliance).toEqual({ feeAcknowledged: false });
    } finally {
      await fake.close();
    }
  });
});

describe('providers without enhanced evidence or metadata', () => {
  it('WooshPay’s fake takes no evidence[enhanced_evidence]: an unknown parameter', async () => {
    const fake = await sandboxProviderOf('WOOSHPAY').startFake({ seed: 3, count: 30 });
    try {
      const client = PROVIDER_DEFINITIONS.find((d) => d.name === 'WOOSHPAY')!;
      const c = client.create(client.configFromEnv(fake.env)!, { dispatcher: agent, logger: silentLogger });
      const open = (await c.list({ limit: 30, filter: {} })).items.find((i) => i.dispute.status === 'NEEDS_RESPONSE')!.dispute.providerDisputeId;
      const res = await fetch(`${fake.url}/v1/disputes/${open}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fake.env.WOOSHPAY_SECRET_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'evidence%5Benhanced_evidence%5D%5Bvisa_compliance%5D%5Bfee_acknowledged%5D=true&submit=false',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'parameter_unknown', param: 'evidence[enhanced_evidence]' });
    } finally {
      await fake.close();
    }
  });

  it.each(['WOOSHPAY', 'FLEX', 'AFTERPAY'] as const)(
    '%s: an update carrying enhanced evidence or metadata is NOT_SUPPORTED, and nothing is sent',
    async (name) => {
      const fake = await sandboxProviderOf(name).startFake({ seed: 3, count: 10 });
      try {
        const def = PROVIDER_DEFINITIONS.find((d) => d.name === name)!;
        const client = def.create(def.configFromEnv(fake.env)!, { dispatcher: agent, logger: silentLogger });
        expect(client.capabilities.evidence!.enhancedPrograms).toBeUndefined();
        expect(client.capabilities.evidence!.metadata).toBeUndefined();
        const before = fake.server.received;
        for (const extra of [{ enhancedEvidence: { visaCompliance: { feeAcknowledged: true } } }, { metadata: { order: 'A-1' } }]) {
          const err = await client.updateEvidence!('dp_any', { evidence: { productDescription: 'x' }, ...extra, submit: true, idempotencyKey: 'k-x' }).catch(
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(NotSupported);
        }
        expect(fake.server.received).toBe(before);
      } finally {
        await fake.close();
      }
    },
  );
});
