// Deterministic Stripe disputes for the sandbox and the tests: every status, every documented
// reason, several currencies (JPY is zero-decimal), creation times over nine months with some
// exact ties, staged and submitted evidence, and the balance transactions a dispute moves; enhanced
// evidence eligibility (Visa CE 3.0, Visa and Mastercard compliance) and submission methods; and,
// apart, an open CE 3.0 dispute (seedStripeOpenCe3) and two in the appeal statuses (seedStripeAppeals).
import { createRng, DAY, sandboxEpoch, seedTimeline, type Rng } from '../random.js';
import {
  STRIPE_CE3_REQUIRED_ACTIONS,
  STRIPE_EVIDENCE_FILE_KEYS,
  STRIPE_EVIDENCE_TEXT_KEYS,
  STRIPE_PINNED_STATUSES,
  STRIPE_REASONS,
  type StripeAddress,
  type StripeBalanceTransaction,
  type StripeCe3Transaction,
  type StripeDispute,
  type StripeDisputeStatus,
  type StripeEnhancedEvidence,
  type StripeEvidence,
} from '../../providers/kit/stripe-wire.js';
import { emptyProgram } from './evidence.js';

const STATUS_WEIGHTS: [StripeDisputeStatus, number][] = [
  ['needs_response', 25],
  ['under_review', 15],
  ['won', 15],
  ['lost', 15],
  ['warning_needs_response', 10],
  ['warning_under_review', 7],
  ['warning_closed', 8],
  ['prevented', 5],
];

const CURRENCIES: [string, number][] = [
  ['usd', 45],
  ['eur', 20],
  ['gbp', 12],
  ['jpy', 10],
  ['cad', 8],
  ['aud', 5],
];

const NETWORK_CODES: Record<string, Record<string, string>> = {
  visa: { fraudulent: '10.4', product_not_received: '13.1', duplicate: '12.6.1', credit_not_processed: '13.6', default: '13.7' },
  mastercard: { fraudulent: '4837', product_not_received: '4855', duplicate: '4834', credit_not_processed: '4860', default: '4853' },
  amex: { fraudulent: 'F29', product_not_received: 'C08', duplicate: 'P08', credit_not_processed: 'C02', default: 'C32' },
};

const DISPUTE_FEE: Record<string, number> = { usd: 1500, eur: 1500, gbp: 1500, jpy: 2000, cad: 1500, aud: 2500 };

function emptyEvidence(): StripeEvidence {
  const e: Record<string, unknown> = {};
  for (const k of STRIPE_EVIDENCE_TEXT_KEYS) e[k] = null;
  for (const k of STRIPE_EVIDENCE_FILE_KEYS) e[k] = null;
  e.enhanced_evidence = {};
  return e as StripeEvidence;
}

function fillEvidence(rng: Rng, e: StripeEvidence, n: number): void {
  e.customer_name = rng.pick(['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Linus Pauling']);
  e.customer_email_address = `${e.customer_name.split(' ')[0]!.toLowerCase()}${n}@example.com`;
  e.product_description = rng.pick(['Annual subscription, Pro plan', 'Wireless headphones', 'Concert tickets (2)', 'Hotel stay, 3 nights']);
  e.shipping_carrier = rng.pick(['UPS', 'DHL', 'FedEx', null]);
  e.shipping_tracking_number = e.shipping_carrier ? rng.id('1Z', 16).toUpperCase() : null;
  e.customer_purchase_ip = `203.0.113.${rng.int(1, 254)}`;
  e.uncategorized_text = rng.chance(0.5) ? 'Customer confirmed receipt by email before filing the dispute.' : null;
  e.receipt = rng.id('file_');
  if (rng.chance(0.5)) e.customer_communication = rng.id('file_');
  if (rng.chance(0.3)) e.shipping_documentation = rng.id('file_');
}

function balanceTransaction(
  rng: Rng,
  d: Pick<StripeDispute, 'amount' | 'currency' | 'id'>,
  created: number,
  kind: 'withdrawal' | 'reinstatement',
  epoch: number,
): StripeBalanceTransaction {
  const withdrawal = kind === 'withdrawal';
  const fee = withdrawal ? (DISPUTE_FEE[d.currency] ?? 1500) : 0;
  const amount = withdrawal ? -d.amount : d.amount;
  return {
    id: rng.id('txn_'),
    object: 'balance_transaction',
    amount,
    available_on: created + 2 * DAY,
    created,
    currency: d.currency,
    description: withdrawal ? `Chargeback withdrawal for ${d.id}` : `Chargeback reversal for ${d.id}`,
    exchange_rate: null,
    fee,
    fee_details: withdrawal ? [{ amount: fee, application: null, currency: d.currency, description: 'Dispute fee', type: 'stripe_fee' }] : [],
    net: amount - fee,
    reporting_category: withdrawal ? 'dispute' : 'dispute_reversal',
    source: d.id,
    status: created + 2 * DAY <= epoch ? 'available' : 'pending',
    type: 'adjustment',
  };
}

