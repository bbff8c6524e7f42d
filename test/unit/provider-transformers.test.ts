// WooshPay, Flex and Afterpay wire -> unified model: pure, from the documents' own examples.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DISPUTE_REASONS, DISPUTE_STATUSES } from '../../src/domain/dispute.js';
import {
  afterpayOpenedRange,
  afterpayToDispute,
  mapAfterpayReason,
  mapAfterpayStatus,
  unwrapAfterpayDispute,
} from '../../src/providers/afterpay/transformers.js';
import { AFTERPAY_REASONS, AFTERPAY_STATUSES } from '../../src/providers/afterpay/wire.js';
import { flexToDispute, readFlexList } from '../../src/providers/flex/transformers.js';
import { mapWooshPayStatus, wooshpayToDispute } from '../../src/providers/wooshpay/transformers.js';
import { WOOSHPAY_STATUSES } from '../../src/providers/wooshpay/wire.js';
import { MalformedUpstream } from '../../src/providers/wire.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
// A clock before the documented example's deadline (1692990800 = 2023-08-25).
const AP = { currency: 'usd', livemode: true, now: Date.UTC(2023, 7, 1) };

describe('WooshPay', () => {
  const example = fixture('wooshpay/close-example.json');

  it('reads the documented close response, where charge, reason and is_charge_refundable are absent', () => {
    const d = wooshpayToDispute(example, 'default');
    expect(d).toMatchObject({
      provider: 'WOOSHPAY',
      providerDisputeId: 'dp_xxxxxxxxxxxxxxxxxx',
      amount: 1000,
      currency: 'eur',
      status: 'LOST',
      providerStatus: 'lost',
      reason: 'UNKNOWN',
      providerReason: null,
      charge: null,
      paymentIntent: null,
      isChargeRefundable: null,
      created: new Date(1669643926 * 1000),
      balanceTransactions: [],
      extras: { reasonType: null, reasonDescription: null, reasonCode: null },
    });
    expect(d.evidenceDetails.dueBy).toEqual(new Date(1671321599 * 1000));
  });

  it('exposes reason_type, reason_description and reason_code, and tolerates absent balance_transactions', () => {
    const { balance_transactions: _, ...raw } = {
      ...example,
      reason_type: 'fraud',
      reason_description: 'Other Fraud',
      reason_code: '10.4',
      reason: 'fraudulent',
    };
    const d = wooshpayToDispute(raw, 'default');
    expect(d.extras).toEqual({ reasonType: 'fraud', reasonDescription: 'Other Fraud', reasonCode: '10.4' });
    expect(d.reason).toBe('FRAUDULENT');
    expect(d.balanceTransactions).toEqual([]);
  });

  it('maps every documented WooshPay status to a unified status of the same name', () => {
    expect(WOOSHPAY_STATUSES.map(mapWooshPayStatus)).toEqual(WOOSHPAY_STATUSES.map((s) => s.toUpperCase()));
    expect(mapWooshPayStatus('prevented')).toBe('UNKNOWN');
    // Its docs show no appeal statuses: Stripe's newer values stay UNKNOWN there, raw value kept.
    expect(mapWooshPayStatus('appeal_needs_response')).toBe('UNKNOWN');
  });

  it('reads the Stripe-shaped enhanced fields with the kit where present (its documents show none), else null', () => {
    expect(wooshpayToDispute(example, 'default').evidence.enhancedEvidence).toBeNull();
    const raw = structuredClone(example);
    raw.evidence.enhanced_evidence = { visa_compliance: { fee_acknowledged: true } };
    raw.evidence_details.submission_method = 'manual';
    const d = wooshpayToDispute(raw, 'default');
    expect(d.evidence.enhancedEvidence).toEqual({ visaCompellingEvidence3: null, visaCompliance: { feeAcknowledged: true }, mastercardCompliance: null });
    expect(d.evidenceDetails.submissionMethod).toBe('manual');
  });
});

