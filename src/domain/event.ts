// One normalised event about a dispute, whichever provider sent it (or the gateway's own mutation).
import type { Dispute, ProviderName } from './dispute.js';
import type { DisputeEventType } from './schema-enums.js';

export type { DisputeEventType };

/** What a provider's webhook (or a mutation of the gateway's) says happened, before publishing. */
export interface ProviderEvent {
  type: DisputeEventType;
  provider: ProviderName;
  account: string;
  /** The provider's id of the event (Stripe `evt_…`, Flex's `svix-id`); the dedupe key. */
  providerEventId: string;
  providerDisputeId: string;
  occurredAt: Date;
  /** The dispute's state as the event carries it; null when the provider sends only an id (Afterpay). */
  dispute: Dispute | null;
  /** The Idempotency-Key of the request that caused it, when the provider says (Stripe's `request.idempotency_key`). */
  causedByKey?: string | null;
  /** A DEADLINE_APPROACHING event's window, as configured (`24h`). */
  reminderWindow?: string;
}

/** An event as published and kept in the history. */
export interface DisputeEvent extends ProviderEvent {
  /** Position in the history: strictly increasing in publishing order. */
  seq: number;
  receivedAt: Date;
}

/** Where the gateway announces a change it made itself (a close, a submission); never throws. */
export interface OwnChanges {
  own(type: DisputeEventType, dispute: Dispute, upstreamKey: string): Promise<void>;
}