const WALLETS: Record<number, (id: string) => StripeDispute['payment_method_details']> = {
  5: () => ({ type: 'klarna', klarna: { reason_code: 'unauthorized_purchase' } }),
  17: (id) => ({ type: 'paypal', paypal: { case_id: `PP-D-${id.slice(3, 11).toUpperCase()}`, reason_code: 'MERCHANDISE_OR_SERVICE_NOT_RECEIVED' } }),
  29: () => ({ type: 'amazon_pay', amazon_pay: { dispute_type: 'claim' } }),
};

const BRANDS: ['visa' | 'mastercard' | 'amex', number][] = [
  ['visa', 60],
  ['mastercard', 30],
  ['amex', 10],
];

/** Evidence submitted (under review, won, half the lost), staged on some awaiting a response, else empty. */
function seedEvidence(rng: Rng, status: StripeDisputeStatus, n: number) {
  const evidence = emptyEvidence();
  const submitted = ['under_review', 'warning_under_review', 'won'].includes(status) || (status === 'lost' && rng.chance(0.5));
  const staged = !submitted && status === 'needs_response' && rng.chance(0.3);
  if (submitted || staged) fillEvidence(rng, evidence, n);
  return { evidence, submitted, staged };
}

/** A few disputes of other payment methods (2026 shape: their own reason codes, no card); a chargeback's money movements. */
function walletOrMovements(rng: Rng, d: StripeDispute, n: number, epoch: number): void {
  const wallet = WALLETS[n % 37];
  if (wallet) {
    d.payment_method_details = wallet(d.id);
    d.network_reason_code = null;
  }
  if (!d.status.startsWith('warning_') && d.status !== 'prevented') {
    d.balance_transactions.push(balanceTransaction(rng, d, d.created, 'withdrawal', epoch));
    if (d.status === 'won') d.balance_transactions.push(balanceTransaction(rng, d, d.created + rng.int(20, 60) * DAY, 'reinstatement', epoch));
  }
}

/** Stripe's statuses that await the merchant's response (deadline ahead, or past due). */
export const AWAITING_RESPONSE = ['needs_response', 'warning_needs_response'];

/** Each eligible program in its empty state, as Stripe shows an eligible dispute before anything is staged. */
export function emptyEnhancedEvidence(types: readonly string[]): StripeEnhancedEvidence {
  const out: StripeEnhancedEvidence = {};
  for (const t of types)
    if (t === 'visa_compelling_evidence_3' || t === 'visa_compliance' || t === 'mastercard_compliance') Object.assign(out, { [t]: emptyProgram(t) });
  return out;
}

const ADDRESSES: StripeAddress[] = [
  { city: 'Portland', country: 'US', line1: '1 Main St', line2: 'Apt 4', postal_code: '97201', state: 'OR' },
  { city: 'Austin', country: 'US', line1: '500 Congress Ave', line2: 'Suite 200', postal_code: '78701', state: 'TX' },
];

/** A CE 3.0 transaction as Stripe pre-fills one from the merchant's data (identifiers that match across all three). */
function ce3Transaction(x: Rng, who: { account: string; email: string; ip: string; address: StripeAddress }, description: string): StripeCe3Transaction {
  return {
    customer_account_id: who.account,
    customer_device_fingerprint: null,
    customer_device_id: null,
    customer_email_address: who.email,
    customer_purchase_ip: who.ip,
    product_description: description,
    shipping_address: x.chance(0.5) ? { ...who.address } : null,
  };
}

/**
 * Enhanced evidence eligibility and submission methods, drawn from their own stream (`x`) so every
 * dispute's other data stays as it was seeded before they existed. CE 3.0 where the seed made the
 * dispute eligible (Visa, fraudulent): mostly requires_action with some required actions, some
 * qualified (prior transactions pre-filled, as Stripe does where it can), some not qualified.
 * Compliance for noncompliant Visa and Mastercard disputes: the fee acknowledged where evidence was
 * submitted, else awaiting acknowledgement. submission_method (2025-06-30.preview) on some.
 */
