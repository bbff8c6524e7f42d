// Deterministic Afterpay disputes: every status and reason, decimal-string amounts, epoch-second
// string times, closing reasons consistent with the guide's state machine, order metadata.
import { fromMinorUnits } from '../../../domain/money.js';
import { createRng, DAY, sandboxEpoch, seedTimeline } from '../../../sandbox/random.js';
import { AFTERPAY_REASONS, AFTERPAY_STATUSES, type AfterpayDispute } from '../wire.js';

const CLOSING: Record<string, string[]> = {
  won: ['evidence_accepted', 'customer_cancelled'],
  lost: ['merchant_accepted', 'evidence_rejected', 'deadline_expired'],
};

export function seedAfterpayDisputes(seed: number, count = 130, epoch = sandboxEpoch()): AfterpayDispute[] {
  const rng = createRng(seed ^ 0xa4e7);
  const out: AfterpayDispute[] = [];
  for (let i = 0; i < count; i++) {
    const status = i < AFTERPAY_STATUSES.length ? AFTERPAY_STATUSES[i]! : rng.pick(AFTERPAY_STATUSES);
    const reason = i < AFTERPAY_REASONS.length ? AFTERPAY_REASONS[i]! : rng.pick(AFTERPAY_REASONS);
    const { created, dueBy } = seedTimeline(rng, epoch, {
      open: status === 'needs_response',
      windowDays: 13,
      spanDays: 240,
      created: i % 15 === 14 ? Number(out[i - 1]!.createdAt) : undefined,
    });
    // Most disputes carry no currency of their own (Afterpay's reference); a few do (Clearpay's).
    const clearpay = rng.chance(0.25);
    const currency = clearpay ? 'GBP' : 'USD';
    const minor = rng.int(1000, 150_000);
    const closingReasons = CLOSING[status];
    const d: AfterpayDispute = {
      id: rng.id('dp_', 20),
      order: rng.id('', 6).toLowerCase() + '-' + rng.int(100000, 999999),
      amount: fromMinorUnits(minor, currency),
      reason,
      status,
      open: status === 'needs_response' || status === 'under_review',
      responseDueBy: String(dueBy),
      createdAt: String(created),
      openingNote: rng.pick(['Item never arrived.', 'Wrong size delivered and return refused.', 'I cancelled this order.', 'Charged twice for one order.']),
      closingReason: closingReasons ? rng.pick(closingReasons) : null,
      merchantOrderId: `MO-${rng.int(100000, 999999)}`,
      transactionDate: String(created - rng.int(1, 120) * DAY),
      settlementAmount: fromMinorUnits(minor - rng.int(0, 300), currency),
      openingNoteAttachments: rng.chance(0.3) ? [rng.id('fi_', 16)] : null,
      updatedAt: rng.chance(0.5) ? String(created + rng.int(1, 10) * DAY) : null,
      closingNote: closingReasons && rng.chance(0.6) ? 'Decision recorded by Afterpay disputes team.' : null,
      meta: {
        transactionAmount: { amount: fromMinorUnits(minor + rng.int(0, 5000), currency), currency },
        orderType: rng.chance(0.85) ? 'ONLINE' : 'INSTORE',
        ...(rng.chance(0.5) && { network: rng.pick(['VISA', 'MASTERCARD']), networkReferenceId: rng.id('', 12) }),
      },
      ...(clearpay && { currency }),
    };
    out.push(d);
  }
  return out;
}
