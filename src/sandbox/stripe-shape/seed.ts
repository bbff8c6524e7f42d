// Deterministic Stripe disputes for the sandbox and the tests: every status, every documented
// reason, several currencies (JPY is zero-decimal), creation times over nine months with some
// exact ties, staged and submitted evidence, and the balance transactions a dispute moves.
import { createRng, DAY, sandboxEpoch, seedTimeline, type Rng } from '../random.js';
import {
  STRIPE_EVIDENCE_FILE_KEYS,
  STRIPE_EVIDENCE_TEXT_KEYS,
  STRIPE_REASONS,
  STRIPE_PINNED_STATUSES,
  type StripeBalanceTransaction,
  type StripeDispute,
  type StripeDisputeStatus,
  type StripeEvidence,
} from '../../providers/kit/stripe-wire.js';

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

export function seedStripeDisputes(seed: number, count = 260, epoch = sandboxEpoch()): StripeDispute[] {
  const rng = createRng(seed);
  const out: StripeDispute[] = [];
  for (let i = 0; i < count; i++) {
    // The first ones walk every status (the pinned version's) and reason, so a small seed still covers them all.
    const status = i < STRIPE_PINNED_STATUSES.length ? STRIPE_PINNED_STATUSES[i]! : rng.weighted(STATUS_WEIGHTS);
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
    out.push(d);
  }
  return out;
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
    evidence: emptyEvidence(),
    evidence_details: { ...d.evidence_details, due_by: now + 7 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: true,
  };
}
