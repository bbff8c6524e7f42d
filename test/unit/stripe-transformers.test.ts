// Stripe wire -> unified model: pure, table-driven, from the documents' own examples.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DISPUTE_REASONS, DISPUTE_STATUSES } from '../../src/domain/dispute.js';
import { mapStripeReason, mapStripeStatus, stripeListParams } from '../../src/providers/kit/stripe-shape.js';
import { stripeToDispute } from '../../src/providers/stripe/transformers.js';
import { STRIPE_REASONS, STRIPE_STATUSES } from '../../src/providers/kit/stripe-wire.js';
import { MalformedUpstream } from '../../src/providers/wire.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/stripe/${name}`, import.meta.url), 'utf8'));
const docsExample = fixture('dispute-docs-example.json');
const fixture2026 = fixture('dispute-2026-fixture.json');
// Written for issue 27 (not a Stripe sample): the 2026 fixture with every enhanced field filled as
// stripe-node v22.5.0 types them (enhanced_evidence, enhanced_eligibility), evidence_details.
// submission_method (Stripe's changelog, 2025-06-30.preview), intended_submission_method
// (2025-09-30.preview) and an appeal status (2026-09-30.preview / 2026-10-28.endive).
const enhanced = fixture('dispute-enhanced-fixture.json');

describe('stripeToDispute', () => {
  it('reads the documented retrieve example', () => {
    const d = stripeToDispute(docsExample, 'default');
    expect(d).toMatchObject({
      provider: 'STRIPE',
      providerAccount: 'default',
      providerDisputeId: 'du_1MtJUT2eZvKYlo2CNaw2HvEv',
      amount: 1000,
      currency: 'usd',
      status: 'WARNING_NEEDS_RESPONSE',
      providerStatus: 'warning_needs_response',
      reason: 'GENERAL',
      providerReason: 'general',
      created: new Date(1680651737 * 1000),
      charge: 'ch_1AZtxr2eZvKYlo2CJDX8whov',
      paymentIntent: null,
      isChargeRefundable: true,
      livemode: false,
      metadata: {},
      balanceTransactions: [],
      paymentMethodDetails: null,
      networkReasonCode: null,
      enhancedEligibilityTypes: [],
    });
    // The 2023 example predates enhanced evidence and submission methods: each reads as null.
    expect(d.evidenceDetails).toEqual({
      dueBy: new Date(1682294399 * 1000),
      hasEvidence: false,
      pastDue: false,
      submissionCount: 0,
      enhancedEligibility: null,
      submissionMethod: null,
      intendedSubmissionMethod: null,
    });
    expect(Object.keys(d.evidence)).toHaveLength(28);
    expect(d.evidence.enhancedEvidence).toBeNull();
    expect(Object.values(d.evidence).every((v) => v === null)).toBe(true);
  });

  it('reads the 2026 fixture: payment method details, network reason code, eligibility', () => {
    const d = stripeToDispute(fixture2026, 'acct_slot');
    expect(d.providerAccount).toBe('acct_slot');
    expect(d.paymentMethodDetails).toEqual({
      type: 'card',
      card: { brand: 'visa', network: 'visa', caseType: 'inquiry', networkReasonCode: '10.4' },
      klarna: null,
      paypal: null,
      amazonPay: null,
    });
    expect(d.networkReasonCode).toBe('10.4');
    expect(d.enhancedEligibilityTypes).toEqual(['visa_compelling_evidence_3']);
  });

  it('reads evidence file fields as ids or as expanded file objects', () => {
    const raw = structuredClone(docsExample);
    raw.evidence.receipt = 'file_123';
    raw.evidence.customer_signature = { id: 'file_456', object: 'file', filename: 'signature.pdf' };
    raw.evidence.customer_name = 'Ada';
    const d = stripeToDispute(raw, 'default');
    expect(d.evidence.receipt).toEqual({ id: 'file_123', filename: null });
    expect(d.evidence.customerSignature).toEqual({ id: 'file_456', filename: 'signature.pdf' });
    expect(d.evidence.customerName).toBe('Ada');
  });

  it('reads expanded charge and payment_intent objects as their ids', () => {
    const raw = { ...structuredClone(docsExample), charge: { id: 'ch_x', object: 'charge' }, payment_intent: { id: 'pi_x' } };
    const d = stripeToDispute(raw, 'default');
    expect([d.charge, d.paymentIntent]).toEqual(['ch_x', 'pi_x']);
  });

  it('treats due_by 0 (no response allowed) and null as no deadline', () => {
    for (const due of [0, null]) {
      const raw = structuredClone(docsExample);
      raw.evidence_details.due_by = due;
      expect(stripeToDispute(raw, 'default').evidenceDetails.dueBy).toBeNull();
    }
  });

  it('lowercases the currency and keeps balance transactions whole', () => {
    const raw = structuredClone(docsExample);
    raw.currency = 'JPY';
    raw.balance_transactions = [
      {
        id: 'txn_1',
        object: 'balance_transaction',
        amount: -5000,
        available_on: 1680700000,
        created: 1680651737,
        currency: 'jpy',
        description: 'Chargeback withdrawal',
        exchange_rate: null,
        fee: 2000,
        fee_details: [{ amount: 2000, application: null, currency: 'jpy', description: 'Dispute fee', type: 'stripe_fee' }],
        net: -7000,
        reporting_category: 'dispute',
        source: 'du_1',
        status: 'available',
        type: 'adjustment',
      },
    ];
    const d = stripeToDispute(raw, 'default');
    expect(d.currency).toBe('jpy');
    expect(d.balanceTransactions[0]).toEqual({
      id: 'txn_1',
      amount: -5000,
      currency: 'jpy',
      fee: 2000,
      net: -7000,
      status: 'available',
      type: 'adjustment',
      reportingCategory: 'dispute',
      description: 'Chargeback withdrawal',
      created: new Date(1680651737000),
      availableOn: new Date(1680700000000),
      feeDetails: [{ amount: 2000, currency: 'jpy', type: 'stripe_fee', description: 'Dispute fee' }],
    });
  });

  it.each([
    ['id', 42, 'dispute.id'],
    ['amount', 10.5, 'dispute.amount'],
    ['amount', '1000', 'dispute.amount'],
    ['created', '1680651737', 'dispute.created'],
    ['status', null, 'dispute.status'],
    ['livemode', 'false', 'dispute.livemode'],
    ['evidence_details', null, 'dispute.evidence_details'],
    ['balance_transactions', {}, 'dispute.balance_transactions'],
  ])('rejects %s = %j, naming the path', (field, value, path) => {
    const raw = { ...structuredClone(docsExample), [field]: value };
    expect(() => stripeToDispute(raw, 'default')).toThrowError(MalformedUpstream);
    expect(() => stripeToDispute(raw, 'default')).toThrowError(path);
  });
});