function enhance(x: Rng, d: StripeDispute, brand: string, submitted: boolean): void {
  const card = d.payment_method_details?.type === 'card';
  if (card && d.reason === 'noncompliant' && (brand === 'visa' || brand === 'mastercard')) d.enhanced_eligibility_types = [`${brand}_compliance`];
  const types = d.enhanced_eligibility_types ?? [];
  d.evidence.enhanced_evidence = emptyEnhancedEvidence(types);
  const eligibility: NonNullable<StripeDispute['evidence_details']['enhanced_eligibility']> = {};
  if (types.includes('visa_compelling_evidence_3')) {
    const status = x.weighted([
      ['requires_action', 60],
      ['qualified', 25],
      ['not_qualified', 15],
    ] as const);
    const actions = STRIPE_CE3_REQUIRED_ACTIONS.filter(() => x.chance(0.4));
    eligibility.visa_compelling_evidence_3 = {
      status,
      required_actions: status !== 'requires_action' ? [] : actions.length > 0 ? actions : ['missing_prior_undisputed_transactions'],
    };
    if (status === 'qualified') {
      const who = {
        account: x.id('acct_user_', 10),
        email: `buyer${x.int(1, 999)}@example.com`,
        ip: `198.51.100.${x.int(1, 254)}`,
        address: x.pick(ADDRESSES),
      };
      d.evidence.enhanced_evidence.visa_compelling_evidence_3 = {
        disputed_transaction: { ...ce3Transaction(x, who, 'Wireless headphones'), merchandise_or_services: 'merchandise' },
        prior_undisputed_transactions: [
          { ...ce3Transaction(x, who, 'Phone case'), charge: x.id('ch_') },
          { ...ce3Transaction(x, who, 'USB-C cable'), charge: x.id('ch_') },
        ],
      };
    }
  }
  for (const program of ['visa_compliance', 'mastercard_compliance'] as const) {
    if (!types.includes(program)) continue;
    eligibility[program] = { status: submitted ? 'fee_acknowledged' : 'requires_fee_acknowledgement' };
    d.evidence.enhanced_evidence[program] = { fee_acknowledged: submitted };
  }
  d.evidence_details.enhanced_eligibility = eligibility;
  if (x.chance(0.4)) d.evidence_details.submission_method = submitted ? x.pick(['manual', 'smart_disputes']) : 'not_submitted';
}

/** The statuses the first disputes walk: the pinned version's (the appeal statuses are seeded apart, by seedStripeAppeals). */
const WALKED_STATUSES = STRIPE_PINNED_STATUSES;

export function seedStripeDisputes(seed: number, count = 260, epoch = sandboxEpoch()): StripeDispute[] {
  const [rng, extra] = [createRng(seed), createRng(seed ^ 0x0ce3_5eed)]; // extra: enhance()'s own stream
  const out: StripeDispute[] = [];
  for (let i = 0; i < count; i++) {
    // The first ones walk every status and reason, so a small seed still covers them all.
    const status = i < WALKED_STATUSES.length ? WALKED_STATUSES[i]! : rng.weighted(STATUS_WEIGHTS);
    const reason = i < STRIPE_REASONS.length ? STRIPE_REASONS[i]! : rng.pick(STRIPE_REASONS);
    const currency = i < CURRENCIES.length ? CURRENCIES[i]![0] : rng.weighted(CURRENCIES);
    // Every tenth dispute shares its creation second with the previous one: ties must page stably.
    const open = AWAITING_RESPONSE.includes(status);
    const {
      created,
      dueBy: due,
      pastDue,
    } = seedTimeline(rng, epoch, { open, windowDays: 21, spanDays: 270, created: i % 10 === 9 ? out[i - 1]!.created : undefined });
    const amount = currency === 'jpy' ? rng.int(5, 500) * 100 : rng.int(500, 250_000);
    const id = rng.id('du_');
    const brand = rng.weighted(BRANDS);
    const codes = NETWORK_CODES[brand]!;
    const networkReasonCode = codes[reason] ?? codes.default!;
    const inquiry = status.startsWith('warning_');
    const { evidence, submitted, staged } = seedEvidence(rng, status, i);
    const dueBy = status === 'prevented' ? null : due;

    const d: StripeDispute = {
      id,
      object: 'dispute',
      amount,
      balance_transactions: [],
      charge: rng.id('ch_'),
      created,
      currency,
      enhanced_eligibility_types: brand === 'visa' && reason === 'fraudulent' ? ['visa_compelling_evidence_3'] : [],
      evidence,
      evidence_details: {
        due_by: dueBy,
        has_evidence: submitted || staged,
        // Awaiting a response past its deadline, or (Stripe's own sense) evidence submitted late.
        past_due: pastDue || (submitted && due < epoch && rng.chance(0.05)),
        submission_count: submitted ? 1 : 0,
        enhanced_eligibility: {},
      },
      is_charge_refundable: ['needs_response', 'warning_needs_response', 'under_review', 'warning_under_review'].includes(status) ? rng.chance(0.7) : false,
      livemode: false,
      metadata: rng.chance(0.4) ? { order_id: rng.id('ord_', 10) } : {},
      network_reason_code: networkReasonCode,
      payment_intent: rng.chance(0.8) ? rng.id('pi_') : null,
      payment_method_details: {
        type: 'card',
        card: { brand, case_type: inquiry ? 'inquiry' : 'chargeback', network: brand, network_reason_code: networkReasonCode },
      },
      reason,
      status,
    };
    walletOrMovements(rng, d, i, epoch);
    enhance(extra, d, brand, submitted);
    out.push(d);
  }
  return out;
}

