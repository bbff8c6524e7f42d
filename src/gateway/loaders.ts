// Per-request DataLoaders. Built for each request in the context and dropped with it, so
// nothing one caller loaded is ever served to another.
import type { Clients } from '../providers/registry.js';
import DataLoader from 'dataloader';
import type { Dispute } from '../domain/dispute.js';
import { accountKey, refKey, type DisputeRef } from '../domain/ids.js';
import { NotSupported } from '../domain/errors.js';
import { providerDisplayName } from '../providers/http.js';

export interface Loaders {
  /** Null when the dispute does not exist (or lives at a provider or account not configured). */
  dispute: DataLoader<DisputeRef, Dispute | null, string>;
  /** Makes later loads of these disputes in this request free (full records only). */
  prime(disputes: Iterable<Dispute>): void;
}

export const disputeRef = (d: Dispute): DisputeRef => ({
  provider: d.provider,
  account: d.providerAccount,
  providerDisputeId: d.providerDisputeId,
});

/** `read`: told of every dispute read from its provider (the index takes them in). */
export function createLoaders(clients: Clients, read?: (d: Dispute, at: Date) => void): Loaders {
  const dispute = new DataLoader<DisputeRef, Dispute | null, string>(
    // Providers have no batch retrieve: one batch is one concurrent retrieve per distinct dispute.
    async (refs) =>
      Promise.all(
        refs.map(async (ref) => {
          const client = clients.get(accountKey(ref.provider, ref.account));
          if (!client) return null;
          if (!client.retrieve) return new NotSupported(`${providerDisplayName(ref.provider)} has no way to read one dispute by id`);
          try {
            const at = new Date();
            const found = await client.retrieve(ref.providerDisputeId);
            if (found && read) read(found, at);
            return found;
          } catch (err) {
            return err instanceof Error ? err : new Error(String(err));
          }
        }),
      ),
    { cacheKeyFn: refKey, maxBatchSize: 100 },
  );
  return {
    dispute,
    prime(disputes) {
      for (const d of disputes) if (d.detail === 'full') dispute.clear(disputeRef(d)).prime(disputeRef(d), d);
    },
  };
}
