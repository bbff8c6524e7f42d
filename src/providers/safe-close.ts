// Closing at a provider that has no idempotency key (Afterpay's accept, Flex's close). A failed
// attempt may still have taken effect with its answer lost, so before any retry the dispute is
// read again: already closed by us means done; no longer closable means stop.
import type { Dispute } from '../domain/dispute.js';
import { ProviderError } from '../domain/errors.js';

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
  for (let i = 1; ; i++) {
    try {
      return await o.attempt();
    } catch (err) {
      if (!(err instanceof ProviderError) || !err.retryable || i >= max) throw err;
      let now: Dispute | null;
      try {
        now = await o.reread();
      } catch {
        throw err; // cannot tell whether the close happened: do not close blind
      }
      if (now && o.closed(now)) return now;
      if (!now || !o.closable(now)) throw err;
      await new Promise((r) => setTimeout(r, (o.delayMs ?? 200) * i));
    }
  }
}