/** One extra dispute of the additions below: Visa, a chargeback, its own ids and amount. */
function extraDispute(rng: Rng, status: StripeDisputeStatus, reason: string, code: string, created: number, dueBy: number): StripeDispute {
  return {
    id: rng.id('du_'),
    object: 'dispute',
    amount: rng.int(2_000, 90_000),
    balance_transactions: [],
    charge: rng.id('ch_'),
    created,
    currency: 'usd',
    enhanced_eligibility_types: [],
    evidence: emptyEvidence(),
    evidence_details: { due_by: dueBy, has_evidence: false, past_due: false, submission_count: 0, enhanced_eligibility: {} },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    network_reason_code: code,
    payment_intent: rng.id('pi_'),
    payment_method_details: { type: 'card', card: { brand: 'visa', case_type: 'chargeback', network: 'visa', network_reason_code: code } },
    reason,
    status,
  };
}

/**
 * The dispute the sandbox's Stripe adds after the seeded ones (its own stream and ids, so no seeded
 * dispute changes): an open Visa fraud dispute (10.4) eligible for CE 3.0 and needing action, as
 * the default seed has none open.
 */
export function seedStripeOpenCe3(seed: number, epoch = sandboxEpoch()): StripeDispute {
  const rng = createRng(seed ^ 0x0ce3_0be1);
  const due = epoch + rng.int(3, 9) * DAY;
  const d = extraDispute(rng, 'needs_response', 'fraudulent', '10.4', due - 21 * DAY, due);
  d.is_charge_refundable = true;
  d.enhanced_eligibility_types = ['visa_compelling_evidence_3'];
  d.evidence.enhanced_evidence = emptyEnhancedEvidence(d.enhanced_eligibility_types);
  d.evidence_details.enhanced_eligibility = {
    visa_compelling_evidence_3: { status: 'requires_action', required_actions: ['missing_merchandise_or_services', 'missing_prior_undisputed_transactions'] },
  };
  d.evidence_details.submission_method = 'not_submitted';
  return d;
}

/**
 * Two disputes in the appeal statuses, newer than the pinned version (Stripe's changelog,
 * 2026-09-30.preview and 2026-10-28.endive): a lost dispute whose decision is appealed, one awaiting
 * the appeal's evidence, one with it under review. Own stream and ids. Whether due_by then carries
 * the appeal's deadline, and whether an appeal's submission counts in submission_count, is
 * unconfirmed: the one awaiting a response has a deadline ahead, and both keep the original
 * chargeback's one submission. (Not yet in the sandbox: see startStripeFake.)
 */
export function seedStripeAppeals(seed: number, epoch = sandboxEpoch()): StripeDispute[] {
  const rng = createRng(seed ^ 0x0a99_ea15);
  return (['appeal_needs_response', 'appeal_under_review'] as const).map((status, i) => {
    const created = epoch - rng.int(60, 110) * DAY - rng.int(0, DAY - 1);
    const d = extraDispute(
      rng,
      status,
      'product_not_received',
      '13.1',
      created,
      status === 'appeal_needs_response' ? epoch + rng.int(3, 9) * DAY : created + 21 * DAY,
    );
    fillEvidence(rng, d.evidence, 900 + i);
    Object.assign(d.evidence_details, { has_evidence: true, submission_count: 1, submission_method: 'manual' });
    d.balance_transactions.push(balanceTransaction(rng, d, created, 'withdrawal', epoch));
    return d;
  });
}

let opened = 0;

/** A dispute opened now (the sandbox's "new dispute every few minutes"): needs a response within 7 days. */
export function freshDispute(seed: number): StripeDispute {
  opened += 1;
  const now = Math.floor(Date.now() / 1000);
  const batch = seedStripeDisputes(seed * 7919 + opened, 12, sandboxEpoch());
  const d = batch.find((x) => x.status === 'needs_response') ?? batch[0]!;
  return {
    ...d,
    id: `du_new${now.toString(36)}${String(opened).padStart(4, '0')}`,
    status: 'needs_response',
    created: now,
    evidence: { ...emptyEvidence(), enhanced_evidence: emptyEnhancedEvidence(d.enhanced_eligibility_types ?? []) },
    evidence_details: { ...d.evidence_details, due_by: now + 7 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: true,
  };
}
