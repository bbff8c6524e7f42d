// Deterministic WooshPay disputes: Stripe's 2022 shape with WooshPay's statuses and reason fields,
// some without balance_transactions / is_charge_refundable / reason, as its docs allow.
import { createRng, sandboxEpoch, seedTimeline } from '../../../sandbox/random.js';
import { AWAITING_RESPONSE, seedStripeDisputes } from '../../../sandbox/stripe-shape/seed.js';
import { WOOSHPAY_STATUSES, type WooshPayDispute } from '../wire.js';

const REASON_TYPES: Record<string, [string, string, string]> = {
  fraudulent: ['fraud', '10.4', 'Other Fraud - Card-Absent Environment'],
  product_not_received: ['consumer_disputes', '13.1', 'Merchandise/Services Not Received'],
  duplicate: ['processing_errors', '12.6.1', 'Duplicate Processing'],
  credit_not_processed: ['consumer_disputes', '13.6', 'Credit Not Processed'],
  unrecognized: ['fraud', '10.5', 'Visa Fraud Monitoring Program'],
  bank_cannot_process: ['authorization', '11.3', 'No Authorization'],
};
const OTHER: [string, string, string] = ['consumer_disputes', '13.7', 'Cancelled Merchandise/Services'];

export function seedWooshPayDisputes(seed: number, count = 140, epoch = sandboxEpoch()): WooshPayDispute[] {
  const rng = createRng(seed ^ 0x5eed);
  return seedStripeDisputes(seed + 1, count, epoch).map((base, i) => {
    const status = i < WOOSHPAY_STATUSES.length ? WOOSHPAY_STATUSES[i]! : rng.pick(WOOSHPAY_STATUSES);
    const { payment_method_details: _p, network_reason_code: _n, enhanced_eligibility_types: _e, ...rest } = base;
    const d: WooshPayDispute = { ...rest, id: `dp_${base.id.slice(3)}`, status };
    // Its own status decides its deadline: one awaiting a response has it ahead (or past due).
    if (AWAITING_RESPONSE.includes(status) !== AWAITING_RESPONSE.includes(base.status)) {
      const t = seedTimeline(rng, epoch, { open: AWAITING_RESPONSE.includes(status), windowDays: 21, spanDays: 270 });
      d.created = t.created;
      d.evidence_details.due_by = t.dueBy;
      d.evidence_details.past_due = t.pastDue;
    }
    // Its dispute shows Stripe's 27 evidence keys and the evidence_details quartet, nothing newer.
    delete d.evidence.enhanced_evidence;
    delete d.evidence_details.enhanced_eligibility;
    delete d.evidence_details.submission_method;
    // Money moves for chargebacks only; a reinstatement only when won.
    if (!['needs_response', 'under_review', 'won', 'lost', 'charge_refunded'].includes(status)) d.balance_transactions = [];
    else if (status !== 'won') d.balance_transactions = (d.balance_transactions ?? []).slice(0, 1);
    for (const bt of d.balance_transactions ?? []) bt.source = d.id;
    const [type, code, description] = REASON_TYPES[base.reason] ?? OTHER;
    if (rng.chance(0.85)) Object.assign(d, { reason_type: type, reason_code: code, reason_description: description });
    // Fields the docs allow to be absent, and the reason they call not implemented.
    if (rng.chance(0.2)) delete d.balance_transactions;
    // WooshPay's own schema types balance_transactions as an array of strings (ids): some are.
    else if (i % 7 === 3 && d.balance_transactions?.length)
      (d as { balance_transactions: unknown[] }).balance_transactions = d.balance_transactions.map((bt) => bt.id);
    if (rng.chance(0.2)) delete d.is_charge_refundable;
    if (rng.chance(0.1)) d.reason = null;
    return d;
  });
}