describe('enhanced evidence, eligibility, submission methods and appeal statuses', () => {
  it('reads each one from the fixture, in camelCase, values kept as Stripe sends them (merchandise_or_services upper-cased)', () => {
    const d = stripeToDispute(enhanced, 'default');
    expect([d.status, d.providerStatus]).toEqual(['APPEAL_NEEDS_RESPONSE', 'appeal_needs_response']);
    expect(d.enhancedEligibilityTypes).toEqual(['visa_compelling_evidence_3', 'visa_compliance', 'mastercard_compliance']);
    const who = {
      customerAccountId: 'user-42',
      customerDeviceFingerprint: null,
      customerDeviceId: '356938035643809',
      customerEmailAddress: 'ada@example.com',
      customerPurchaseIp: '203.0.113.9',
    };
    const address = { city: 'Austin', country: 'US', line1: '1 Main St', line2: null, postalCode: '78701', state: 'TX' };
    expect(d.evidence.enhancedEvidence).toEqual({
      visaCompellingEvidence3: {
        disputedTransaction: { ...who, productDescription: 'Headphones', shippingAddress: address, merchandiseOrServices: 'MERCHANDISE' },
        priorUndisputedTransactions: [
          { ...who, productDescription: 'Case', shippingAddress: null, charge: 'ch_prior0' },
          { ...who, productDescription: 'Cable', shippingAddress: address, charge: 'ch_prior1' },
        ],
      },
      visaCompliance: { feeAcknowledged: true },
      mastercardCompliance: { feeAcknowledged: false },
    });
    expect(d.evidenceDetails).toMatchObject({
      enhancedEligibility: {
        visaCompellingEvidence3: { status: 'requires_action', requiredActions: ['missing_prior_undisputed_transaction_description'] },
        visaCompliance: { status: 'fee_acknowledged' },
        mastercardCompliance: { status: 'requires_fee_acknowledgement' },
      },
      submissionMethod: 'smart_disputes',
      intendedSubmissionMethod: 'prefer_manual',
    });
  });

  it('maps appeal_under_review too, and reads {} as no program, an absent one as null', () => {
    const raw = { ...structuredClone(fixture2026), status: 'appeal_under_review' };
    const d = stripeToDispute(raw, 'default');
    expect([d.status, d.providerStatus]).toEqual(['APPEAL_UNDER_REVIEW', 'appeal_under_review']);
    expect(d.evidence.enhancedEvidence).toEqual({ visaCompellingEvidence3: null, visaCompliance: null, mastercardCompliance: null });
    expect(d.evidenceDetails.enhancedEligibility).toEqual({ visaCompellingEvidence3: null, visaCompliance: null, mastercardCompliance: null });
    expect(d.evidenceDetails.submissionMethod).toBeNull();
  });

  it('reads a merchandise_or_services value Stripe may add later as null, not a guess', () => {
    const raw = structuredClone(enhanced);
    raw.evidence.enhanced_evidence.visa_compelling_evidence_3.disputed_transaction.merchandise_or_services = 'digital_goods';
    expect(stripeToDispute(raw, 'default').evidence.enhancedEvidence!.visaCompellingEvidence3!.disputedTransaction!.merchandiseOrServices).toBeNull();
  });

  const CE3 = 'dispute.evidence.enhanced_evidence.visa_compelling_evidence_3';
  it.each([
    ['enhanced_evidence not an object', (r: any) => (r.evidence.enhanced_evidence = 'none'), 'dispute.evidence.enhanced_evidence'],
    [
      'a prior transaction without its charge',
      (r: any) => delete r.evidence.enhanced_evidence.visa_compelling_evidence_3.prior_undisputed_transactions[1].charge,
      `${CE3}.prior_undisputed_transactions[1].charge`,
    ],
    [
      'prior_undisputed_transactions not a list',
      (r: any) => (r.evidence.enhanced_evidence.visa_compelling_evidence_3.prior_undisputed_transactions = {}),
      `${CE3}.prior_undisputed_transactions`,
    ],
    [
      'a postal code as a number',
      (r: any) => (r.evidence.enhanced_evidence.visa_compelling_evidence_3.disputed_transaction.shipping_address.postal_code = 78701),
      `${CE3}.disputed_transaction.shipping_address.postal_code`,
    ],
    [
      'a device id as a number',
      (r: any) => (r.evidence.enhanced_evidence.visa_compelling_evidence_3.disputed_transaction.customer_device_id = 35693),
      `${CE3}.disputed_transaction.customer_device_id`,
    ],
    [
      'merchandise_or_services as a boolean',
      (r: any) => (r.evidence.enhanced_evidence.visa_compelling_evidence_3.disputed_transaction.merchandise_or_services = true),
      `${CE3}.disputed_transaction.merchandise_or_services`,
    ],
    [
      'fee_acknowledged as a string',
      (r: any) => (r.evidence.enhanced_evidence.mastercard_compliance.fee_acknowledged = 'true'),
      'dispute.evidence.enhanced_evidence.mastercard_compliance.fee_acknowledged',
    ],
    [
      'a required action as a number',
      (r: any) => (r.evidence_details.enhanced_eligibility.visa_compelling_evidence_3.required_actions[0] = 3),
      'dispute.evidence_details.enhanced_eligibility.visa_compelling_evidence_3.required_actions[0]',
    ],
    [
      'an eligibility without its status',
      (r: any) => (r.evidence_details.enhanced_eligibility.visa_compliance = {}),
      'dispute.evidence_details.enhanced_eligibility.visa_compliance.status',
    ],
    ['submission_method as a number', (r: any) => (r.evidence_details.submission_method = 1), 'dispute.evidence_details.submission_method'],
    ['intended_submission_method as an object', (r: any) => (r.intended_submission_method = {}), 'dispute.intended_submission_method'],
  ])('rejects %s, naming the exact path', (_, breakIt, path) => {
    const raw = structuredClone(enhanced);
    breakIt(raw);
    expect(() => stripeToDispute(raw, 'default')).toThrowError(MalformedUpstream);
    expect(() => stripeToDispute(raw, 'default')).toThrowError(`at ${path}:`);
  });
});