describe('Flex', () => {
  const example = fixture('flex/close-example.json');

  it('reads Stripe’s enhanced fields and appeal statuses with the kit where Flex passes them (undocumented), naming the path when malformed', () => {
    const raw = structuredClone(example);
    raw.status = 'appeal_under_review';
    raw.enhanced_eligibility_types = ['visa_compliance'];
    raw.evidence.enhanced_evidence = { visa_compliance: { fee_acknowledged: false } };
    raw.evidence_details.enhanced_eligibility = { visa_compliance: { status: 'requires_fee_acknowledgement' } };
    raw.evidence_details.submission_method = 'not_submitted';
    const d = flexToDispute(raw, 'default', 'full');
    expect([d.status, d.providerStatus]).toEqual(['APPEAL_UNDER_REVIEW', 'appeal_under_review']);
    expect(d.enhancedEligibilityTypes).toEqual(['visa_compliance']);
    expect(d.evidence.enhancedEvidence!.visaCompliance).toEqual({ feeAcknowledged: false });
    expect(d.evidenceDetails.enhancedEligibility!.visaCompliance).toEqual({ status: 'requires_fee_acknowledgement' });
    expect(d.evidenceDetails.submissionMethod).toBe('not_submitted');
    raw.evidence_details.enhanced_eligibility.visa_compliance.status = 7;
    expect(() => flexToDispute(raw, 'default', 'full')).toThrowError('at dispute.evidence_details.enhanced_eligibility.visa_compliance.status:');
  });

  it('reads the documented close response', () => {
    const d = flexToDispute(example, 'default', 'full');
    expect(d).toMatchObject({
      provider: 'FLEX',
      providerDisputeId: 'obj_01EXAMPLE00000000000000000',
      paymentIntent: 'obj_01EXAMPLE00000000000000000',
      charge: 'obj_01EXAMPLE00000000000000000',
      amount: 0,
      currency: 'usd',
      status: 'LOST',
      reason: 'BANK_CANNOT_PROCESS',
      created: new Date('2024-01-01T00:00:00Z'),
      isChargeRefundable: false,
      livemode: true,
      networkReasonCode: 'string',
      detail: 'full',
      extras: { clientReferenceId: 'obj_01EXAMPLE00000000000000000', stripeDisputeId: null },
    });
    expect(d.evidence.customerName).toBe('string');
    expect(d.evidence.receipt).toEqual({ id: 'string', filename: 'string', stripeFileId: 'string' });
    // Flex documents no enhanced eligibility or submission method: read as null where absent.
    expect(d.evidenceDetails).toEqual({
      dueBy: new Date('2024-01-01T00:00:00Z'),
      hasEvidence: false,
      pastDue: false,
      submissionCount: 0,
      enhancedEligibility: null,
      submissionMethod: null,
      intendedSubmissionMethod: null,
    });
    expect(d.evidence.enhancedEvidence).toBeNull();
    expect(d.balanceTransactions).toEqual([
      {
        id: 'obj_01EXAMPLE00000000000000000',
        amount: 0,
        currency: 'usd',
        fee: 0,
        net: 0,
        status: 'available',
        type: 'string',
        reportingCategory: 'string',
        description: null,
        created: new Date('2024-01-01T00:00:00Z'),
        availableOn: null,
        feeDetails: [],
        category: 'string',
      },
    ]);
    expect(d.paymentMethodDetails).toEqual({ type: 'string', card: { brand: 'visa', network: null, caseType: null, networkReasonCode: 'string' } });
  });

  it('reads the older file shape without stripe_file_id, and test_mode as livemode false', () => {
    const raw = structuredClone(example);
    raw.evidence.receipt = { file_id: 'ffile_1', filename: 'r.pdf' };
    raw.test_mode = true;
    const d = flexToDispute(raw, 'default', 'summary');
    expect(d.evidence.receipt).toEqual({ id: 'ffile_1', filename: 'r.pdf', stripeFileId: null });
    expect(d.livemode).toBe(false);
    expect(d.detail).toBe('summary');
  });

  it.each([
    ['created_at', '2024-01-01'],
    ['created_at', 1704067200],
    ['test_mode', 'false'],
    ['dispute_id', null],
  ])('rejects %s = %j', (field, value) => {
    expect(() => flexToDispute({ ...structuredClone(example), [field]: value }, 'default', 'full')).toThrowError(MalformedUpstream);
  });

  it('reads lists with and without has_more', () => {
    expect(readFlexList({ disputes: [] })).toEqual({ data: [], hasMore: null });
    expect(readFlexList({ disputes: [], has_more: true })).toEqual({ data: [], hasMore: true });
    expect(() => readFlexList({ data: [] })).toThrowError('body.disputes');
  });
});

