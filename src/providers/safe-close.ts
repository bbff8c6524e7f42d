// Closing at a provider that has no idempotency key (Afterpay's accept, Flex's close). A failed
// attempt may still have taken effect with its answer lost, so before any retry the dispute is
// read again: already closed by us means done; no longer closable means stop.
import type { Dispute } from '../domain/dispute.js';
import { ProviderError } from '../domain/errors.js';
import { upstreamPath, type HttpPipeline, type HttpResponse } from './http.js';
import type { DisputeProviderClient } from './types.js';

export interface RereadCloseOptions {
  attempt: () => Promise<Dispute>;
  reread: () => Promise<Dispute | null>;
  /** The re-read dispute shows our close took effect. */
  closed: (d: Dispute) => boolean;
  /** The re-read dispute can still be closed (else a retry cannot succeed). */
  closable: (d: Dispute) => boolean;
  maxAttempts?: number;
  delayMs?: number;
}

export async function closeWithReread(o: RereadCloseOptions): Promise<Dispute> {
  const max = o.maxAttempts ?? 3;
  // Whether an attempt so far may have taken effect unseen (no answer, or a 5xx).
  let unknown = false;
  for (let i = 1; ; i++) {
    try {
      return await o.attempt();
    } catch (err) {
      if (!(err instanceof ProviderError) || !err.retryable || i >= max) throw err;
      unknown ||= err.status === undefined || err.status >= 500;
      let now: Dispute | null;
      try {
        now = await o.reread();
      } catch {
        throw err; // cannot tell whether the close happened: do not close blind
      }
      // Closed, and one of our attempts may be why: ours. A plain refusal (409) of a dispute
      // that was already closed before we asked is not.
      if (now && o.closed(now)) {
        if (unknown) return now;
        throw err;
      }
      if (!now || !o.closable(now)) throw err;
      await new Promise((r) => setTimeout(r, (o.delayMs ?? 200) * i));
    }
  }
}

/**
 * A Stripe-style close (`POST /v1/disputes/{id}/close`, JSON) at a provider that documents no
 * idempotency (Flex, WooshPay): the key is sent, never relied on, and no attempt is retried blindly.
 */
export function closeStripeStyleWithReread(
  client: Pick<DisputeProviderClient, 'closedByMerchant' | 'capabilities'> & Required<Pick<DisputeProviderClient, 'retrieve'>>,
  http: HttpPipeline,
  id: string,
  idempotencyKey: string,
  decode: (res: HttpResponse) => Dispute,
): Promise<Dispute> {
  return closeWithReread({
    attempt: async () =>
      decode(await http.send({ method: 'POST', path: upstreamPath`/v1/disputes/${id}/close`, body: {}, encoding: 'json', idempotencyKey, retry: false })),
    reread: () => client.retrieve(id),
    closed: (d) => client.closedByMerchant(d),
    closable: (d) => client.capabilities.closableStatuses.includes(d.status),
  });
}