describe('status and reason mapping', () => {
  it('maps every Stripe status to its own unified status, the appeal statuses newer than the pinned version included', () => {
    expect(STRIPE_STATUSES).toEqual(expect.arrayContaining(['appeal_needs_response', 'appeal_under_review']));
    const mapped = STRIPE_STATUSES.map(mapStripeStatus);
    expect(mapped).toEqual(STRIPE_STATUSES.map((s) => s.toUpperCase()));
    for (const s of mapped) expect(DISPUTE_STATUSES).toContain(s);
  });

  it('maps every documented Stripe reason to its own unified reason', () => {
    const mapped = STRIPE_REASONS.map((r) => mapStripeReason(r));
    expect(mapped).toEqual(STRIPE_REASONS.map((r) => r.toUpperCase()));
    for (const r of mapped) expect(DISPUTE_REASONS).toContain(r);
  });

  it.each(['charge_refunded', 'something_new', 'constructor', '__proto__', ''])('maps unknown status %j to UNKNOWN and keeps the raw value', (raw) => {
    expect(mapStripeStatus(raw)).toBe('UNKNOWN');
    const d = stripeToDispute({ ...structuredClone(docsExample), status: raw, reason: raw }, 'default');
    expect([d.status, d.providerStatus, d.reason, d.providerReason]).toEqual(['UNKNOWN', raw, 'UNKNOWN', raw]);
  });
});