describe('Afterpay', () => {
  const example = fixture('afterpay/dispute.json');

  it('derives pastDue: awaiting a response after responseDueBy', () => {
    const status = (example as { status: string }).status;
    const late = afterpayToDispute(example, 'default', { ...AP, now: 1692990801 * 1000 });
    expect(late.evidenceDetails.pastDue).toBe(status === 'needs_response');
    expect(afterpayToDispute({ ...example, status: 'needs_response' }, 'default', { ...AP, now: 1692990801 * 1000 }).evidenceDetails.pastDue).toBe(true);
    expect(afterpayToDispute({ ...example, status: 'needs_response' }, 'default', AP).evidenceDetails.pastDue).toBe(false);
    expect(afterpayToDispute({ ...example, status: 'won' }, 'default', { ...AP, now: 1692990801 * 1000 }).evidenceDetails.pastDue).toBe(false);
  });

  it('reads every documented field: decimal amounts to minor units, epoch strings to instants', () => {
    const d = afterpayToDispute(example, 'default', AP);
    expect(d).toMatchObject({
      provider: 'AFTERPAY',
      providerDisputeId: 'dp_8SRJLbYk3sCTFmzS7ju4',
      amount: 4846,
      currency: 'usd',
      status: 'NEEDS_RESPONSE',
      reason: 'PRODUCT_NOT_RECEIVED',
      created: new Date(1691880800 * 1000),
      livemode: true,
      evidenceDetails: { dueBy: new Date(1692990800 * 1000), hasEvidence: false, pastDue: false, submissionCount: 0 },
    });
    expect(d.extras).toEqual({
      order: '002.mg7s0kfu0fvv4f0r8lq3hd5vqjntpl0sspq1i6bpfm5gh4jp',
      merchantOrderId: 'MO-1001',
      openingNote: 'I did not receive my order.',
      openingNoteAttachments: ['fi_aBcD1234'],
      closingReason: null,
      closingNote: null,
      transactionDate: new Date(1691000000 * 1000),
      open: true,
      settlementAmount: 4846,
      updatedAt: new Date(1691880900 * 1000),
      orderMeta: { transactionAmount: { amount: 5200, currency: 'usd' }, orderType: 'ONLINE', network: 'VISA', networkReferenceId: '123456789012' },
    });
  });

  it('takes the currency from the dispute (Clearpay), else its order, else the account', () => {
    expect(afterpayToDispute({ ...example, currency: 'GBP' }, 'default', AP).currency).toBe('gbp');
    const { meta: _, ...noMeta } = example;
    expect(afterpayToDispute(noMeta, 'default', { currency: 'aud', livemode: false })).toMatchObject({ currency: 'aud', livemode: false });
    expect(afterpayToDispute({ ...noMeta, amount: '5000', currency: 'JPY', settlementAmount: '5000' }, 'default', AP).amount).toBe(5000);
  });

  it('reads meta.transactionAmount as a Money object or a bare decimal string', () => {
    const d = afterpayToDispute({ ...example, meta: { transactionAmount: '10.50', orderType: 'INSTORE' } }, 'default', AP);
    expect(d.extras.orderMeta).toEqual({ transactionAmount: { amount: 1050, currency: 'usd' }, orderType: 'INSTORE', network: null, networkReferenceId: null });
  });

  it('infers evidence submitted from under_review and evidence decisions only', () => {
    expect(afterpayToDispute({ ...example, status: 'under_review' }, 'default', AP).evidenceDetails.submissionCount).toBe(1);
    expect(afterpayToDispute({ ...example, status: 'won', closingReason: 'evidence_accepted' }, 'default', AP).evidenceDetails.hasEvidence).toBe(true);
    expect(afterpayToDispute({ ...example, status: 'lost', closingReason: 'deadline_expired' }, 'default', AP).evidenceDetails.hasEvidence).toBe(false);
  });

  it.each([
    ['amount', 48.46],
    ['amount', '48.465'],
    ['amount', '1e3'],
    ['createdAt', '2023-08-12T00:00:00Z'],
    ['open', 'true'],
    ['order', null],
  ])('rejects %s = %j', (field, value) => {
    expect(() => afterpayToDispute({ ...example, [field]: value }, 'default', AP)).toThrowError(MalformedUpstream);
  });

  it('unwraps a single dispute from either documented shape', () => {
    expect(unwrapAfterpayDispute(example)).toBe(example);
    expect(unwrapAfterpayDispute({ dispute: example })).toBe(example);
  });

  it('maps every documented status and reason to a unified value of the same name', () => {
    expect(AFTERPAY_STATUSES.map(mapAfterpayStatus)).toEqual(AFTERPAY_STATUSES.map((s) => s.toUpperCase()));
    expect(AFTERPAY_REASONS.map((r) => mapAfterpayReason(r))).toEqual(AFTERPAY_REASONS.map((r) => r.toUpperCase()));
    expect(mapAfterpayStatus('partially_won')).toBe('UNKNOWN');
  });

  it('turns the created range into inclusive whole-second openedAfter/openedBefore', () => {
    expect(afterpayOpenedRange({ gt: new Date('2026-01-01T00:00:00Z'), lt: new Date('2026-02-01T00:00:00.500Z') })).toEqual({
      openedAfter: '2026-01-01T00:00:01Z',
      openedBefore: '2026-02-01T00:00:00Z',
    });
    expect(afterpayOpenedRange({ gte: new Date('2026-01-01T00:00:00.200Z'), lte: new Date('2026-02-01T00:00:00Z') })).toEqual({
      openedAfter: '2026-01-01T00:00:01Z',
      openedBefore: '2026-02-01T00:00:00Z',
    });
    expect(afterpayOpenedRange(undefined)).toEqual({});
  });
});

describe('unified enums', () => {
  it('hold every status and reason any provider documents', () => {
    for (const s of [...WOOSHPAY_STATUSES, ...AFTERPAY_STATUSES]) expect(DISPUTE_STATUSES).toContain(s.toUpperCase());
    for (const r of AFTERPAY_REASONS) expect(DISPUTE_REASONS).toContain(r.toUpperCase());
  });
});
