// Wire to domain, pure: one TestPay dispute to a gateway Dispute. Every provider status maps to a
// gateway status (an exhaustive Record: a status added to wire.ts fails the typecheck until mapped).
import type { Dispute, DisputeStatus, ProviderName } from '../../domain/dispute.js';
import { unreadableDispute } from '../../domain/dispute.js';
import type { TestPayDispute, TestPayStatus } from './wire.js';

export const TESTPAY = 'TESTPAY' as ProviderName;

export const STATUS: Record<TestPayStatus, DisputeStatus> = { open: 'NEEDS_RESPONSE', won: 'WON', lost: 'LOST' };

/** TestPay's own fields, kept on `Dispute.extras` for its `details` type (schema in index.ts). */
export interface TestPayExtras {
  channel: string;
}

export function testpayToDispute(raw: TestPayDispute, account: string): Dispute {
  return {
    // Every field a provider lacks, empty; then what TestPay has.
    ...unreadableDispute(TESTPAY, account, raw.id, new Date(raw.created * 1000), new Error('unused')),
    amount: raw.amount,
    currency: raw.currency,
    status: STATUS[raw.status],
    providerStatus: raw.status,
    extras: { channel: raw.channel } satisfies TestPayExtras,
    detail: 'full',
    unreadable: undefined,
  };
}

/** The provider statuses that map to any of `wanted` (for a list that filters upstream). */
export function rawStatuses(wanted: readonly DisputeStatus[]): string[] {
  return Object.entries(STATUS)
    .filter(([, s]) => wanted.includes(s))
    .map(([raw]) => raw);
}
