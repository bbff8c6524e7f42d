// Synthetic disputes for the index suites, with many ties (creation times, deadlines and amounts
// drawn from small pools), and the oracle of a filter over them.
import { DISPUTE_REASONS, DISPUTE_STATUSES, unreadableDispute, type Dispute, type ProviderName } from '../../src/domain/dispute.js';
import type { IndexFilter } from '../../src/index/model.js';
import { createRng } from '../../src/sandbox/random.js';

export const ACCOUNTS: { provider: ProviderName; account: string }[] = [
  { provider: 'STRIPE', account: 'eu' },
  { provider: 'STRIPE', account: 'us' },
  { provider: 'WOOSHPAY', account: 'default' },
  { provider: 'AFTERPAY', account: 'default' },
];
export const BASE = Date.UTC(2026, 0, 1);

/** Disputes with many ties; created within `spreadHours` of BASE (whole hours). */
export function disputes(seed: number, n: number, spreadHours = 40): Dispute[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const a = rng.pick(ACCOUNTS);
    const d = unreadableDispute(
      a.provider,
      a.account,
      `${rng.pick(['du_', 'Du_', 'dU-', 'd_'])}${rng.int(0, 9)}${String(i).padStart(4, '0')}`,
      new Date(BASE + rng.int(0, spreadHours) * 3_600_000),
      new Error(),
    );
    const status = rng.pick(DISPUTE_STATUSES);
    return {
      ...d,
      amount: rng.pick([500, 1000, 1000, 2500, 99_999]),
      currency: rng.pick(['usd', 'eur']),
      status,
      providerStatus: status.toLowerCase(),
      reason: rng.pick(DISPUTE_REASONS),
      charge: rng.chance(0.7) ? `ch_${rng.int(0, 30)}` : null,
      paymentIntent: rng.chance(0.5) ? `pi_${rng.int(0, 30)}` : null,
      evidence: { ...d.evidence, customerEmailAddress: rng.chance(0.3) ? `Buyer${rng.int(0, 9)}@Example.com` : null },
      evidenceDetails: { dueBy: rng.chance(0.8) ? new Date(BASE + rng.int(0, 20) * 86_400_000) : null, hasEvidence: false, pastDue: false, submissionCount: 0 },
      detail: 'full' as const,
      unreadable: undefined,
    };
  });
}

/** The oracle: the same filter over the array. */
export function matches(d: Dispute, f: IndexFilter): boolean {
  const inRange = (v: number, r?: { gt?: number; gte?: number; lt?: number; lte?: number }) =>
    !r || ((r.gt === undefined || v > r.gt) && (r.gte === undefined || v >= r.gte) && (r.lt === undefined || v < r.lt) && (r.lte === undefined || v <= r.lte));
  const due = d.evidenceDetails.dueBy?.getTime();
  return (
    f.accounts.some((a) => a.provider === d.provider && a.account === d.providerAccount) &&
    (!f.statuses || f.statuses.includes(d.status)) &&
    (!f.reasons || f.reasons.includes(d.reason)) &&
    (f.currency === undefined || d.currency === f.currency) &&
    inRange(d.created.getTime(), f.created) &&
    (!f.dueBy || (due !== undefined && inRange(due, f.dueBy))) &&
    inRange(d.amount, f.amount) &&
    (f.search === undefined ||
      [d.providerDisputeId, d.charge, d.paymentIntent].includes(f.search) ||
      d.evidence.customerEmailAddress?.toLowerCase() === f.search.toLowerCase())
  );
}
