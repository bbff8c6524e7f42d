// Deterministic Flex disputes (HSA/FSA card payments, so USD): every Stripe status and reason,
// Flex ids, ISO times, evidence files as objects (some in the older shape without stripe_file_id).
import { createRng, DAY, sandboxEpoch, seedTimeline } from '../../../sandbox/random.js';
import { FLEX_EVIDENCE_FILE_KEYS, FLEX_EVIDENCE_TEXT_KEYS, FLEX_REASONS, FLEX_STATUSES, type FlexDispute } from '../wire.js';

const iso = (unix: number) => new Date(unix * 1000).toISOString();
const ULID = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

type Rng = ReturnType<typeof createRng>;
type FlexEvidence = FlexDispute['evidence'];

/** Every key empty; a submitted dispute carries a name, a product and a receipt file (some in the older shape without stripe_file_id). */
function seedEvidence(rng: Rng, ulid: (prefix: string) => string, submitted: boolean): FlexEvidence {
  const evidence: Record<string, string | null | { file_id: string; filename: string; stripe_file_id?: string }> = {};
  for (const k of FLEX_EVIDENCE_TEXT_KEYS) evidence[k] = null;
  for (const k of FLEX_EVIDENCE_FILE_KEYS) evidence[k] = null;
  if (submitted) {
    evidence.customer_name = rng.pick(['Mary Jackson', 'Dorothy Vaughan', 'Annie Easley']);
    evidence.product_description = rng.pick(['Blood pressure monitor', 'Prescription glasses', 'Physical therapy session']);
    evidence.receipt = { file_id: ulid('ffile_'), filename: 'receipt.pdf', ...(rng.chance(0.7) && { stripe_file_id: `file_${rng.id('', 24)}` }) };
  }
  return evidence as FlexEvidence;
}

/** A chargeback's withdrawal, and its reinstatement 30 days later when won. */
function balanceTransactions(
  ulid: (prefix: string) => string,
  amount: number,
  fee: number,
  status: string,
  created: number,
): FlexDispute['balance_transactions'] {
  const movement = (amount: number, fee: number, category: string, reporting: string, at: number) => ({
    balance_transaction_id: ulid('fbt_'),
    amount,
    fee,
    net: amount - fee,
    status: 'available',
    type: 'adjustment',
    reporting_category: reporting,
    category,
    created_at: iso(at),
  });
  const withdrawal = movement(-amount, fee, 'dispute_withdrawal', 'dispute', created);
  return status === 'won' ? [withdrawal, movement(amount, 0, 'dispute_reinstatement', 'dispute_reversal', created + 30 * DAY)] : [withdrawal];
}

export function seedFlexDisputes(seed: number, count = 130, epoch = sandboxEpoch()): FlexDispute[] {
  const rng = createRng(seed ^ 0xf1e8);
  const ulid = (prefix: string) => prefix + '01J' + Array.from({ length: 23 }, () => ULID[rng.int(0, 31)]).join('');
  const out: FlexDispute[] = [];
  for (let i = 0; i < count; i++) {
    const status = i < FLEX_STATUSES.length ? FLEX_STATUSES[i]! : rng.pick(FLEX_STATUSES);
    const reason = i < FLEX_REASONS.length ? FLEX_REASONS[i]! : rng.pick(FLEX_REASONS);
    const open = status === 'needs_response' || status === 'warning_needs_response';
    const { created, dueBy, pastDue } = seedTimeline(rng, epoch, {
      open,
      windowDays: 14,
      spanDays: 200,
      created: i % 12 === 11 ? Date.parse(out[i - 1]!.created_at) / 1000 : undefined,
    });
    const submitted = ['under_review', 'warning_under_review', 'won'].includes(status) || (status === 'lost' && rng.chance(0.4));
    const evidence = seedEvidence(rng, ulid, submitted);
    const amount = rng.int(1500, 60_000);
    const fee = 1500;
    const chargeback = !status.startsWith('warning_') && status !== 'prevented';
    out.push({
      dispute_id: ulid('fdsp_'),
      payment_intent_id: ulid('fpi_'),
      amount,
      currency: 'usd',
      charge_id: rng.chance(0.9) ? ulid('fch_') : null,
      metadata: rng.chance(0.3) ? { member_id: rng.id('mem_', 8) } : {},
      created_at: iso(created),
      status,
      reason,
      is_charge_refundable: ['needs_response', 'warning_needs_response'].includes(status) && rng.chance(0.6),
      evidence,
      evidence_details: {
        due_by: status === 'prevented' ? null : iso(dueBy),
        has_evidence: submitted,
        past_due: pastDue,
        submission_count: submitted ? 1 : 0,
      },
      balance_transactions: chargeback ? balanceTransactions(ulid, amount, fee, status, created) : [],
      payment_method_details: {
        type: 'card',
        card: { brand: rng.pick(['visa', 'mastercard']), network_reason_code: rng.pick(['10.4', '13.1', '4853', null]) },
      },
      test_mode: true,
      client_reference_id: rng.chance(0.8) ? `order_${rng.int(10000, 99999)}` : null,
      ...(rng.chance(0.2) && { stripe_dispute_id: `du_${rng.id('', 24)}` }),
    });
  }
  return out;
}
