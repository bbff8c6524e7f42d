// An in-memory provider client: a Stripe-style newest-first list with id cursors over an array, for
// testing the gateway's own logic (merge, cursors, close) without HTTP.
import { CARD_CLOSABLE, type Dispute, type DisputeStatus, type ProviderName } from '../../src/domain/dispute.js';
import { unreadableDispute } from '../../src/domain/dispute.js';
import type { DisputeProviderClient, ListPage, ListQuery, ProviderCapabilities } from '../../src/providers/types.js';

export function memoryDispute(provider: ProviderName, account: string, id: string, createdSec: number, status: DisputeStatus = 'NEEDS_RESPONSE'): Dispute {
  // Every field a list needs, from the unreadable placeholder's defaults, then made readable.
  const d = unreadableDispute(provider, account, id, new Date(createdSec * 1000), new Error('unused'));
  return { ...d, amount: 1000, currency: 'usd', status, providerStatus: status.toLowerCase(), detail: 'full', unreadable: undefined };
}

export class MemoryClient implements DisputeProviderClient {
  readonly capabilities: ProviderCapabilities = {
    filters: [],
    pagination: 'id_cursor',
    listFromEnd: false,
    closableStatuses: CARD_CLOSABLE,
    idempotentClose: false,
    maxPageSize: 100,
  };
  /** Calls made, by method, for asserting the minimum. */
  readonly calls = { list: 0, retrieve: 0, close: 0 };
  /** Newest first, ties in the list's own (insertion) order. */
  private items: Dispute[];

  constructor(
    readonly name: ProviderName,
    readonly account: string,
    items: Dispute[],
  ) {
    this.items = [...items].sort((a, b) => b.created.getTime() - a.created.getTime());
  }

  async list(q: ListQuery): Promise<ListPage> {
    this.calls.list += 1;
    const at = (id: string) => this.items.findIndex((d) => d.providerDisputeId === id);
    let slice: Dispute[];
    let hasMore: boolean;
    if (q.endingBefore !== undefined) {
      const end = at(q.endingBefore);
      const start = Math.max(0, end - q.limit);
      slice = this.items.slice(start, end);
      hasMore = start > 0;
    } else {
      const start = q.startingAfter === undefined ? 0 : at(q.startingAfter) + 1;
      slice = this.items.slice(start, start + q.limit);
      hasMore = start + q.limit < this.items.length;
    }
    return { items: slice.map((dispute) => ({ dispute, position: dispute.providerDisputeId })), hasMore };
  }

  async retrieve(id: string): Promise<Dispute | null> {
    this.calls.retrieve += 1;
    return this.items.find((d) => d.providerDisputeId === id) ?? null;
  }

  rawStatuses(): string[] {
    return [];
  }

  health() {
    return { state: 'CLOSED' as const, consecutiveFailures: 0, openedAt: null };
  }

  closedByMerchant(d: Dispute): boolean {
    return d.status === 'LOST';
  }

  async close(id: string): Promise<Dispute> {
    this.calls.close += 1;
    const i = this.items.findIndex((d) => d.providerDisputeId === id);
    const closed = { ...this.items[i]!, status: 'LOST' as const, providerStatus: 'lost' };
    this.items[i] = closed;
    return closed;
  }
}