describe('stripeListParams', () => {
  it('maps the unified filter onto Stripe parameter names and unix seconds', () => {
    expect(
      stripeListParams({
        charge: 'ch_1',
        paymentIntent: 'pi_1',
        created: { gte: new Date('2026-01-01T00:00:00Z'), lt: new Date('2026-02-01T00:00:00.999Z') },
      }),
    ).toEqual({ charge: 'ch_1', payment_intent: 'pi_1', created: { gt: undefined, gte: 1767225600, lt: 1769904001, lte: undefined } });
  });

  it('rounds fractional bounds to the whole second that selects the same disputes', () => {
    const at = (iso: string) => new Date(iso);
    const t = 1767225642; // 2026-01-01T00:00:42Z
    const params = (created: Record<string, Date>) => stripeListParams({ created }).created;
    // Stripe's created is whole seconds: lt/gte round up, gt/lte round down.
    expect(params({ lt: at('2026-01-01T00:00:42.500Z') })).toMatchObject({ lt: t + 1 });
    expect(params({ gte: at('2026-01-01T00:00:42.500Z') })).toMatchObject({ gte: t + 1 });
    expect(params({ gt: at('2026-01-01T00:00:42.500Z') })).toMatchObject({ gt: t });
    expect(params({ lte: at('2026-01-01T00:00:42.500Z') })).toMatchObject({ lte: t });
    // Whole seconds stay as they are.
    expect(params({ lt: at('2026-01-01T00:00:42Z'), gte: at('2026-01-01T00:00:40Z') })).toMatchObject({ lt: t, gte: t - 2 });
  });
});

describe('non-card payment methods (2026 shape)', () => {
  const base = (pmd: unknown) => ({ ...JSON.parse(JSON.stringify(fixture2026)), payment_method_details: pmd, network_reason_code: null });
  it.each([
    ['klarna', { type: 'klarna', klarna: { reason_code: 'unauthorized_purchase', chargeback_loss_reason_code: 'no_response' } }, 'unauthorized_purchase'],
    ['paypal', { type: 'paypal', paypal: { case_id: 'PP-D-1', reason_code: 'UNAUTHORISED' } }, 'UNAUTHORISED'],
    ['amazon_pay', { type: 'amazon_pay', amazon_pay: { dispute_type: 'chargeback' } }, null],
  ])('%s: its own reason code as networkReasonCode', (_, pmd, code) => {
    const d = stripeToDispute(base(pmd), 'default');
    expect(d.networkReasonCode).toBe(code);
    expect(d.paymentMethodDetails!.card).toBeNull();
  });
});

describe('stripeEvidenceBody', () => {
  it('sends each field as evidence[<snake_case>], clears with an empty string, and says submit explicitly', async () => {
    const { stripeEvidenceBody, stripeEvidenceKey } = await import('../../src/providers/kit/stripe-evidence.js');
    expect(stripeEvidenceKey('customerEmailAddress')).toBe('customer_email_address');
    expect(stripeEvidenceBody({ evidence: { productDescription: 'Kettle', receipt: 'file_1', customerName: null } }, false)).toEqual({
      evidence: { product_description: 'Kettle', receipt: 'file_1', customer_name: '' },
      submit: 'false',
    });
    expect(stripeEvidenceBody({ evidence: {} }, true)).toEqual({ evidence: {}, submit: 'true' });
  });

  it('writes a null (and an empty prior list) as "", Stripe’s unset, which its fake takes only where Emptyable', async () => {
    const { stripeEvidenceBody } = await import('../../src/providers/kit/stripe-evidence.js');
    const { encodeForm } = await import('../../src/providers/form.js');
    const body = stripeEvidenceBody(
      {
        evidence: {},
        enhancedEvidence: {
          visaCompellingEvidence3: { priorUndisputedTransactions: [], disputedTransaction: { productDescription: null } },
          mastercardCompliance: { feeAcknowledged: true },
        },
        metadata: { a: null, b: 'x' },
      },
      true,
    );
    expect([...new URLSearchParams(encodeForm(body))]).toEqual([
      ['evidence[enhanced_evidence][visa_compelling_evidence_3][disputed_transaction][product_description]', ''],
      ['evidence[enhanced_evidence][visa_compelling_evidence_3][prior_undisputed_transactions]', ''],
      ['evidence[enhanced_evidence][mastercard_compliance][fee_acknowledged]', 'true'],
      ['metadata[a]', ''],
      ['metadata[b]', 'x'],
      ['submit', 'true'],
    ]);
  });
});
